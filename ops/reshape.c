/* Reshape (torch.reshape / Tensor.view / Tensor.reshape) and Unflatten(dim,
 * unflattened_size): views, nothing is copied. Sizes follow PyTorch's infer_size: every
 * entry positive except at most one -1, which takes whatever makes the element counts
 * match. Reshape is evaluated at the session's batch size, so an exporter writes -1 for
 * the batch-dependent dim. */
#include <inttypes.h>
#include <stdio.h>
#include "ops/attr.h"
#include "runtime/checked.h"

typedef struct {
  int64_t size[CNNRT_MAX_RANK];
  int count;
} sizes;

/* "[2, -1, 5]" into buf. */
static void format_sizes(const sizes *s, char *buf, size_t buf_size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < s->count && used < buf_size; i++) {
    int n = snprintf(buf + used, buf_size - used, "%s%" PRId64, i ? ", " : "[", s->size[i]);
    if (n < 0) return;
    used += (size_t)n;
  }
  if (used < buf_size) snprintf(buf + used, buf_size - used, "]");
}

/* A required array of 1..CNNRT_MAX_RANK sizes, each positive or -1 (at most one -1). */
static cnnrt_status parse_sizes(const attr_reader *a, const char *key, sizes *s, const err_ctx *e) {
  bool present = false;
  int inferred = -1;
  cnnrt_status st = a->ints(a, key, s->size, CNNRT_MAX_RANK, &s->count, &present, e);
  if (st != CNNRT_OK) return st;
  if (!present) return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter %s", key);
  for (int i = 0; i < s->count; i++) {
    int64_t v = s->size[i];
    if (v == ATTR_NONE)
      return err_set(e, CNNRT_ERR_FORMAT, "%s[%d] must be an integer, got null", key, i);
    if (v == 0)
      return err_set(e, CNNRT_ERR_UNSUPPORTED,
                     "%s[%d] = 0 gives an empty tensor, which cnnrt does not run", key, i);
    if (v < -1 || v > (int64_t)1 << 40)
      return err_set(e, CNNRT_ERR_FORMAT, "%s[%d] must be a positive size or -1, got %" PRId64, key,
                     i, v);
    if (v == -1 && inferred >= 0)
      return err_set(e, CNNRT_ERR_FORMAT,
                     "%s has -1 at [%d] and [%d]: only one dimension can be inferred", key,
                     inferred, i);
    if (v == -1) inferred = i;
  }
  return CNNRT_OK;
}

/* The sizes with -1 resolved so that their product is numel; false when impossible. */
static bool resolve_sizes(const sizes *s, size_t numel, size_t *out) {
  size_t known = 1;
  int inferred = -1;
  for (int i = 0; i < s->count; i++) {
    if (s->size[i] == -1) {
      inferred = i;
      continue;
    }
    out[i] = (size_t)s->size[i];
    if (!mul_size(known, out[i], &known)) return false;
  }
  if (inferred < 0) return known == numel;
  out[inferred] = numel / known;
  return numel % known == 0 && out[inferred] > 0;
}

static cnnrt_status parse_reshape(const attr_reader *a, void *params, const err_ctx *e) {
  return parse_sizes(a, "shape", params, e);
}

static cnnrt_status infer_reshape(const void *params, const shape *in, int n_in, shape *out,
                                  size_t *scratch_bytes, const err_ctx *e) {
  const sizes *s = params;
  (void)n_in;
  *scratch_bytes = 0;
  out->rank = s->count;
  if (resolve_sizes(s, shape_numel(in), out->dim)) return CNNRT_OK;
  char want[160], got[128];
  format_sizes(s, want, sizeof want);
  shape_format(in, got, sizeof got);
  return err_set(e, CNNRT_ERR_SHAPE, "shape %s is invalid for the input %s (%zu elements)", want,
                 got, shape_numel(in));
}

typedef struct {
  int64_t dim;
  sizes unflattened;
} unflatten_params;

static cnnrt_status parse_unflatten(const attr_reader *a, void *params, const err_ctx *e) {
  unflatten_params *p = params;
  cnnrt_status st;
  if ((st = attr_int_required(a, "dim", &p->dim, e))) return st;
  return parse_sizes(a, "unflattened_size", &p->unflattened, e);
}

static cnnrt_status infer_unflatten(const void *params, const shape *in, int n_in, shape *out,
                                    size_t *scratch_bytes, const err_ctx *e) {
  const unflatten_params *p = params;
  int dim, count = p->unflattened.count, rank = in->rank - 1 + count;
  size_t dims[CNNRT_MAX_RANK];
  cnnrt_status st;
  (void)n_in;
  *scratch_bytes = 0;
  if ((st = attr_wrap_dim("dim", p->dim, in->rank, &dim, e))) return st;
  if (rank > CNNRT_MAX_RANK)
    return err_set(e, CNNRT_ERR_UNSUPPORTED, "the output would be %d-D; cnnrt supports up to %d-D",
                   rank, CNNRT_MAX_RANK);
  if (!resolve_sizes(&p->unflattened, in->dim[dim], dims)) {
    char text[160];
    format_sizes(&p->unflattened, text, sizeof text);
    return err_set(e, CNNRT_ERR_SHAPE,
                   "unflattened_size %s does not multiply up to the size of dim %d (%zu)", text,
                   dim, in->dim[dim]);
  }
  out->rank = 0;
  for (int i = 0; i < in->rank; i++) {
    if (i != dim) {
      out->dim[out->rank++] = in->dim[i];
      continue;
    }
    for (int k = 0; k < count; k++) out->dim[out->rank++] = dims[k];
  }
  return CNNRT_OK;
}

const op_def op_reshape = {.name = "Reshape",
                           .min_inputs = 1,
                           .max_inputs = 1,
                           .params_size = sizeof(sizes),
                           .flags = OP_VIEW,
                           .parse = parse_reshape,
                           .infer = infer_reshape};

const op_def op_unflatten = {.name = "Unflatten",
                             .min_inputs = 1,
                             .max_inputs = 1,
                             .params_size = sizeof(unflatten_params),
                             .flags = OP_VIEW,
                             .parse = parse_unflatten,
                             .infer = infer_unflatten};
