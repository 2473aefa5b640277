/* Parameter-free activations: ReLU, Sigmoid. */
#include <math.h>
#include "ops/attr.h"
#include "ops/elementwise.h"

static cnnrt_status parse_relu(const attr_reader *a, void *params, const err_ctx *e) {
  bool inplace;
  (void)params;
  /* PyTorch's inplace flag changes nothing at inference; accepted so exports round-trip. */
  return attr_bool(a, "inplace", false, &inplace, e);
}

static cnnrt_status parse_none(const attr_reader *a, void *params, const err_ctx *e) {
  (void)a, (void)params, (void)e;
  return CNNRT_OK;
}

static void relu_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i]; /* keeps NaN, as torch */
}

static void sigmoid_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void run_relu(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                     threadpool *tp) {
  (void)n_in, (void)scratch;
  elementwise_run(params, in, out, tp, relu_map);
}

static void run_sigmoid(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp) {
  (void)n_in, (void)scratch;
  elementwise_run(params, in, out, tp, sigmoid_map);
}

const op_def op_relu = {"ReLU", 1,       1, 0, OP_ELEMENTWISE, parse_relu, elementwise_infer,
                        NULL,   run_relu};
const op_def op_sigmoid = {"Sigmoid",         1,    1,          0, OP_ELEMENTWISE, parse_none,
                           elementwise_infer, NULL, run_sigmoid};
