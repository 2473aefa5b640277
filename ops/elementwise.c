#include "ops/elementwise.h"

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
