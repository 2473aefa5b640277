/* Shared pieces of element-wise ops: same-shape inference, a parallel map, and a small
 * table-driven framework for activations (one params struct, parse, infer and run). */
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

/* ---- Table-driven element-wise ops ----------------------------------------------------
 * Such an op is a map function plus up to ELEMENTWISE_MAX_ARGS float constants, described
 * by an elementwise_spec; all of them share elementwise_params, elementwise_parse,
 * elementwise_infer and elementwise_op_run. */

#define ELEMENTWISE_MAX_ARGS 3

/* The params of every table-driven op; its map function receives this struct. */
typedef struct {
  elementwise_fn fn;               /* the spec's fn, or a variant its finish hook picked */
  float arg[ELEMENTWISE_MAX_ARGS]; /* constants; what each means is up to the op */
} elementwise_params;

/* A numeric constructor argument, read into arg[i] for the i-th entry of a spec. */
typedef struct {
  const char *key; /* PyTorch's name; NULL ends the list */
  double def;      /* PyTorch's default (unused when required) */
  bool required;
} elementwise_number;

typedef struct {
  elementwise_fn fn;
  bool inplace; /* the module takes `inplace` (accepted, no effect at inference) */
  elementwise_number numbers[ELEMENTWISE_MAX_ARGS];
  /* Range checks, further parameters and derived constants; vals holds the numbers as read
   * (double, as PyTorch checks them before narrowing to float). NULL: nothing to do. */
  cnnrt_status (*finish)(const attr_reader *a, const double *vals, elementwise_params *p,
                         const err_ctx *e);
} elementwise_spec;

/* Reads the parameters spec describes into params (an elementwise_params). */
cnnrt_status elementwise_parse(const attr_reader *a, const elementwise_spec *spec, void *params,
                               const err_ctx *e);

/* op_def.run of table-driven ops: applies params->fn over the tensor. */
void elementwise_op_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp);

/* Defines `const op_def sym` for PyTorch module `torch_name` from the elementwise_spec `spec`. */
/* clang-format off */
#define ELEMENTWISE_OP(sym, torch_name, spec)                                                    \
  static cnnrt_status parse_##sym(const attr_reader *a, void *params, const err_ctx *e) {  \
    return elementwise_parse(a, &(spec), params, e);                                       \
  }                                                                                        \
  const op_def sym = {.name = torch_name, .min_inputs = 1, .max_inputs = 1,                      \
                      .params_size = sizeof(elementwise_params), .flags = OP_ELEMENTWISE,   \
                      .parse = parse_##sym, .infer = elementwise_infer,                     \
                      .run = elementwise_op_run}
/* clang-format on */

#endif
