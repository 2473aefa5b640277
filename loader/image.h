/* Image decoding (JPEG through libjpeg-turbo's TurboJPEG API). */
#ifndef CNNRT_LOADER_IMAGE_H
#define CNNRT_LOADER_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "cnnrt.h"

/* Largest image accepted, checked from the header before anything is allocated. */
#define IMAGE_MAX_PIXELS ((uint64_t)1 << 28)

typedef struct {
  uint8_t *pixels; /* interleaved, width * channels bytes per row */
  int width, height, channels;
} decoded_image;

/* Decodes a JPEG held in memory into channels 1 (gray) or 3 (RGB). name is used in
 * messages. Truncated or corrupt data is an error (CNNRT_ERR_IMAGE), not a grey picture. */
cnnrt_status image_decode_jpeg(const void *data, size_t len, const char *name, int channels,
                               decoded_image *out);

/* Reads and decodes a file. */
cnnrt_status image_decode_file(const char *path, int channels, decoded_image *out);

void image_free(decoded_image *img);

#endif
