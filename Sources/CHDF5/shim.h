// HDF5 (Debian: libhdf5-dev), for MATLAB v7.3 .mat files, which are HDF5 files.
#include <hdf5.h>
