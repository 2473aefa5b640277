/* MaxPool2d with kernel_size, stride, padding, dilation and ceil_mode as in PyTorch. */
#include <math.h>
#include "ops/attr.h"
#include "ops/pool2d.h"

typedef struct {
  window_axis axis[2]; /* [0] = height, [1] = width */
} maxpool2d_params;

static cnnrt_status parse_maxpool2d(const attr_reader *a, void *params, const err_ctx *e) {
  maxpool2d_params *p = params;
  bool return_indices;
  cnnrt_status st;
  if ((st = pool2d_parse_window(a, true, p->axis, e)) ||
      (st = attr_bool(a, "return_indices", false, &return_indices, e)))
    return st;
  if (return_indices)
    return err_set(e, CNNRT_ERR_UNSUPPORTED, "return_indices=true is not supported");
  return CNNRT_OK;
}

static cnnrt_status infer_maxpool2d(const void *params, const shape *in, int n_in, shape *out,
                                    size_t *scratch_bytes, const err_ctx *e) {
  const maxpool2d_params *p = params;
  (void)n_in;
  *scratch_bytes = 0;
  return pool2d_infer_window(p->axis, in, out, e);
}

/* Maximum over one window; padding never wins; NaN propagates as in PyTorch. */
static float window_max(const pool2d_job *j, const float *plane, int64_t oy, int64_t ox) {
  const maxpool2d_params *p = j->params;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  float best = -INFINITY;
  for (int64_t ki = 0; ki < ah->kernel; ki++) {
    int64_t y = oy * ah->stride - ah->pad_begin + ki * ah->dilation;
    if (y < 0 || y >= j->h) continue;
    for (int64_t kj = 0; kj < aw->kernel; kj++) {
      int64_t x = ox * aw->stride - aw->pad_begin + kj * aw->dilation;
      if (x < 0 || x >= j->w) continue;
      float v = plane[y * j->w + x];
      if (isnan(v)) return v;
      if (v > best) best = v;
    }
  }
  return best;
}

/* max keeping NaN, as PyTorch's `val > max || isnan(val)` */
static inline float max_nan(float best, float v) {
  return (v > best || isnan(v)) ? v : best;
}

/* The common 2x2, stride 2 window with no padding or dilation, every window inside. */
static void plane_max_2x2(const pool2d_job *j, const float *plane, float *out) {
  for (int64_t oy = 0; oy < j->oh; oy++) {
    const float *r0 = plane + 2 * oy * j->w, *r1 = r0 + j->w;
    for (int64_t ox = 0; ox < j->ow; ox++)
      out[oy * j->ow + ox] =
          max_nan(max_nan(max_nan(r0[2 * ox], r0[2 * ox + 1]), r1[2 * ox]), r1[2 * ox + 1]);
  }
}

static bool is_plain_2x2(const maxpool2d_params *p, const shape *in, const shape *out) {
  for (int i = 0; i < 2; i++) {
    const window_axis *a = &p->axis[i];
    if (a->kernel != 2 || a->stride != 2 || a->dilation != 1 || a->pad_begin || a->pad_end ||
        2 * out->dim[2 + i] > in->dim[2 + i])
      return false;
  }
  return true;
}

static void run_maxpool2d(const void *params, const tensor *in, int n_in, tensor *out,
                          void *scratch, threadpool *tp) {
  (void)n_in, (void)scratch;
  if (is_plain_2x2(params, &in->shape, &out->shape))
    pool2d_run_planes(params, plane_max_2x2, in, out, tp);
  else
    pool2d_run(params, window_max, in, out, tp);
}

const op_def op_maxpool2d = {.name = "MaxPool2d",
                             .min_inputs = 1,
                             .max_inputs = 1,
                             .params_size = sizeof(maxpool2d_params),
                             .flags = 0,
                             .parse = parse_maxpool2d,
                             .infer = infer_maxpool2d,
                             .run = run_maxpool2d};
