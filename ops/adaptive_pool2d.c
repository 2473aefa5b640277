/* AdaptiveAvgPool2d and AdaptiveMaxPool2d: output_size as an int, a pair, or a pair with
 * null entries (None: keep that input dim); output i of an axis covers input
 * [floor(i*H/out), ceil((i+1)*H/out)), as in PyTorch. 4-D input only: an unbatched 3-D
 * tensor is never a model input in cnnrt. */
#include <inttypes.h>
#include <math.h>
#include "ops/attr.h"
#include "ops/pool2d.h"

typedef struct {
  int64_t size[2]; /* output height, width; 0 = the input's (None) */
} adaptive_params;

static cnnrt_status parse_output_size(const attr_reader *a, adaptive_params *p, const err_ctx *e) {
  int64_t v[2];
  int count = 0;
  bool present = false;
  cnnrt_status st = a->ints(a, "output_size", v, 2, &count, &present, e);
  if (st != CNNRT_OK) return st;
  if (!present) return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter output_size");
  if (count == 1 && v[0] == ATTR_NONE) /* PyTorch needs two entries to take a None */
    return err_set(e, CNNRT_ERR_FORMAT, "output_size must be an integer or a pair, got [null]");
  if (count == 1) v[1] = v[0];
  for (int i = 0; i < 2; i++) {
    if (v[i] == ATTR_NONE) {
      p->size[i] = 0;
      continue;
    }
    if (v[i] < 0 || v[i] > (int64_t)1 << 30)
      return err_set(e, CNNRT_ERR_FORMAT,
                     "output_size[%d] must be a positive integer or null, got %" PRId64, i, v[i]);
    if (v[i] == 0)
      return err_set(e, CNNRT_ERR_UNSUPPORTED,
                     "output_size[%d] = 0 gives an empty tensor, which cnnrt does not run", i);
    p->size[i] = v[i];
  }
  return CNNRT_OK;
}

static cnnrt_status parse_adaptive_avg(const attr_reader *a, void *params, const err_ctx *e) {
  return parse_output_size(a, params, e);
}

static cnnrt_status parse_adaptive_max(const attr_reader *a, void *params, const err_ctx *e) {
  bool return_indices;
  cnnrt_status st;
  if ((st = parse_output_size(a, params, e)) ||
      (st = attr_bool(a, "return_indices", false, &return_indices, e)))
    return st;
  if (return_indices)
    return err_set(e, CNNRT_ERR_UNSUPPORTED, "return_indices=true is not supported");
  return CNNRT_OK;
}

static cnnrt_status infer_adaptive(const void *params, const shape *in, int n_in, shape *out,
                                   size_t *scratch_bytes, const err_ctx *e) {
  const adaptive_params *p = params;
  cnnrt_status st;
  (void)n_in;
  if ((st = pool2d_check_input(in, e))) return st;
  *out = shape4(in->dim[0], in->dim[1], p->size[0] ? (size_t)p->size[0] : in->dim[2],
                p->size[1] ? (size_t)p->size[1] : in->dim[3]);
  *scratch_bytes = 0;
  return CNNRT_OK;
}

/* Output planes of n (<= 8) consecutive planes: per window, a float sum in row order, then
 * two divisions (sum / kh / kw), like PyTorch's kernel. Each plane's sum is its own lane,
 * so 8 planes are 8 independent sums (a global average over 7 x 7 waited on 49 dependent
 * additions per channel) and n changes no bit of a plane's result. */
static inline __attribute__((always_inline)) void avg_lanes(const pool2d_job *j, const float *src,
                                                            float *dst, size_t n) {
  size_t in_plane = (size_t)(j->h * j->w), out_plane = (size_t)(j->oh * j->ow);
  for (int64_t oy = 0; oy < j->oh; oy++)
    for (int64_t ox = 0; ox < j->ow; ox++) {
      int64_t y0, y1, x0, x1;
      adaptive_span(oy, j->oh, j->h, &y0, &y1);
      adaptive_span(ox, j->ow, j->w, &x0, &x1);
      float sum[8] = {0};
      for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++)
          for (size_t i = 0; i < n; i++) sum[i] += src[i * in_plane + (size_t)(y * j->w + x)];
      for (size_t i = 0; i < n; i++)
        dst[i * out_plane + (size_t)(oy * j->ow + ox)] =
            sum[i] / (float)(y1 - y0) / (float)(x1 - x0);
    }
}

static void planes_avg(const pool2d_job *j, const float *src, float *dst, size_t n) {
  if (n == 8)
    avg_lanes(j, src, dst, 8); /* a constant count: the sums stay in registers */
  else
    avg_lanes(j, src, dst, n);
}

/* Maximum over the window; NaN propagates as in PyTorch. */
static float window_max(const pool2d_job *j, const float *plane, int64_t oy, int64_t ox) {
  int64_t y0, y1, x0, x1;
  adaptive_span(oy, j->oh, j->h, &y0, &y1);
  adaptive_span(ox, j->ow, j->w, &x0, &x1);
  float best = -INFINITY;
  for (int64_t y = y0; y < y1; y++)
    for (int64_t x = x0; x < x1; x++) {
      float v = plane[y * j->w + x];
      if (isnan(v)) return v;
      if (v > best) best = v;
    }
  return best;
}

static void run_adaptive_avg(const void *params, const tensor *in, int n_in, tensor *out,
                             void *scratch, threadpool *tp) {
  (void)n_in, (void)scratch;
  pool2d_run_groups(params, planes_avg, in, out, tp);
}

static void run_adaptive_max(const void *params, const tensor *in, int n_in, tensor *out,
                             void *scratch, threadpool *tp) {
  (void)n_in, (void)scratch;
  pool2d_run(params, window_max, in, out, tp);
}

const op_def op_adaptiveavgpool2d = {.name = "AdaptiveAvgPool2d",
                                     .min_inputs = 1,
                                     .max_inputs = 1,
                                     .params_size = sizeof(adaptive_params),
                                     .flags = 0,
                                     .parse = parse_adaptive_avg,
                                     .infer = infer_adaptive,
                                     .run = run_adaptive_avg};

const op_def op_adaptivemaxpool2d = {.name = "AdaptiveMaxPool2d",
                                     .min_inputs = 1,
                                     .max_inputs = 1,
                                     .params_size = sizeof(adaptive_params),
                                     .flags = 0,
                                     .parse = parse_adaptive_max,
                                     .infer = infer_adaptive,
                                     .run = run_adaptive_max};
