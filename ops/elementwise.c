#include "ops/elementwise.h"
#include "ops/attr.h"

/* Blocks big enough that thread hand-off costs nothing next to the work. */
#define ELEMENTWISE_BLOCK 16384

cnnrt_status elementwise_infer(const void *params, const shape *in, int n_in, shape *out,
                               size_t *scratch_bytes, const err_ctx *e) {
  (void)params, (void)n_in, (void)e;
  *out = in[0];
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  const void *params;
  const float *x;
  float *y;
  size_t n;
  elementwise_fn fn;
} elementwise_job;

static void elementwise_blocks(void *ctx, size_t begin, size_t end) {
  const elementwise_job *job = ctx;
  size_t from = begin * ELEMENTWISE_BLOCK;
  size_t to = end * ELEMENTWISE_BLOCK < job->n ? end * ELEMENTWISE_BLOCK : job->n;
  job->fn(job->params, job->x + from, job->y + from, to - from);
}

void elementwise_run(const void *params, const tensor *in, tensor *out, threadpool *tp,
                     elementwise_fn fn) {
  elementwise_job job = {params, in->data, out->data, shape_numel(&in->shape), fn};
  threadpool_for(tp, (job.n + ELEMENTWISE_BLOCK - 1) / ELEMENTWISE_BLOCK, elementwise_blocks, &job);
}

cnnrt_status elementwise_parse(const attr_reader *a, const elementwise_spec *spec, void *params,
                               const err_ctx *e) {
  elementwise_params *p = params;
  double vals[ELEMENTWISE_MAX_ARGS] = {0};
  bool inplace;
  cnnrt_status st;
  p->fn = spec->fn;
  for (int i = 0; i < ELEMENTWISE_MAX_ARGS && spec->numbers[i].key; i++) {
    const elementwise_number *num = &spec->numbers[i];
    bool present = false;
    vals[i] = num->def;
    if ((st = a->number(a, num->key, &vals[i], &present, e))) return st;
    if (!present && num->required)
      return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter %s", num->key);
    p->arg[i] = (float)vals[i];
  }
  /* PyTorch's inplace flag changes nothing at inference; accepted so exports round-trip. */
  if (spec->inplace && (st = attr_bool(a, "inplace", false, &inplace, e))) return st;
  return spec->finish ? spec->finish(a, vals, p, e) : CNNRT_OK;
}

void elementwise_op_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp) {
  (void)n_in, (void)scratch;
  elementwise_run(params, in, out, tp, ((const elementwise_params *)params)->fn);
}
