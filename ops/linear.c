/* Linear: y = x W^T + b over the last dimension (PyTorch's nn.Linear), through the packed
 * GEMM with W^T packed at load. Every row, whatever the batch, takes the same path, so a
 * sample's output does not depend on the batch it runs in. (At batch 1 the micro-kernel's
 * 6-row tile would mostly idle: a batch of 1 takes gemm_one_row, which gives the same sums
 * without the zero rows, 4 panels of W at a time.) */
#include <inttypes.h>
#include <math.h>
#include "ops/attr.h"
#include "ops/gemm.h"
#include "runtime/checked.h"

typedef struct {
  int64_t in_features, out_features;
  weight_ref weight, bias;
  bool has_bias;
  float *packed_wt; /* W^T in GEMM_NR-column panels */
  float min, max;   /* clamp of the output (a fused ReLU), -inf / inf for none */
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
  size_t bdims[1] = {(size_t)p->out_features};
  if ((st = p->has_bias ? attr_weight(a, "bias", bdims, 1, "out_features", &p->bias, e)
                        : attr_weight_absent(a, "bias", "bias is false", e)))
    return st;
  size_t in_f = (size_t)p->in_features, out_f = (size_t)p->out_features;
  if (!(p->packed_wt = a->alloc_floats(a, gemm_packed_b_floats(in_f, out_f))))
    return err_set(e, CNNRT_ERR_MEMORY, "out of memory packing the weights");
  gemm_pack_b_transposed(p->weight.data, in_f, out_f, in_f, p->packed_wt);
  p->min = -INFINITY;
  p->max = INFINITY;
  return CNNRT_OK;
}

/* Rows of the input: every dim but the last. */
static size_t linear_rows(const linear_params *p, const shape *in) {
  return shape_numel(in) / (size_t)p->in_features;
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
  if (!mul_size(gemm_packed_a_floats(linear_rows(p, in), (size_t)p->in_features), sizeof(float),
                scratch_bytes))
    return err_set(e, CNNRT_ERR_MEMORY, "input packing buffer size overflows");
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
  float *packed_x;
  size_t rows;
} linear_job;

/* Row panels [begin, end) of GEMM_MR input rows, packed for the micro-kernel. */
static void pack_rows(void *ctx, size_t begin, size_t end) {
  const linear_job *j = ctx;
  size_t k = (size_t)j->p->in_features, first = begin * GEMM_MR;
  size_t last = end * GEMM_MR < j->rows ? end * GEMM_MR : j->rows;
  gemm_pack_a(j->x + first * k, k, last - first, k, j->packed_x + first * k);
}

/* Output feature panels [begin, end) of GEMM_NR features, for all rows. */
static void gemm_features(void *ctx, size_t begin, size_t end) {
  const linear_job *j = ctx;
  size_t k = (size_t)j->p->in_features, n = (size_t)j->p->out_features;
  if (j->rows == 1) {
    size_t col0 = begin * GEMM_NR;
    gemm_epilogue ep = {NULL, j->p->has_bias ? j->p->bias.data + col0 : NULL, j->p->min, j->p->max};
    gemm_one_row(j->packed_x, k, j->p->packed_wt + col0 * k, end - begin, n - col0, &ep,
                 j->y + col0);
    return;
  }
  for (size_t panel = begin; panel < end; panel++) {
    size_t col0 = panel * GEMM_NR, ncols = n - col0 < GEMM_NR ? n - col0 : GEMM_NR;
    gemm_epilogue ep = {NULL, j->p->has_bias ? j->p->bias.data + col0 : NULL, j->p->min, j->p->max};
    gemm_panel(j->packed_x, j->rows, k, j->p->packed_wt + col0 * k, &ep, j->y + col0, n, ncols);
  }
}

static void run_linear(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                       threadpool *tp) {
  const linear_params *p = params;
  linear_job j = {p, in[0].data, out->data, scratch, linear_rows(p, &in[0].shape)};
  (void)n_in;
  threadpool_for(tp, (j.rows + GEMM_MR - 1) / GEMM_MR, pack_rows, &j);
  threadpool_for(tp, ((size_t)p->out_features + GEMM_NR - 1) / GEMM_NR, gemm_features, &j);
}

static const char *kernel_linear(const void *params) {
  (void)params;
  return "gemm";
}

const op_def op_linear = {.name = "Linear",
                          .min_inputs = 1,
                          .max_inputs = 1,
                          .params_size = sizeof(linear_params),
                          .parse = parse_linear,
                          .infer = infer_linear,
                          .macs = macs_linear,
                          .run = run_linear,
                          .kernel = kernel_linear};

void linear_absorb_clamp(void *params, float min, float max) {
  linear_params *p = params;
  if (min > p->min) p->min = min;
  if (max < p->max) p->max = max;
}
