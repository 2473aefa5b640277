/* MaxPool2d with kernel_size, stride, padding, dilation and ceil_mode as in PyTorch. */
#include "ops/attr.h"
#include "ops/pool2d.h"

typedef struct {
  window_axis axis[2]; /* [0] = height, [1] = width */
} maxpool2d_params;

static cnnrt_status parse_maxpool2d(const attr_reader *a, void *params, const err_ctx *e) {
  maxpool2d_params *p = params;
  bool return_indices;
  cnnrt_status st;
  if ((st = pool2d_parse_window(a, true, p->axis, e)) ||
      (st = attr_bool(a, "return_indices", false, &return_indices, e)))
    return st;
  if (return_indices)
    return err_set(e, CNNRT_ERR_UNSUPPORTED, "return_indices=true is not supported");
  return CNNRT_OK;
}

static cnnrt_status infer_maxpool2d(const void *params, const shape *in, int n_in, shape *out,
                                    size_t *scratch_bytes, const err_ctx *e) {
  const maxpool2d_params *p = params;
  (void)n_in;
  *scratch_bytes = 0;
  return pool2d_infer_window(p->axis, in, out, e);
}

static void run_maxpool2d(const void *params, const tensor *in, int n_in, tensor *out,
                          void *scratch, threadpool *tp) {
  const maxpool2d_params *p = params;
  (void)n_in, (void)scratch;
  pool2d_max(p->axis, in, out, tp);
}

const op_def op_maxpool2d = {.name = "MaxPool2d",
                             .min_inputs = 1,
                             .max_inputs = 1,
                             .params_size = sizeof(maxpool2d_params),
                             .flags = 0,
                             .parse = parse_maxpool2d,
                             .infer = infer_maxpool2d,
                             .run = run_maxpool2d};
