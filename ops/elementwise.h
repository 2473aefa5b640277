/* Shared pieces of element-wise ops: same-shape inference and a parallel map. */
#ifndef CNNRT_OPS_ELEMENTWISE_H
#define CNNRT_OPS_ELEMENTWISE_H

#include "ops/op.h"

/* Transforms x[0..n) into y[0..n) (y may equal x). */
typedef void (*elementwise_fn)(const void *params, const float *x, float *y, size_t n);

/* Output shape = input shape, no scratch. */
cnnrt_status elementwise_infer(const void *params, const shape *in, int n_in, shape *out,
                               size_t *scratch_bytes, const err_ctx *e);

/* Runs fn over the whole tensor in parallel blocks. */
void elementwise_run(const void *params, const tensor *in, tensor *out, threadpool *tp,
                     elementwise_fn fn);

#endif
