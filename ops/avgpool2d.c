/* AvgPool2d with kernel_size, stride, padding, ceil_mode, count_include_pad and
 * divisor_override, dividing exactly as PyTorch's CPU kernel does. */
#include "ops/attr.h"
#include "ops/pool2d.h"

typedef struct {
  window_axis axis[2]; /* [0] = height, [1] = width */
  bool count_include_pad;
  int64_t divisor; /* divisor_override; 0 = none */
} avgpool2d_params;

static cnnrt_status parse_avgpool2d(const attr_reader *a, void *params, const err_ctx *e) {
  avgpool2d_params *p = params;
  int count = 0;
  bool present = false;
  cnnrt_status st;
  if ((st = pool2d_parse_window(a, false, p->axis, e)) ||
      (st = attr_bool(a, "count_include_pad", true, &p->count_include_pad, e)) ||
      (st = a->ints(a, "divisor_override", &p->divisor, 1, &count, &present, e)))
    return st;
  if (!present)
    p->divisor = 0;
  else if (p->divisor == 0)
    return err_set(e, CNNRT_ERR_FORMAT, "divisor_override must not be 0 (use null for none)");
  return CNNRT_OK;
}

static cnnrt_status infer_avgpool2d(const void *params, const shape *in, int n_in, shape *out,
                                    size_t *scratch_bytes, const err_ctx *e) {
  const avgpool2d_params *p = params;
  (void)n_in;
  *scratch_bytes = 0;
  return pool2d_infer_window(p->axis, in, out, e);
}

static void run_avgpool2d(const void *params, const tensor *in, int n_in, tensor *out,
                          void *scratch, threadpool *tp) {
  const avgpool2d_params *p = params;
  (void)n_in, (void)scratch;
  pool2d_avg(p->axis, p->count_include_pad, p->divisor, in, out, tp);
}

const op_def op_avgpool2d = {.name = "AvgPool2d",
                             .min_inputs = 1,
                             .max_inputs = 1,
                             .params_size = sizeof(avgpool2d_params),
                             .flags = 0,
                             .parse = parse_avgpool2d,
                             .infer = infer_avgpool2d,
                             .run = run_avgpool2d};
