/* Flatten(start_dim, end_dim): a view, nothing is copied. */
#include "ops/attr.h"

typedef struct {
  int64_t start_dim, end_dim;
} flatten_params;

static cnnrt_status parse_flatten(const attr_reader *a, void *params, const err_ctx *e) {
  flatten_params *p = params;
  cnnrt_status st;
  if ((st = attr_int(a, "start_dim", 1, &p->start_dim, e))) return st;
  return attr_int(a, "end_dim", -1, &p->end_dim, e);
}

static cnnrt_status infer_flatten(const void *params, const shape *in, int n_in, shape *out,
                                  size_t *scratch_bytes, const err_ctx *e) {
  const flatten_params *p = params;
  int rank = in->rank > 0 ? in->rank : 1; /* PyTorch treats a 0-D tensor as 1-D here */
  int start, end;
  cnnrt_status st;
  (void)n_in;
  if ((st = attr_wrap_dim("start_dim", p->start_dim, rank, &start, e)) ||
      (st = attr_wrap_dim("end_dim", p->end_dim, rank, &end, e)))
    return st;
  if (start > end)
    return err_set(e, CNNRT_ERR_SHAPE, "start_dim %d comes after end_dim %d", start, end);
  out->rank = 0;
  for (int i = 0; i < in->rank; i++) {
    if (i <= start || i > end)
      out->dim[out->rank++] = in->dim[i];
    else
      out->dim[out->rank - 1] *= in->dim[i]; /* cannot overflow: same element count */
  }
  *scratch_bytes = 0;
  return CNNRT_OK;
}

const op_def op_flatten = {.name = "Flatten",
                           .min_inputs = 1,
                           .max_inputs = 1,
                           .params_size = sizeof(flatten_params),
                           .flags = OP_VIEW,
                           .parse = parse_flatten,
                           .infer = infer_flatten};
