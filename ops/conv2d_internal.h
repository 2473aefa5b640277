/* Conv2d internals shared by its parameter code (conv2d.c) and kernels (conv2d_run.c). */
#ifndef CNNRT_OPS_CONV2D_INTERNAL_H
#define CNNRT_OPS_CONV2D_INTERNAL_H

#include "ops/gemm.h"
#include "ops/op.h"
#include "ops/window.h"

typedef enum { PAD_ZEROS, PAD_REFLECT, PAD_REPLICATE, PAD_CIRCULAR } padding_mode;

typedef struct {
  int64_t in_channels, out_channels, groups;
  window_axis axis[2]; /* [0] = height, [1] = width */
  padding_mode mode;
  weight_ref weight, bias;
  bool has_bias;
  /* GEMM path: per group, the group's weights packed for the micro-kernel (NULL when the
   * reference path runs, see conv2d_uses_gemm) */
  float *packed;
  gemm_epilogue epilogue; /* bias and fused clamp */
} conv2d_params;

/* Rows of the im2col matrix of one group: in_channels/groups * kH * kW. */
size_t conv2d_group_k(const conv2d_params *p);

/* True when the packed GEMM path runs this conv (enough output channels per group to
 * fill the micro-kernel's rows); false for the reference path (e.g. depthwise). */
bool conv2d_uses_gemm(const conv2d_params *p);

/* Packs p->weight into p->packed (conv2d_packed_floats(p) floats, caller-owned). */
size_t conv2d_packed_floats(const conv2d_params *p);
void conv2d_pack_weights(conv2d_params *p, float *packed);

/* Scratch bytes for one sample with output size oh x ow; false on overflow. */
bool conv2d_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes);

void conv2d_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                threadpool *tp);

#endif
