/* Mean(dim, keepdim): torch.mean over one or several dims (negative count from the end),
 * e.g. x.mean([2, 3]) as global average pooling. Sums in index order. */
#include <inttypes.h>
#include "ops/attr.h"

typedef struct {
  int count;
  int64_t dims[CNNRT_MAX_RANK];
  bool keepdim;
} mean_params;

static cnnrt_status parse_mean(const attr_reader *a, void *params, const err_ctx *e) {
  mean_params *p = params;
  bool present = false;
  cnnrt_status st = a->ints(a, "dim", p->dims, CNNRT_MAX_RANK, &p->count, &present, e);
  if (st != CNNRT_OK) return st;
  if (!present) return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter dim");
  return attr_bool(a, "keepdim", false, &p->keepdim, e);
}

/* reduced[i]: whether input dim i is averaged over. */
static cnnrt_status reduced_dims(const mean_params *p, int rank, bool *reduced, const err_ctx *e) {
  for (int i = 0; i < rank; i++) reduced[i] = false;
  for (int k = 0; k < p->count; k++) {
    int d;
    cnnrt_status st = attr_wrap_dim("dim", p->dims[k], rank, &d, e);
    if (st != CNNRT_OK) return st;
    if (reduced[d]) return err_set(e, CNNRT_ERR_FORMAT, "dim repeats dimension %d", d);
    reduced[d] = true;
  }
  return CNNRT_OK;
}

static cnnrt_status infer_mean(const void *params, const shape *in, int n_in, shape *out,
                               size_t *scratch_bytes, const err_ctx *e) {
  const mean_params *p = params;
  bool reduced[CNNRT_MAX_RANK];
  (void)n_in;
  cnnrt_status st = reduced_dims(p, in->rank, reduced, e);
  if (st != CNNRT_OK) return st;
  out->rank = 0;
  for (int i = 0; i < in->rank; i++)
    if (!reduced[i])
      out->dim[out->rank++] = in->dim[i];
    else if (p->keepdim)
      out->dim[out->rank++] = 1;
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  const float *x;
  float *y;
  int rank;
  size_t dim[CNNRT_MAX_RANK], stride[CNNRT_MAX_RANK];
  bool reduced[CNNRT_MAX_RANK];
  size_t count; /* elements averaged per output */
} mean_job;

/* Input offset of the k-th kept / reduced combination (dims of the given kind, in order). */
static size_t offset_of(const mean_job *j, size_t k, bool reduced) {
  size_t off = 0;
  for (int i = j->rank - 1; i >= 0; i--)
    if (j->reduced[i] == reduced) {
      off += k % j->dim[i] * j->stride[i];
      k /= j->dim[i];
    }
  return off;
}

static void mean_outputs(void *ctx, size_t begin, size_t end) {
  const mean_job *j = ctx;
  for (size_t o = begin; o < end; o++) {
    const float *base = j->x + offset_of(j, o, false);
    float sum = 0.0f;
    for (size_t k = 0; k < j->count; k++) sum += base[offset_of(j, k, true)];
    j->y[o] = sum / (float)j->count;
  }
}

static void run_mean(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                     threadpool *tp) {
  const shape *s = &in[0].shape;
  mean_job j = {.x = in[0].data, .y = out->data, .rank = s->rank};
  size_t step = 1;
  (void)n_in, (void)scratch;
  reduced_dims(params, s->rank, j.reduced, NULL); /* validated by infer */
  j.count = 1;
  for (int i = s->rank - 1; i >= 0; i--) {
    j.dim[i] = s->dim[i];
    j.stride[i] = step;
    step *= s->dim[i];
    if (j.reduced[i]) j.count *= s->dim[i];
  }
  threadpool_for(tp, shape_numel(&out->shape), mean_outputs, &j);
}

const op_def op_mean = {.name = "Mean",
                        .min_inputs = 1,
                        .max_inputs = 1,
                        .params_size = sizeof(mean_params),
                        .parse = parse_mean,
                        .infer = infer_mean,
                        .run = run_mean};
