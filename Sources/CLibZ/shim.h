// zlib (Debian: zlib1g-dev), for the compressed elements of MATLAB v5 files.
#include <zlib.h>
