/* Image decoding: JPEG through libjpeg-turbo's TurboJPEG API, PNG through libpng, told
 * apart by their first bytes. Every decoder reads the image size from the header and checks
 * width x height (in 64 bits) against CNNRT_LIMIT_IMAGE_PIXELS before allocating or
 * decoding anything. */
#ifndef CNNRT_LOADER_IMAGE_H
#define CNNRT_LOADER_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "cnnrt.h"

typedef struct {
  uint8_t *pixels; /* interleaved, width * channels bytes per row, malloc'ed */
  int width, height;
  int channels; /* 1 (gray) or 3 (RGB) */
} decoded_image;

/* Decodes a JPEG or PNG held in memory. want (1 or 3) is the model's channel count: a JPEG
 * decodes straight to it (a colour JPEG to gray gives the decoder's luma, a CMYK one RGB);
 * a PNG keeps its own colour type (gray or RGB) and preprocessing converts. name is used
 * in messages. Truncated or corrupt data is an error (CNNRT_ERR_IMAGE), not a grey
 * picture. */
cnnrt_status image_decode(const void *data, size_t len, const char *name, int want,
                          decoded_image *out);

/* The two decoders (data already recognised by its signature). */
cnnrt_status image_decode_jpeg(const uint8_t *data, size_t len, const char *name, int want,
                               decoded_image *out);
cnnrt_status image_decode_png(const uint8_t *data, size_t len, const char *name,
                              decoded_image *out);

/* Reads (at most CNNRT_LIMIT_IMAGE_BYTES) and decodes a file. */
cnnrt_status image_decode_file(const char *path, int want, decoded_image *out);

/* Fails with CNNRT_ERR_LIMIT when width x height is over CNNRT_LIMIT_IMAGE_PIXELS. */
cnnrt_status image_check_size(uint64_t width, uint64_t height, const char *name);

void image_free(decoded_image *img);

#endif
