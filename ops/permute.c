/* Permute(dims): torch.permute / Tensor.transpose made contiguous (channel shuffle writes
 * view -> transpose(1, 2) -> contiguous -> view). A copy into the permuted layout. */
#include <inttypes.h>
#include "ops/attr.h"

typedef struct {
  int rank;
  int64_t dims[CNNRT_MAX_RANK];
} permute_params;

static cnnrt_status parse_permute(const attr_reader *a, void *params, const err_ctx *e) {
  permute_params *p = params;
  bool present = false;
  cnnrt_status st = a->ints(a, "dims", p->dims, CNNRT_MAX_RANK, &p->rank, &present, e);
  if (st != CNNRT_OK) return st;
  if (!present) return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter dims");
  return CNNRT_OK;
}

static cnnrt_status infer_permute(const void *params, const shape *in, int n_in, shape *out,
                                  size_t *scratch_bytes, const err_ctx *e) {
  const permute_params *p = params;
  bool seen[CNNRT_MAX_RANK] = {false};
  (void)n_in;
  if (p->rank != in->rank)
    return err_set(e, CNNRT_ERR_SHAPE, "dims has %d entries, the input is %d-D", p->rank, in->rank);
  out->rank = in->rank;
  for (int i = 0; i < p->rank; i++) {
    int d;
    cnnrt_status st = attr_wrap_dim("dims", p->dims[i], in->rank, &d, e);
    if (st != CNNRT_OK) return st;
    if (seen[d]) return err_set(e, CNNRT_ERR_FORMAT, "dims repeats dimension %d", d);
    seen[d] = true;
    out->dim[i] = in->dim[d];
  }
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  const float *x;
  float *y;
  int rank;
  size_t out_dim[CNNRT_MAX_RANK];
  size_t src_stride[CNNRT_MAX_RANK]; /* input stride of each output dim */
} permute_job;

/* Output rows [begin, end) (the last output dim). */
static void permute_rows(void *ctx, size_t begin, size_t end) {
  const permute_job *j = ctx;
  int last = j->rank - 1;
  for (size_t row = begin; row < end; row++) {
    size_t rest = row, src = 0;
    for (int i = last - 1; i >= 0; i--) {
      src += rest % j->out_dim[i] * j->src_stride[i];
      rest /= j->out_dim[i];
    }
    float *dst = j->y + row * j->out_dim[last];
    for (size_t k = 0; k < j->out_dim[last]; k++) dst[k] = j->x[src + k * j->src_stride[last]];
  }
}

static void run_permute(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                        threadpool *tp) {
  const permute_params *p = params;
  const shape *s = &in[0].shape;
  permute_job j = {.x = in[0].data, .y = out->data, .rank = s->rank};
  size_t stride[CNNRT_MAX_RANK], step = 1;
  (void)n_in, (void)scratch;
  for (int i = s->rank - 1; i >= 0; i--) stride[i] = step, step *= s->dim[i];
  for (int i = 0; i < s->rank; i++) {
    int d = (int)(p->dims[i] < 0 ? p->dims[i] + s->rank : p->dims[i]);
    j.out_dim[i] = out->shape.dim[i];
    j.src_stride[i] = stride[d];
  }
  threadpool_for(tp, shape_numel(&out->shape) / j.out_dim[s->rank - 1], permute_rows, &j);
}

const op_def op_permute = {.name = "Permute",
                           .min_inputs = 1,
                           .max_inputs = 1,
                           .params_size = sizeof(permute_params),
                           .parse = parse_permute,
                           .infer = infer_permute,
                           .run = run_permute};
