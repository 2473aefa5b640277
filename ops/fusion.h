/* Load-time fusions (the pass is runtime/fold.c): a per-channel affine op (eval-mode
 * BatchNorm2d) folded into the conv before it, and a clamping activation (ReLU, ReLU6)
 * folded into the epilogue of the Conv2d / Linear before it, so each pair costs one
 * kernel. The absorbed node stays in the graph as a view, so summaries still show it. */
#ifndef CNNRT_OPS_FUSION_H
#define CNNRT_OPS_FUSION_H

#include "ops/op.h"

extern const op_def op_batchnorm2d;

/* The per-channel y = x * scale[c] + shift[c] of a BatchNorm2d with running statistics;
 * false when the op uses batch statistics (track_running_stats=false) and cannot fold. */
bool batchnorm2d_affine(const void *params, size_t *channels, float *scale, float *shift);
size_t batchnorm2d_channels(const void *params);

/* Makes a Conv2d compute conv(x) * scale[oc] + shift[oc]: writes its per-channel weight
 * scale and its bias into the caller-owned buffers (out_channels floats each) and points
 * the conv at them. The weights themselves are scaled when prepare packs them (no copy of
 * the model's weights is made for the packed kernels). */
size_t conv2d_out_channels(const void *params);
void conv2d_absorb_affine(void *params, const float *scale, const float *shift, float *new_scale,
                          float *new_bias);

/* The clamp [min, max] of a ReLU / ReLU6 node; false for any other op. */
bool activation_clamp(const op_def *op, const void *params, float *min, float *max);

/* Makes a Conv2d / Linear clamp its output to [min, max] (intersected with any clamp it
 * already has); false when op is neither. */
bool gemm_op_absorb_clamp(const op_def *op, void *params, float min, float max);
void conv2d_absorb_clamp(void *params, float min, float max);
void linear_absorb_clamp(void *params, float min, float max);
extern const op_def op_conv2d, op_linear;

#endif
