/* Layers that are the identity at inference: Identity, and Dropout, Dropout2d and
 * AlphaDropout (p in [0, 1], inplace) in eval mode. Views of their input: nothing runs. */
#include "ops/attr.h"

typedef struct {
  double p;
} dropout_params;

static cnnrt_status parse_identity(const attr_reader *a, void *params, const err_ctx *e) {
  (void)a, (void)params, (void)e;
  return CNNRT_OK; /* no params: the loader reports any key as unknown */
}

static cnnrt_status parse_dropout(const attr_reader *a, void *params, const err_ctx *e) {
  dropout_params *p = params;
  bool inplace;
  cnnrt_status st;
  if ((st = attr_number(a, "p", 0.5, &p->p, e)) ||
      (st = attr_bool(a, "inplace", false, &inplace, e)))
    return st;
  if (!(p->p >= 0.0 && p->p <= 1.0))
    return err_set(e, CNNRT_ERR_FORMAT, "p must be between 0 and 1, got %g", p->p);
  return CNNRT_OK;
}

static cnnrt_status infer_same(const void *params, const shape *in, int n_in, shape *out,
                               size_t *scratch_bytes, const err_ctx *e) {
  (void)params, (void)n_in, (void)e;
  *out = *in;
  *scratch_bytes = 0;
  return CNNRT_OK;
}

/* The four pass-through ops differ only in name and parameters. */
#define VIEW_OP(sym, torch_name, params_type, parse_fn)                                            \
  const op_def sym = {.name = torch_name,                                                          \
                      .min_inputs = 1,                                                             \
                      .max_inputs = 1,                                                             \
                      .params_size = sizeof(params_type),                                          \
                      .flags = OP_VIEW,                                                            \
                      .parse = parse_fn,                                                           \
                      .infer = infer_same}

VIEW_OP(op_identity, "Identity", char, parse_identity);
VIEW_OP(op_dropout, "Dropout", dropout_params, parse_dropout);
VIEW_OP(op_dropout2d, "Dropout2d", dropout_params, parse_dropout);
VIEW_OP(op_alphadropout, "AlphaDropout", dropout_params, parse_dropout);
