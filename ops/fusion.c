/* The fusion helpers that are not owned by one op (see ops/fusion.h). */
#include <math.h>
#include "ops/fusion.h"

bool activation_clamp(const op_def *op, const void *params, float *min, float *max) {
  (void)params;
  if (op == op_find("ReLU"))
    *min = 0.0f, *max = INFINITY;
  else if (op && op == op_find("ReLU6"))
    *min = 0.0f, *max = 6.0f;
  else
    return false;
  return true;
}

bool gemm_op_absorb_clamp(const op_def *op, void *params, float min, float max) {
  if (op == &op_conv2d)
    conv2d_absorb_clamp(params, min, max);
  else if (op == &op_linear)
    linear_absorb_clamp(params, min, max);
  else
    return false;
  return true;
}
