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

#endif
