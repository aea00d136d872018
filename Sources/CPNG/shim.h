// libpng's simplified API (Debian: libpng-dev): whole images read from memory, errors as messages.
#include <png.h>
