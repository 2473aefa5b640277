/* Image -> input tensor preprocessing, as declared in a model's "preprocess" section. */
#ifndef CNNRT_RUNTIME_PREPROCESS_H
#define CNNRT_RUNTIME_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include "cnnrt.h"

#define PREPROCESS_MAX_CHANNELS 3

typedef struct {
  int channels; /* 1 = gray, 3 = rgb */
  float scale;
  float mean[PREPROCESS_MAX_CHANNELS];
  float std[PREPROCESS_MAX_CHANNELS];
} preprocess_spec;

/* Interleaved 8-bit pixels (channels 1 or 3). */
typedef struct {
  const uint8_t *pixels;
  int width, height, channels;
  size_t stride; /* bytes per row */
} pixel_view;

/* Converts colour, resizes (bilinear, half-pixel centres) to out_h x out_w, scales and
 * normalises into dst (channels * out_h * out_w floats, CHW). Cannot fail for valid
 * arguments (checked by the caller). */
void preprocess_pixels(const preprocess_spec *p, const pixel_view *img, size_t out_h, size_t out_w,
                       float *dst);

#endif
