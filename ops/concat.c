/* Concat(dim): torch.cat of any number of tensors along dim (negative counts from the end);
 * all other dims must match. */
#include <inttypes.h>
#include <string.h>
#include "ops/attr.h"

typedef struct {
  int64_t dim;
} concat_params;

static cnnrt_status parse_concat(const attr_reader *a, void *params, const err_ctx *e) {
  return attr_int(a, "dim", 0, &((concat_params *)params)->dim, e);
}

static cnnrt_status infer_concat(const void *params, const shape *in, int n_in, shape *out,
                                 size_t *scratch_bytes, const err_ctx *e) {
  int dim;
  cnnrt_status st = attr_wrap_dim("dim", ((const concat_params *)params)->dim, in[0].rank, &dim, e);
  if (st != CNNRT_OK) return st;
  *out = in[0];
  for (int k = 1; k < n_in; k++) {
    bool same = in[k].rank == in[0].rank;
    for (int i = 0; same && i < in[0].rank; i++) same = i == dim || in[k].dim[i] == in[0].dim[i];
    if (!same) {
      char s0[96], sk[96];
      shape_format(&in[0], s0, sizeof s0);
      shape_format(&in[k], sk, sizeof sk);
      return err_set(e, CNNRT_ERR_SHAPE, "input %d %s does not match input 0 %s outside dim %d", k,
                     sk, s0, dim);
    }
    out->dim[dim] += in[k].dim[dim]; /* bounded: every input fits in memory */
  }
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  const tensor *in;
  int n_in;
  tensor *out;
  int dim;
  size_t inner; /* elements per step of dim */
} concat_job;

/* Outer slices [begin, end) (the dims before dim): each input's block copied in turn. */
static void concat_slices(void *ctx, size_t begin, size_t end) {
  const concat_job *j = ctx;
  size_t out_block = j->out->shape.dim[j->dim] * j->inner;
  for (size_t o = begin; o < end; o++) {
    float *dst = j->out->data + o * out_block;
    for (int k = 0; k < j->n_in; k++) {
      size_t block = j->in[k].shape.dim[j->dim] * j->inner;
      memcpy(dst, j->in[k].data + o * block, block * sizeof(float));
      dst += block;
    }
  }
}

static void run_concat(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                       threadpool *tp) {
  const shape *s = &out->shape;
  int64_t d = ((const concat_params *)params)->dim;
  concat_job j = {in, n_in, out, (int)(d < 0 ? d + s->rank : d), 1};
  size_t outer = 1;
  (void)scratch;
  for (int i = 0; i < j.dim; i++) outer *= s->dim[i];
  for (int i = j.dim + 1; i < s->rank; i++) j.inner *= s->dim[i];
  threadpool_for(tp, outer, concat_slices, &j);
}

const op_def op_concat = {.name = "Concat",
                          .min_inputs = 1,
                          .max_inputs = CNNRT_MAX_INPUTS,
                          .params_size = sizeof(concat_params),
                          .parse = parse_concat,
                          .infer = infer_concat,
                          .run = run_concat};
