/* Softmax(dim) along any dimension, negative dims counted from the end; subtracts the
 * maximum first so logits of any size never overflow. */
#include <math.h>
#include "ops/attr.h"
#include "ops/elementwise.h"

typedef struct {
  int64_t dim;
} softmax_params;

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
} softmax_job;

/* Lines [begin, end) of outer*inner lines, each `length` elements at stride `inner`. */
static void softmax_lines(void *ctx, size_t begin, size_t end) {
  const softmax_job *j = ctx;
  for (size_t line = begin; line < end; line++) {
    size_t base = line / j->inner * j->length * j->inner + line % j->inner;
    const float *x = j->x + base;
    float *y = j->y + base;
    float max = -INFINITY, sum = 0.0f;
    for (size_t i = 0; i < j->length; i++)
      if (x[i * j->inner] > max) max = x[i * j->inner];
    for (size_t i = 0; i < j->length; i++) {
      y[i * j->inner] = expf(x[i * j->inner] - max);
      sum += y[i * j->inner];
    }
    for (size_t i = 0; i < j->length; i++) y[i * j->inner] /= sum;
  }
}

static void run_softmax(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp) {
  const softmax_params *p = params;
  const shape *s = &in[0].shape;
  int dim = (int)(p->dim < 0 ? p->dim + s->rank : p->dim);
  softmax_job j = {in[0].data, out->data, s->dim[dim], 1};
  (void)n_in, (void)scratch;
  for (int i = dim + 1; i < s->rank; i++) j.inner *= s->dim[i];
  threadpool_for(tp, shape_numel(s) / j.length, softmax_lines, &j);
}

const op_def op_softmax = {
    "Softmax",     1,    1,          sizeof(softmax_params), OP_ELEMENTWISE, parse_softmax,
    infer_softmax, NULL, run_softmax};
