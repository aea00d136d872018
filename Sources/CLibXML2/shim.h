// libxml2 (Debian: libxml2-dev), for the XML-like IAPR TC-12 annotation files.
#include <libxml/parser.h>
#include <libxml/tree.h>
