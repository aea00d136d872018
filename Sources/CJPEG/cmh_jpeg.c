// libjpeg's errors longjmp back here, so that a corrupt file is an error message, not an exit().
// A file that ends before its image data does is an error too: libjpeg only warns and pads it.
#include "cmh_jpeg.h"
#include <stdio.h>  /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct cmh_error {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char *message;
  int ended_early;
};

static void cmh_error_exit(j_common_ptr info) {
  struct cmh_error *e = (struct cmh_error *)info->err;
  (*info->err->format_message)(info, e->message);
  longjmp(e->jump, 1);
}

/* Warnings stay quiet; the one that says the data ran out is remembered. */
static void cmh_quiet(j_common_ptr info, int level) {
  struct cmh_error *e = (struct cmh_error *)info->err;
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) e->ended_early = 1;
}

int cmh_jpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                    unsigned char **out, size_t *out_size, char error[200]) {
  struct jpeg_compress_struct c;
  struct cmh_error e;
  unsigned long size = 0;
  *out = NULL;
  c.err = jpeg_std_error(&e.base);
  e.base.error_exit = cmh_error_exit;
  e.message = error;
  if (setjmp(e.jump)) {
    jpeg_destroy_compress(&c);
    free(*out);
    *out = NULL;
    return -1;
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, out, &size);
  c.image_width = (JDIMENSION)width;
  c.image_height = (JDIMENSION)height;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * (size_t)width * 3);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  *out_size = size;
  return 0;
}

int cmh_jpeg_decode(const unsigned char *data, size_t size, size_t max_pixels, unsigned char **rgb,
                    int *width, int *height, char error[200]) {
  struct jpeg_decompress_struct d;
  struct cmh_error e;
  *rgb = NULL;
  d.err = jpeg_std_error(&e.base);
  e.base.error_exit = cmh_error_exit;
  e.base.emit_message = cmh_quiet;
  e.message = error;
  e.ended_early = 0;
  if (setjmp(e.jump)) {
    jpeg_destroy_decompress(&d);
    free(*rgb);
    *rgb = NULL;
    return -1;
  }
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, data, (unsigned long)size);
  jpeg_read_header(&d, TRUE);
  if (d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK) {
    snprintf(error, 200, "CMYK JPEG images are not supported; convert the image to RGB");
    jpeg_destroy_decompress(&d);
    return -1;
  }
  /* The header's size is checked before anything is allocated: a few kilobytes can declare
     65,535 × 65,535 pixels. */
  if (d.image_width == 0 || d.image_height == 0 || (size_t)d.image_width > max_pixels / d.image_height) {
    snprintf(error, 200, "a %ux%u image: larger than %zu megapixels, or empty", (unsigned)d.image_width, (unsigned)d.image_height,
             max_pixels >> 20);
    jpeg_destroy_decompress(&d);
    return -1;
  }
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress(&d);
  *width = (int)d.output_width;
  *height = (int)d.output_height;
  *rgb = malloc((size_t)d.output_width * d.output_height * 3);
  if (*rgb == NULL) {
    snprintf(error, 200, "out of memory for a %dx%d image", *width, *height);
    jpeg_destroy_decompress(&d);
    return -1;
  }
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = (JSAMPROW)(*rgb + (size_t)d.output_scanline * d.output_width * 3);
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  if (e.ended_early) {
    snprintf(error, 200, "the file ends before its image data does (%zu bytes: cut short?)", size);
    free(*rgb);
    *rgb = NULL;
    return -1;
  }
  return 0;
}
