/* Softmax(dim), LogSoftmax(dim) and Softmin(dim) along any dimension, negative dims counted
 * from the end. One kernel: the maximum is subtracted first so logits of any size never
 * overflow; Softmin is PyTorch's softmax(-x). */
#include <math.h>
#include "ops/attr.h"
#include "ops/elementwise.h"

typedef struct {
  int64_t dim;
} softmax_params;

typedef enum { SOFTMAX, LOG_SOFTMAX, SOFTMIN } softmax_kind;

static cnnrt_status parse_softmax(const attr_reader *a, void *params, const err_ctx *e) {
  softmax_params *p = params;
  /* PyTorch's dim=None picks a legacy implicit dim; exporters must write it explicitly. */
  return attr_int_required(a, "dim", &p->dim, e);
}

static cnnrt_status infer_softmax(const void *params, const shape *in, int n_in, shape *out,
                                  size_t *scratch_bytes, const err_ctx *e) {
  const softmax_params *p = params;
  int dim;
  cnnrt_status st = attr_wrap_dim("dim", p->dim, in->rank, &dim, e);
  if (st != CNNRT_OK) return st;
  return elementwise_infer(params, in, n_in, out, scratch_bytes, e);
}

typedef struct {
  const float *x;
  float *y;
  size_t length, inner; /* along dim, and the stride of dim */
  softmax_kind kind;
} softmax_job;

/* Lines [begin, end) of outer*inner lines, each `length` elements at stride `inner`.
 * y may alias x: every element is read before (or when) it is overwritten. */
static void softmax_lines(void *ctx, size_t begin, size_t end) {
  const softmax_job *j = ctx;
  const size_t len = j->length, stride = j->inner;
  const float sign = j->kind == SOFTMIN ? -1.0f : 1.0f;
  for (size_t line = begin; line < end; line++) {
    size_t base = line / stride * len * stride + line % stride;
    const float *x = j->x + base;
    float *y = j->y + base;
    float max = -INFINITY, sum = 0.0f;
    /* NaN never compares greater, but poisons the sum below, so the line becomes NaN. */
    for (size_t i = 0; i < len; i++)
      if (sign * x[i * stride] > max) max = sign * x[i * stride];
    if (j->kind == LOG_SOFTMAX) {
      for (size_t i = 0; i < len; i++) sum += expf(x[i * stride] - max);
      float log_sum = logf(sum);
      for (size_t i = 0; i < len; i++) y[i * stride] = x[i * stride] - max - log_sum;
      continue;
    }
    for (size_t i = 0; i < len; i++) {
      y[i * stride] = expf(sign * x[i * stride] - max);
      sum += y[i * stride];
    }
    for (size_t i = 0; i < len; i++) y[i * stride] /= sum;
  }
}

static void run_kind(const void *params, const tensor *in, tensor *out, threadpool *tp,
                     softmax_kind kind) {
  const softmax_params *p = params;
  const shape *s = &in[0].shape;
  int dim = (int)(p->dim < 0 ? p->dim + s->rank : p->dim);
  softmax_job j = {in[0].data, out->data, s->dim[dim], 1, kind};
  for (int i = dim + 1; i < s->rank; i++) j.inner *= s->dim[i];
  threadpool_for(tp, shape_numel(s) / j.length, softmax_lines, &j);
}

static void run_softmax(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp) {
  (void)n_in, (void)scratch;
  run_kind(params, in, out, tp, SOFTMAX);
}

static void run_log_softmax(const void *params, const tensor *in, int n_in, tensor *out,
                            void *scratch, threadpool *tp) {
  (void)n_in, (void)scratch;
  run_kind(params, in, out, tp, LOG_SOFTMAX);
}

static void run_softmin(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp) {
  (void)n_in, (void)scratch;
  run_kind(params, in, out, tp, SOFTMIN);
}

/* Softmax, LogSoftmax and Softmin share parameters and shape rules. */
#define SOFTMAX_OP(sym, torch_name, run_fn)                                                        \
  const op_def sym = {.name = torch_name,                                                          \
                      .min_inputs = 1,                                                             \
                      .max_inputs = 1,                                                             \
                      .params_size = sizeof(softmax_params),                                       \
                      .flags = OP_ELEMENTWISE,                                                     \
                      .parse = parse_softmax,                                                      \
                      .infer = infer_softmax,                                                      \
                      .run = run_fn}

SOFTMAX_OP(op_softmax, "Softmax", run_softmax);
SOFTMAX_OP(op_log_softmax, "LogSoftmax", run_log_softmax);
SOFTMAX_OP(op_softmin, "Softmin", run_softmin);
