/* MaxPool2d with kernel_size, stride, padding, dilation and ceil_mode as in PyTorch. */
#include <inttypes.h>
#include <math.h>
#include "ops/attr.h"
#include "ops/window.h"

typedef struct {
  window_axis axis[2]; /* [0] = height, [1] = width */
} maxpool2d_params;

static cnnrt_status parse_maxpool2d(const attr_reader *a, void *params, const err_ctx *e) {
  maxpool2d_params *p = params;
  int64_t k[2], s[2], pad[2], d[2];
  bool ceil_mode, return_indices;
  cnnrt_status st;
  if ((st = attr_pair(a, "kernel_size", true, 0, 1, k, e)) ||
      (st = attr_pair(a, "padding", false, 0, 0, pad, e)) ||
      (st = attr_pair(a, "dilation", false, 1, 1, d, e)) ||
      (st = attr_bool(a, "ceil_mode", false, &ceil_mode, e)) ||
      (st = attr_bool(a, "return_indices", false, &return_indices, e)))
    return st;
  /* stride=None (absent or null) means stride = kernel_size */
  if ((st = attr_pair(a, "stride", false, 0, 1, s, e))) return st;
  if (return_indices)
    return err_set(e, CNNRT_ERR_UNSUPPORTED, "return_indices=true is not supported");
  for (int i = 0; i < 2; i++) {
    if (pad[i] > k[i] / 2)
      return err_set(e, CNNRT_ERR_FORMAT,
                     "padding %" PRId64 " must be at most half of kernel_size %" PRId64, pad[i],
                     k[i]);
    window_axis w = {k[i], s[i] ? s[i] : k[i], d[i], pad[i], pad[i], ceil_mode};
    p->axis[i] = w;
  }
  return CNNRT_OK;
}

static cnnrt_status infer_maxpool2d(const void *params, const shape *in, int n_in, shape *out,
                                    size_t *scratch_bytes, const err_ctx *e) {
  const maxpool2d_params *p = params;
  int64_t oh, ow;
  cnnrt_status st;
  (void)n_in;
  if (in->rank != 4)
    return err_set(e, CNNRT_ERR_SHAPE, "input must be 4-D [N, C, H, W], got %d-D", in->rank);
  if ((st = window_output_size(&p->axis[0], (int64_t)in->dim[2], "height", &oh, e)) ||
      (st = window_output_size(&p->axis[1], (int64_t)in->dim[3], "width", &ow, e)))
    return st;
  *out = shape4(in->dim[0], in->dim[1], (size_t)oh, (size_t)ow);
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  const maxpool2d_params *p;
  const float *x;
  float *y;
  int64_t h, w, oh, ow;
} pool_job;

/* Maximum over one window; padding never wins; NaN propagates as in PyTorch. */
static float window_max(const pool_job *j, const float *plane, int64_t oy, int64_t ox) {
  const window_axis *ah = &j->p->axis[0], *aw = &j->p->axis[1];
  float best = -INFINITY;
  for (int64_t ki = 0; ki < ah->kernel; ki++) {
    int64_t y = oy * ah->stride - ah->pad_begin + ki * ah->dilation;
    if (y < 0 || y >= j->h) continue;
    for (int64_t kj = 0; kj < aw->kernel; kj++) {
      int64_t x = ox * aw->stride - aw->pad_begin + kj * aw->dilation;
      if (x < 0 || x >= j->w) continue;
      float v = plane[y * j->w + x];
      if (v > best || isnan(v)) best = v;
      if (isnan(v)) return v;
    }
  }
  return best;
}

/* Planes [begin, end) of the N*C planes. */
static void pool_planes(void *ctx, size_t begin, size_t end) {
  const pool_job *j = ctx;
  for (size_t plane = begin; plane < end; plane++) {
    const float *src = j->x + plane * (size_t)(j->h * j->w);
    float *dst = j->y + plane * (size_t)(j->oh * j->ow);
    for (int64_t oy = 0; oy < j->oh; oy++)
      for (int64_t ox = 0; ox < j->ow; ox++) *dst++ = window_max(j, src, oy, ox);
  }
}

static void run_maxpool2d(const void *params, const tensor *in, int n_in, tensor *out,
                          void *scratch, threadpool *tp) {
  const shape *is = &in[0].shape;
  pool_job j = {params,
                in[0].data,
                out->data,
                (int64_t)is->dim[2],
                (int64_t)is->dim[3],
                (int64_t)out->shape.dim[2],
                (int64_t)out->shape.dim[3]};
  (void)n_in, (void)scratch;
  threadpool_for(tp, is->dim[0] * is->dim[1], pool_planes, &j);
}

const op_def op_maxpool2d = {
    "MaxPool2d",  1, 1, sizeof(maxpool2d_params), 0, parse_maxpool2d, infer_maxpool2d, NULL,
    run_maxpool2d};
