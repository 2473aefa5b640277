#include "ops/window.h"

#include <inttypes.h>

/* floor division for a possibly negative numerator and positive divisor */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

cnnrt_status window_output_size(const window_axis *w, int64_t in, const char *axis_name,
                                int64_t *out, const err_ctx *e) {
  int64_t span = w->dilation * (w->kernel - 1) + 1; /* effective kernel extent */
  int64_t padded = in + w->pad_begin + w->pad_end;
  int64_t n = floor_div(padded - span + (w->ceil_mode ? w->stride - 1 : 0), w->stride) + 1;
  if (w->ceil_mode && (n - 1) * w->stride >= in + w->pad_begin) n--;
  if (n < 1)
    return err_set(e, CNNRT_ERR_SHAPE,
                   "input %s %" PRId64 " (padded %" PRId64 ") is smaller than the window "
                   "extent %" PRId64 " (kernel_size %" PRId64 ", dilation %" PRId64 ")",
                   axis_name, in, padded, span, w->kernel, w->dilation);
  *out = n;
  return CNNRT_OK;
}

void window_span(const window_axis *w, int64_t o, int64_t in, int64_t *begin, int64_t *end,
                 int64_t *padded_len) {
  int64_t b = o * w->stride - w->pad_begin;
  int64_t e = b + w->kernel < in + w->pad_end ? b + w->kernel : in + w->pad_end;
  *padded_len = e - b;
  *begin = b > 0 ? b : 0;
  *end = e < in ? e : in;
}

void adaptive_span(int64_t o, int64_t out, int64_t in, int64_t *begin, int64_t *end) {
  *begin = o * in / out;
  *end = ((o + 1) * in + out - 1) / out;
}
