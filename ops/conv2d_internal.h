/* Conv2d internals shared by its parameter code (conv2d.c) and kernels (conv2d_run.c). */
#ifndef CNNRT_OPS_CONV2D_INTERNAL_H
#define CNNRT_OPS_CONV2D_INTERNAL_H

#include "ops/gemm.h"
#include "ops/op.h"
#include "ops/window.h"

typedef enum { PAD_ZEROS, PAD_REFLECT, PAD_REPLICATE, PAD_CIRCULAR } padding_mode;

/* How a conv runs (chosen at load by conv2d_choose_path):
 * - CONV_GEMM: cache-blocked GEMM of the weights packed at load x im2col panels packed
 *   per k block from a padded band of input rows (conv2d_gemm.c);
 * - CONV_WINOGRAD: F(4x4, 3x3) for 3x3 stride-1 undilated ungrouped zero-padded convs with
 *   enough channels: 36 GEMMs on transformed tiles, weights transformed and packed at load;
 * - CONV_DEPTHWISE: one input channel per group with zero padding: shifted row
 *   multiply-adds straight from the input, no scratch;
 * - CONV_DIRECT: per group im2col + row-wise products, for the other convs with too few
 *   output channels per group to fill the micro-kernel. Also the reference in tests. */
typedef enum { CONV_GEMM, CONV_WINOGRAD, CONV_DEPTHWISE, CONV_DIRECT } conv_path;

typedef struct {
  int64_t in_channels, out_channels, groups;
  window_axis axis[2]; /* [0] = height, [1] = width */
  padding_mode mode;
  weight_ref weight, bias;
  /* NULL, or a folded BatchNorm's per-output-channel factor of the weights (applied when
   * they are packed; the kernels that read weight directly get a scaled copy) */
  const float *weight_scale;
  bool has_bias;
  conv_path path;
  /* CONV_GEMM: per group, the group's weights packed for the micro-kernel; CONV_WINOGRAD:
   * the 36 transformed weight matrices, each packed; NULL for CONV_DIRECT */
  float *packed;
  gemm_epilogue epilogue; /* bias and fused clamp */
} conv2d_params;

/* Rows of the im2col matrix of one group: in_channels/groups * kH * kW. */
size_t conv2d_group_k(const conv2d_params *p);

/* Picks p->path from the parameters and the output size oh x ow (0 x 0: not known yet;
 * CNNRT_CONV_PATH=gemm|direct|winograd in the environment forces a path where it is
 * valid, for tests and benchmarks). */
void conv2d_choose_path(conv2d_params *p, size_t oh, size_t ow);

/* Packs p->weight into p->packed (conv2d_packed_floats(p) floats, caller-owned; 0 for
 * CONV_DIRECT, which reads the weights as they are). */
size_t conv2d_packed_floats(const conv2d_params *p);
void conv2d_pack_weights(conv2d_params *p, float *packed);

/* Scratch bytes per worker thread for output size oh x ow (the op declares
 * OP_SCRATCH_PER_THREAD); false on overflow. */
bool conv2d_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes);

/* Index into an input axis of length size for padded coordinate i (the padding mode's
 * rule), or -1 for a zero. */
int64_t conv2d_source_index(int64_t i, int64_t size, padding_mode mode);

/* The GEMM path (conv2d_gemm.c): per-thread scratch floats, and the run. */
bool conv_gemm_scratch_floats(const conv2d_params *p, size_t oh, size_t ow, size_t *floats);
void conv_gemm_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                   size_t slot_bytes, threadpool *tp);

/* The Winograd path (conv2d_winograd.c). */
size_t winograd_packed_floats(const conv2d_params *p);
void winograd_pack_weights(const conv2d_params *p, float *packed);
bool winograd_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes);
void winograd_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                  size_t slot_bytes, threadpool *tp);

/* The depthwise path (conv2d_depthwise.c); needs no scratch. */
void depthwise_run(const conv2d_params *p, const tensor *in, tensor *out, threadpool *tp);

void conv2d_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                threadpool *tp);

#endif
