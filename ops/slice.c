/* Slice(dim, start, end, step): x[..., start:end:step, ...] along one dim with Python's
 * rules (negative start/end count from the end, out-of-range values clamp; step >= 1).
 * What an exporter writes for torch.chunk / torch.split / narrow / basic indexing. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include "ops/attr.h"

typedef struct {
  int64_t dim, start, end, step;
} slice_params;

static cnnrt_status parse_slice(const attr_reader *a, void *params, const err_ctx *e) {
  slice_params *p = params;
  cnnrt_status st;
  if ((st = attr_int_required(a, "dim", &p->dim, e)) ||
      (st = attr_int(a, "start", 0, &p->start, e)) ||
      (st = attr_int(a, "end", INT64_MAX, &p->end, e)) ||
      (st = attr_int(a, "step", 1, &p->step, e)))
    return st;
  return attr_check_min("step", p->step, 1, e);
}

/* Python's slice index clamping for a dim of length n. */
static int64_t clamp_index(int64_t i, int64_t n) {
  if (i < 0) i += n;
  return i < 0 ? 0 : i > n ? n : i;
}

static cnnrt_status infer_slice(const void *params, const shape *in, int n_in, shape *out,
                                size_t *scratch_bytes, const err_ctx *e) {
  const slice_params *p = params;
  int dim;
  (void)n_in;
  cnnrt_status st = attr_wrap_dim("dim", p->dim, in->rank, &dim, e);
  if (st != CNNRT_OK) return st;
  int64_t n = (int64_t)in->dim[dim], start = clamp_index(p->start, n), end = clamp_index(p->end, n);
  if (end <= start)
    return err_set(e, CNNRT_ERR_SHAPE,
                   "start %" PRId64 " / end %" PRId64 " select nothing of dim %d (size %" PRId64
                   "): empty tensors are not supported",
                   p->start, p->end, dim, n);
  *out = *in;
  out->dim[dim] = (size_t)((end - start + p->step - 1) / p->step);
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  const float *x;
  float *y;
  size_t in_len, out_len, inner; /* along dim, and elements per step of dim */
  size_t start, step;
} slice_job;

/* Outer slices [begin, end) (the dims before dim). */
static void slice_outer(void *ctx, size_t begin, size_t end) {
  const slice_job *j = ctx;
  for (size_t o = begin; o < end; o++) {
    const float *src = j->x + o * j->in_len * j->inner;
    float *dst = j->y + o * j->out_len * j->inner;
    for (size_t k = 0; k < j->out_len; k++)
      memcpy(dst + k * j->inner, src + (j->start + k * j->step) * j->inner,
             j->inner * sizeof(float));
  }
}

static void run_slice(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                      threadpool *tp) {
  const slice_params *p = params;
  const shape *s = &in[0].shape;
  int dim = (int)(p->dim < 0 ? p->dim + s->rank : p->dim);
  slice_job j = {
      in[0].data,          out->data, s->dim[dim],
      out->shape.dim[dim], 1,         (size_t)clamp_index(p->start, (int64_t)s->dim[dim]),
      (size_t)p->step};
  size_t outer = 1;
  (void)n_in, (void)scratch;
  for (int i = 0; i < dim; i++) outer *= s->dim[i];
  for (int i = dim + 1; i < s->rank; i++) j.inner *= s->dim[i];
  threadpool_for(tp, outer, slice_outer, &j);
}

const op_def op_slice = {.name = "Slice",
                         .min_inputs = 1,
                         .max_inputs = 1,
                         .params_size = sizeof(slice_params),
                         .parse = parse_slice,
                         .infer = infer_slice,
                         .run = run_slice};
