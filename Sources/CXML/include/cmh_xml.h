// libxml2 behind one call whose header does not include libxml2's own (they pull in the system's
// ICU headers, which clash with the ICU that Foundation carries).
#ifndef CMH_XML_H
#define CMH_XML_H
#include <stddef.h>

/// Parses an XML-like document in libxml2's recover mode and returns the text of each child of
/// its root element as "NAME\x1fTEXT\x1e" records in one malloc'd UTF-8 string (free with free()),
/// or NULL when nothing can be recovered. `encoding` may be NULL to let libxml2 decide.
char *cmh_xml_root_fields(const char *data, size_t size, const char *encoding, const char *url);

#endif
