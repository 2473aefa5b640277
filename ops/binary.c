/* Add, Sub, Mul, Div of two tensors with PyTorch's (NumPy's) broadcasting: shapes are
 * aligned at the last dimension, each pair of dims equal or one of them 1. What an exporter
 * writes for `x + y`, `torch.add(x, y)`, `x * gate` (squeeze-excitation), ... */
#include <string.h>
#include "ops/attr.h"

typedef enum { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_DIV } binary_kind;

typedef struct {
  binary_kind kind;
} binary_params;

static cnnrt_status parse_kind(void *params, binary_kind kind) {
  ((binary_params *)params)->kind = kind;
  return CNNRT_OK;
}

#define BINARY_PARSER(name, kind)                                                                  \
  static cnnrt_status name(const attr_reader *a, void *params, const err_ctx *e) {                 \
    (void)a, (void)e;                                                                              \
    return parse_kind(params, kind);                                                               \
  }
BINARY_PARSER(parse_add, BINARY_ADD)
BINARY_PARSER(parse_sub, BINARY_SUB)
BINARY_PARSER(parse_mul, BINARY_MUL)
BINARY_PARSER(parse_div, BINARY_DIV)

/* Input k's dims right-aligned to rank (missing leading dims are 1). */
static size_t aligned_dim(const shape *s, int rank, int i) {
  int at = i - (rank - s->rank);
  return at < 0 ? 1 : s->dim[at];
}

static cnnrt_status infer_binary(const void *params, const shape *in, int n_in, shape *out,
                                 size_t *scratch_bytes, const err_ctx *e) {
  (void)params, (void)n_in;
  int rank = in[0].rank > in[1].rank ? in[0].rank : in[1].rank;
  out->rank = rank;
  for (int i = 0; i < rank; i++) {
    size_t a = aligned_dim(&in[0], rank, i), b = aligned_dim(&in[1], rank, i);
    if (a != b && a != 1 && b != 1) {
      char sa[96], sb[96];
      shape_format(&in[0], sa, sizeof sa);
      shape_format(&in[1], sb, sizeof sb);
      return err_set(e, CNNRT_ERR_SHAPE, "inputs %s and %s cannot be broadcast together (dim %d)",
                     sa, sb, i);
    }
    out->dim[i] = a == 1 ? b : a;
  }
  *scratch_bytes = 0;
  return CNNRT_OK;
}

typedef struct {
  binary_kind kind;
  const float *a, *b;
  float *y;
  int rank;
  size_t dim[CNNRT_MAX_RANK];
  size_t stride_a[CNNRT_MAX_RANK], stride_b[CNNRT_MAX_RANK]; /* 0 on broadcast dims */
} binary_job;

/* y[i] = a[i * sa] op b[i * sb] for n elements. */
static void combine(binary_kind kind, const float *a, size_t sa, const float *b, size_t sb,
                    float *y, size_t n) {
  switch (kind) {
  case BINARY_ADD:
    for (size_t i = 0; i < n; i++) y[i] = a[i * sa] + b[i * sb];
    break;
  case BINARY_SUB:
    for (size_t i = 0; i < n; i++) y[i] = a[i * sa] - b[i * sb];
    break;
  case BINARY_MUL:
    for (size_t i = 0; i < n; i++) y[i] = a[i * sa] * b[i * sb];
    break;
  case BINARY_DIV:
    for (size_t i = 0; i < n; i++) y[i] = a[i * sa] / b[i * sb];
    break;
  }
}

/* Output rows [begin, end) (a row = the last dimension). */
static void binary_rows(void *ctx, size_t begin, size_t end) {
  const binary_job *j = ctx;
  int last = j->rank - 1;
  size_t len = j->dim[last];
  for (size_t row = begin; row < end; row++) {
    size_t rest = row, off_a = 0, off_b = 0;
    for (int i = last - 1; i >= 0; i--) {
      size_t idx = rest % j->dim[i];
      rest /= j->dim[i];
      off_a += idx * j->stride_a[i];
      off_b += idx * j->stride_b[i];
    }
    combine(j->kind, j->a + off_a, j->stride_a[last], j->b + off_b, j->stride_b[last],
            j->y + row * len, len);
  }
}

/* Element strides of input s broadcast to the job's shape. */
static void broadcast_strides(const shape *s, const binary_job *j, size_t *stride) {
  size_t step = 1;
  for (int i = j->rank - 1; i >= 0; i--) {
    size_t d = aligned_dim(s, j->rank, i);
    stride[i] = d == 1 ? 0 : step;
    step *= d;
  }
}

static void run_binary(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                       threadpool *tp) {
  binary_job j = {.kind = ((const binary_params *)params)->kind,
                  .a = in[0].data,
                  .b = in[1].data,
                  .y = out->data,
                  .rank = out->shape.rank};
  (void)n_in, (void)scratch;
  if (j.rank == 0) { /* a 0-D result: one element */
    combine(j.kind, j.a, 0, j.b, 0, j.y, 1);
    return;
  }
  memcpy(j.dim, out->shape.dim, sizeof j.dim);
  broadcast_strides(&in[0].shape, &j, j.stride_a);
  broadcast_strides(&in[1].shape, &j, j.stride_b);
  threadpool_for(tp, shape_numel(&out->shape) / j.dim[j.rank - 1], binary_rows, &j);
}

/* OP_ELEMENTWISE: the session runs it in place on input 0 when that input already has the
 * output's shape and nothing reads it later (each element is read before it is written). */
#define BINARY_OP(sym, op_name, parser)                                                            \
  const op_def sym = {.name = op_name,                                                             \
                      .min_inputs = 2,                                                             \
                      .max_inputs = 2,                                                             \
                      .params_size = sizeof(binary_params),                                        \
                      .flags = OP_ELEMENTWISE,                                                     \
                      .parse = parser,                                                             \
                      .infer = infer_binary,                                                       \
                      .run = run_binary};
BINARY_OP(op_add, "Add", parse_add)
BINARY_OP(op_sub, "Sub", parse_sub)
BINARY_OP(op_mul, "Mul", parse_mul)
BINARY_OP(op_div, "Div", parse_div)
