/* Sliding-window geometry shared by convolution and pooling (PyTorch's formulas). */
#ifndef CNNRT_OPS_WINDOW_H
#define CNNRT_OPS_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include "runtime/error.h"

/* One spatial axis of a sliding window. */
typedef struct {
  int64_t kernel, stride, dilation;
  int64_t pad_begin, pad_end; /* top/left and bottom/right */
  bool ceil_mode;
} window_axis;

/* Output length along one axis for input length in, as PyTorch computes it (including
 * ceil_mode's rule that the last window must start inside the input or the left padding).
 * Fails with a message naming axis_name when the output would be empty. */
cnnrt_status window_output_size(const window_axis *w, int64_t in, const char *axis_name,
                                int64_t *out, const err_ctx *e);

/* The input rows (or columns) output position o reads along one axis: [*begin, *end),
 * clipped to the input [0, in) (may be empty). *padded_len is the window's length clipped
 * only to the padded input [-pad_begin, in + pad_end), before clipping to the input:
 * AvgPool2d's count_include_pad divisor (a ceil_mode window hanging past the padding does
 * not count its overhang). Only for dilation 1. */
void window_span(const window_axis *w, int64_t o, int64_t in, int64_t *begin, int64_t *end,
                 int64_t *padded_len);

/* Adaptive pooling's window for output position o of out along an axis of length in:
 * [floor(o * in / out), ceil((o + 1) * in / out)), never empty. */
void adaptive_span(int64_t o, int64_t out, int64_t in, int64_t *begin, int64_t *end);

#endif
