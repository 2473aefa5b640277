/* PReLU(num_parameters, init): y = x > 0 ? x : weight[c] * x, one learned slope shared by
 * all channels or one per channel (dim 1 of the input, as in PyTorch). */
#include <inttypes.h>
#include "ops/attr.h"
#include "ops/elementwise.h"

typedef struct {
  int64_t num_parameters;
  weight_ref weight;
} prelu_params;

static cnnrt_status parse_prelu(const attr_reader *a, void *params, const err_ctx *e) {
  prelu_params *p = params;
  double init;
  cnnrt_status st;
  /* init only sets the initial weight in PyTorch; the trained weight is in the blob. */
  if ((st = attr_int(a, "num_parameters", 1, &p->num_parameters, e)) ||
      (st = attr_check_min("num_parameters", p->num_parameters, 1, e)) ||
      (st = attr_number(a, "init", 0.25, &init, e)))
    return st;
  size_t dims[1] = {(size_t)p->num_parameters};
  return attr_weight(a, "weight", dims, 1, "num_parameters", &p->weight, e);
}

/* The channel count PyTorch matches num_parameters against: dim 1, or 1 for a 1-D input. */
static size_t channels_of(const shape *s) {
  return s->rank >= 2 ? s->dim[1] : 1;
}

static cnnrt_status infer_prelu(const void *params, const shape *in, int n_in, shape *out,
                                size_t *scratch_bytes, const err_ctx *e) {
  const prelu_params *p = params;
  if (p->num_parameters != 1 && (int64_t)channels_of(in) != p->num_parameters) {
    char text[128];
    shape_format(in, text, sizeof text);
    return err_set(e, CNNRT_ERR_SHAPE,
                   "num_parameters=%" PRId64 " must be 1 or the input's channel count (dim 1 "
                   "of %s: %zu)",
                   p->num_parameters, text, channels_of(in));
  }
  return elementwise_infer(params, in, n_in, out, scratch_bytes, e);
}

typedef struct {
  const float *x, *w;
  float *y;
  size_t channels, inner; /* weights cycle per plane of `inner` elements */
} prelu_job;

/* Planes [begin, end): plane k holds the inner elements of channel k % channels. */
static void prelu_planes(void *ctx, size_t begin, size_t end) {
  const prelu_job *j = ctx;
  for (size_t plane = begin; plane < end; plane++) {
    float w = j->w[plane % j->channels];
    const float *x = j->x + plane * j->inner;
    float *y = j->y + plane * j->inner;
    for (size_t i = 0; i < j->inner; i++) y[i] = x[i] > 0.0f ? x[i] : w * x[i];
  }
}

static void run_prelu(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                      threadpool *tp) {
  const prelu_params *p = params;
  const shape *s = &in[0].shape;
  size_t numel = shape_numel(s);
  prelu_job j = {in[0].data, p->weight.data, out->data, (size_t)p->num_parameters, numel};
  (void)n_in, (void)scratch;
  if (s->rank >= 2 && numel > 0) j.inner = numel / (s->dim[0] * s->dim[1]);
  threadpool_for(tp, j.inner ? numel / j.inner : 0, prelu_planes, &j);
}

const op_def op_prelu = {.name = "PReLU",
                         .min_inputs = 1,
                         .max_inputs = 1,
                         .params_size = sizeof(prelu_params),
                         .flags = OP_ELEMENTWISE,
                         .parse = parse_prelu,
                         .infer = infer_prelu,
                         .run = run_prelu};
