// OpenBLAS's CBLAS interface (Debian: libopenblas-dev), with its thread control.
#include <cblas-openblas.h>
