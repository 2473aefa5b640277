/* Depthwise convolution (one input channel per group, any channel multiplier): each output
 * plane is its bias plus kH x kW shifted, scaled rows of one input plane, accumulated row
 * by row so the inner loop is a contiguous (or strided) multiply-add the compiler
 * vectorises. Memory-bound: it reads each input row kW times from cache, writes once. */
#include "ops/conv2d_internal.h"
#include "ops/simd.h"

typedef struct {
  const conv2d_params *p;
  const float *input;
  float *output;
  int64_t c, h, w, oh, ow;
} dw_job;

/* dst[x] += wv * row[x * stride + x0] for the output columns whose input column is inside
 * the row (zero padding elsewhere contributes nothing). */
static inline __attribute__((always_inline)) void accumulate_row(float *dst, const float *row,
                                                                 float wv, int64_t x0,
                                                                 int64_t stride, int64_t w,
                                                                 int64_t ow) {
  int64_t lo = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride;
  int64_t hi = x0 >= w ? 0 : (w - 1 - x0) / stride + 1;
  if (hi > ow) hi = ow;
  if (stride == 1) {
    const float *src = row + x0;
    for (int64_t x = lo; x < hi; x++) dst[x] += wv * src[x];
  } else
    for (int64_t x = lo; x < hi; x++) dst[x] += wv * row[x * stride + x0];
}

/* One output row of any kernel: bias, kH x kW shifted row multiply-adds, clamp. */
static inline __attribute__((always_inline)) void generic_row(const dw_job *j, const float *src,
                                                              const float *wts, float b, int64_t y,
                                                              float *out_row) {
  const conv2d_params *p = j->p;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  for (int64_t x = 0; x < j->ow; x++) out_row[x] = b;
  for (int64_t ki = 0; ki < ah->kernel; ki++) {
    int64_t iy = y * ah->stride - ah->pad_begin + ki * ah->dilation;
    if (iy < 0 || iy >= j->h) continue;
    for (int64_t kj = 0; kj < aw->kernel; kj++)
      accumulate_row(out_row, src + iy * j->w, wts[ki * aw->kernel + kj],
                     kj * aw->dilation - aw->pad_begin, aw->stride, j->w, j->ow);
  }
}

/* The [lo, hi) output columns whose whole 3-wide window lies inside the row. */
static void inner_columns(const dw_job *j, int64_t *lo, int64_t *hi) {
  int64_t s = j->p->axis[1].stride, pl = j->p->axis[1].pad_begin;
  *lo = (pl + s - 1) / s;
  *hi = j->w - 3 + pl < 0 ? 0 : (j->w - 3 + pl) / s + 1;
  if (*hi > j->ow) *hi = j->ow;
  if (*lo > *hi) *lo = *hi;
}

/* One output pixel of a 3x3 kernel whose three input rows r0..r2 exist, columns
 * clipped to the row (zero padding), in the generic order. */
static inline float pixel_3x3(const float *r0, const float *r1, const float *r2, const float *wts,
                              float b, int64_t c, int64_t w) {
  float acc = b;
  const float *rows[3] = {r0, r1, r2};
  for (int ki = 0; ki < 3; ki++)
    for (int kj = 0; kj < 3; kj++)
      if (c + kj >= 0 && c + kj < w) acc += wts[ki * 3 + kj] * rows[ki][c + kj];
  return acc;
}

/* One output row of an undilated 3x3 kernel whose three input rows all exist: nine
 * multiply-adds per output in the generic order (so results match the generic path bit
 * for bit), with bounds checks only on the edge columns. */
static inline __attribute__((always_inline)) void
row_3x3(const dw_job *j, const float *src, const float *wts, float b, int64_t y, float *out_row) {
  int64_t s = j->p->axis[1].stride, pl = j->p->axis[1].pad_begin, lo, hi;
  const float *r0 = src + (y * j->p->axis[0].stride - j->p->axis[0].pad_begin) * j->w;
  const float *r1 = r0 + j->w, *r2 = r1 + j->w;
  inner_columns(j, &lo, &hi);
  for (int64_t x = 0; x < lo; x++) out_row[x] = pixel_3x3(r0, r1, r2, wts, b, x * s - pl, j->w);
  for (int64_t x = hi; x < j->ow; x++) out_row[x] = pixel_3x3(r0, r1, r2, wts, b, x * s - pl, j->w);
  r0 -= pl, r1 -= pl, r2 -= pl;
  for (int64_t x = lo; x < hi; x++) {
    int64_t c = x * s;
    float acc = b;
    acc += wts[0] * r0[c], acc += wts[1] * r0[c + 1], acc += wts[2] * r0[c + 2];
    acc += wts[3] * r1[c], acc += wts[4] * r1[c + 1], acc += wts[5] * r1[c + 2];
    acc += wts[6] * r2[c], acc += wts[7] * r2[c + 1], acc += wts[8] * r2[c + 2];
    out_row[x] = acc;
  }
}

static bool is_plain_3x3(const conv2d_params *p) {
  return p->axis[0].kernel == 3 && p->axis[1].kernel == 3 && p->axis[0].dilation == 1 &&
         p->axis[1].dilation == 1;
}

/* Output planes [begin, end) of the N * OC planes. */
SIMD_CLONES static void depthwise_planes(void *ctx, size_t begin, size_t end) {
  const dw_job *j = ctx;
  const conv2d_params *p = j->p;
  const window_axis *ah = &p->axis[0];
  size_t oc_n = (size_t)p->out_channels, multiplier = oc_n / (size_t)j->c;
  bool plain_3x3 = is_plain_3x3(p);
  for (size_t plane = begin; plane < end; plane++) {
    size_t n = plane / oc_n, oc = plane % oc_n;
    const float *src = j->input + (n * (size_t)j->c + oc / multiplier) * (size_t)(j->h * j->w);
    const float *wts = p->weight.data + oc * (size_t)(ah->kernel * p->axis[1].kernel);
    float *dst = j->output + plane * (size_t)(j->oh * j->ow);
    float b = p->epilogue.bias ? p->epilogue.bias[oc] : 0.0f;
    for (int64_t y = 0; y < j->oh; y++) {
      float *out_row = dst + y * j->ow;
      int64_t iy = y * ah->stride - ah->pad_begin;
      if (plain_3x3 && iy >= 0 && iy + 2 < j->h)
        row_3x3(j, src, wts, b, y, out_row);
      else
        generic_row(j, src, wts, b, y, out_row);
      for (int64_t x = 0; x < j->ow; x++) {
        float v = out_row[x] < p->epilogue.min ? p->epilogue.min : out_row[x];
        out_row[x] = v > p->epilogue.max ? p->epilogue.max : v;
      }
    }
  }
}

void depthwise_run(const conv2d_params *p, const tensor *in, tensor *out, threadpool *tp) {
  dw_job j = {p,
              in->data,
              out->data,
              (int64_t)in->shape.dim[1],
              (int64_t)in->shape.dim[2],
              (int64_t)in->shape.dim[3],
              (int64_t)out->shape.dim[2],
              (int64_t)out->shape.dim[3]};
  threadpool_for(tp, in->shape.dim[0] * (size_t)p->out_channels, depthwise_planes, &j);
}
