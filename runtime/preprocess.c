/* Colour conversion, bilinear resize (PyTorch's align_corners=False), scale, normalise. */
#include "runtime/preprocess.h"

#include <math.h>
#include <stdbool.h>

/* Channel c (of the model's colour space) at pixel (y, x) of the image. */
static float sample(const preprocess_spec *p, const pixel_view *img, size_t y, size_t x, int c) {
  const uint8_t *px = img->pixels + y * img->stride + x * (size_t)img->channels;
  if (img->channels == p->channels) return px[c];
  if (img->channels == 1) return px[0];                    /* gray -> rgb: replicate */
  return 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]; /* rgb -> gray: ITU-R 601 luma */
}

/* Source coordinate for output index i: half-pixel centres, clamped at 0. */
static void source_span(size_t i, size_t in, size_t out, size_t *i0, size_t *i1, float *frac) {
  float scale = (float)in / (float)out;
  float src = ((float)i + 0.5f) * scale - 0.5f;
  if (src < 0) src = 0;
  *i0 = (size_t)src;
  if (*i0 > in - 1) *i0 = in - 1;
  *i1 = *i0 + 1 < in ? *i0 + 1 : in - 1;
  *frac = src - (float)*i0;
}

void preprocess_pixels(const preprocess_spec *p, const pixel_view *img, size_t out_h, size_t out_w,
                       float *dst) {
  bool same_size = (size_t)img->height == out_h && (size_t)img->width == out_w;
  for (int c = 0; c < p->channels; c++) {
    float scale = p->scale / p->std[c], shift = p->mean[c] / p->std[c];
    for (size_t y = 0; y < out_h; y++) {
      size_t y0 = y, y1 = y;
      float fy = 0;
      if (!same_size) source_span(y, (size_t)img->height, out_h, &y0, &y1, &fy);
      for (size_t x = 0; x < out_w; x++) {
        size_t x0 = x, x1 = x;
        float fx = 0, v;
        if (!same_size) source_span(x, (size_t)img->width, out_w, &x0, &x1, &fx);
        if (same_size)
          v = sample(p, img, y, x, c);
        else {
          float top = (1 - fx) * sample(p, img, y0, x0, c) + fx * sample(p, img, y0, x1, c);
          float bottom = (1 - fx) * sample(p, img, y1, x0, c) + fx * sample(p, img, y1, x1, c);
          v = (1 - fy) * top + fy * bottom;
        }
        *dst++ = v * scale - shift;
      }
    }
  }
}
