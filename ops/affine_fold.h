/* Folding a per-channel affine op (eval-mode BatchNorm2d) into the op before it, so the
 * pair costs one kernel. Used by the load-time pass in runtime/fold.c. */
#ifndef CNNRT_OPS_AFFINE_FOLD_H
#define CNNRT_OPS_AFFINE_FOLD_H

#include "ops/op.h"

extern const op_def op_batchnorm2d;
/* What a folded BatchNorm2d node becomes: a view of its (already scaled) input. */
extern const op_def op_batchnorm2d_folded;

/* The per-channel y = x * scale[c] + shift[c] of a BatchNorm2d with running statistics;
 * false when the op uses batch statistics (track_running_stats=false) and cannot fold. */
bool batchnorm2d_affine(const void *params, size_t *channels, float *scale, float *shift);
size_t batchnorm2d_channels(const void *params);

/* Makes a Conv2d compute conv(x) * scale[oc] + shift[oc]: writes the scaled weights, the
 * bias and (when conv2d_packed_count is not 0) the packed weights into the caller-owned
 * buffers (sized by the three counts) and points the conv at them. */
size_t conv2d_weight_count(const void *params);
size_t conv2d_out_channels(const void *params);
size_t conv2d_packed_count(const void *params);
void conv2d_absorb_affine(void *params, const float *scale, const float *shift, float *new_weight,
                          float *new_bias, float *new_packed);

#endif
