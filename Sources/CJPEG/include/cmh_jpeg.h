// libjpeg behind two calls that report errors instead of exiting the process.
#ifndef CMH_JPEG_H
#define CMH_JPEG_H
#include <stddef.h>

/// Encodes rgb (height × width × 3 bytes) at quality 1..100. On success returns 0 and sets
/// *out (free with free()) and *out_size; on failure returns -1 with a message in error.
int cmh_jpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                    unsigned char **out, size_t *out_size, char error[200]);

/// Decodes a JPEG to RGB (grayscale is expanded, CMYK refused, an image of more than max_pixels
/// pixels refused before it is allocated). On success returns 0 and sets *rgb (free with free()),
/// *width, *height; on failure returns -1 with a message in error.
int cmh_jpeg_decode(const unsigned char *data, size_t size, size_t max_pixels, unsigned char **rgb,
                    int *width, int *height, char error[200]);

#endif
