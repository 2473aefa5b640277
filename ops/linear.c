/* Linear: y = x W^T + b over the last dimension (PyTorch's nn.Linear). */
#include <inttypes.h>
#include "ops/attr.h"

typedef struct {
  int64_t in_features, out_features;
  weight_ref weight, bias;
  bool has_bias;
} linear_params;

static cnnrt_status parse_linear(const attr_reader *a, void *params, const err_ctx *e) {
  linear_params *p = params;
  cnnrt_status st;
  if ((st = attr_int_required(a, "in_features", &p->in_features, e)) ||
      (st = attr_check_min("in_features", p->in_features, 1, e)) ||
      (st = attr_int_required(a, "out_features", &p->out_features, e)) ||
      (st = attr_check_min("out_features", p->out_features, 1, e)) ||
      (st = attr_bool(a, "bias", true, &p->has_bias, e)))
    return st;
  size_t wdims[2] = {(size_t)p->out_features, (size_t)p->in_features};
  if ((st = attr_weight(a, "weight", wdims, 2, "out_features, in_features", &p->weight, e)))
    return st;
  if (!p->has_bias) return attr_weight_absent(a, "bias", "bias is false", e);
  size_t bdims[1] = {(size_t)p->out_features};
  return attr_weight(a, "bias", bdims, 1, "out_features", &p->bias, e);
}

static cnnrt_status infer_linear(const void *params, const shape *in, int n_in, shape *out,
                                 size_t *scratch_bytes, const err_ctx *e) {
  const linear_params *p = params;
  (void)n_in;
  if (in->rank < 1) return err_set(e, CNNRT_ERR_SHAPE, "input must have at least 1 dimension");
  if ((int64_t)in->dim[in->rank - 1] != p->in_features) {
    char text[128];
    shape_format(in, text, sizeof text);
    return err_set(e, CNNRT_ERR_SHAPE,
                   "input %s has %zu features in its last dimension, in_features is %" PRId64
                   " (missing Flatten?)",
                   text, in->dim[in->rank - 1], p->in_features);
  }
  *out = *in;
  out->dim[out->rank - 1] = (size_t)p->out_features;
  *scratch_bytes = 0;
  return CNNRT_OK;
}

static uint64_t macs_linear(const void *params, const shape *in, int n_in, const shape *out) {
  const linear_params *p = params;
  (void)in, (void)n_in;
  return (uint64_t)shape_numel(out) * (uint64_t)p->in_features;
}

typedef struct {
  const linear_params *p;
  const float *x;
  float *y;
} linear_job;

/* Dot product with 8 independent partial sums so the compiler can vectorise it; the order
 * is fixed, so the result never depends on threading. */
static float dot(const float *a, const float *b, size_t n) {
  float acc[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += a[i + (size_t)l] * b[i + (size_t)l];
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

/* Outputs [begin, end) of the flattened (row, feature) grid. */
static void linear_items(void *ctx, size_t begin, size_t end) {
  const linear_job *j = ctx;
  size_t in_f = (size_t)j->p->in_features, out_f = (size_t)j->p->out_features;
  for (size_t item = begin; item < end; item++) {
    size_t row = item / out_f, o = item % out_f;
    float b = j->p->has_bias ? j->p->bias.data[o] : 0.0f;
    j->y[item] = b + dot(j->x + row * in_f, j->p->weight.data + o * in_f, in_f);
  }
}

static void run_linear(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                       threadpool *tp) {
  linear_job j = {params, in[0].data, out->data};
  (void)n_in, (void)scratch;
  threadpool_for(tp, shape_numel(&out->shape), linear_items, &j);
}

const op_def op_linear = {
    "Linear", 1, 1, sizeof(linear_params), 0, parse_linear, infer_linear, macs_linear, run_linear};
