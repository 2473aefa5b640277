/* Conv2d kernels. Every path gives each worker thread its own scratch slot (the op
 * declares OP_SCRATCH_PER_THREAD) and splits one flat task space that includes the batch,
 * so a layer is one parallel loop whatever the batch size; each output element is computed
 * by one task in a fixed order, so results never depend on the thread count. */
#include <stdlib.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "runtime/checked.h"

/* Output channels per group below which the micro-kernel's rows would mostly idle. */
#define GEMM_MIN_CHANNELS_PER_GROUP 4

size_t conv2d_group_k(const conv2d_params *p) {
  return (size_t)(p->in_channels / p->groups * p->axis[0].kernel * p->axis[1].kernel);
}

/* Where each 3x3 variant runs (output pixels; measured at batch 1, 1 thread, 32 to 1024
 * channels, `CNNRT_CONV_PATH` / `CNNRT_WINOGRAD_TILE` forcing each in turn):
 * - below 5 x 5, GEMM (4 x 4: 128 channels 0.075 ms GEMM, 0.105 F(2x2, 3x3); 512: 1.0 / 1.7);
 * - 5 x 5 to 11 x 11, F(2x2, 3x3): its transformed weights (16 positions) are streamed for
 *   9+ tiles, those of F(4x4, 3x3) (36) for 4 (512 channels at 7 x 7: GEMM 2.85 ms, F(2x2)
 *   1.65, F(4x4) 3.7; 128 at 7 x 7: 0.20 / 0.133 / 0.24; 128 -> 32 at 7 x 7: 0.085 / 0.048
 *   / 0.095; 64 at 5 x 5: 0.051 / 0.033 / 0.068; 128 at 10 x 10: 0.39 / 0.21 / 0.25);
 * - 12 x 12 to 17 x 17, F(4x4, 3x3) (even with F(2x2) at 12 x 12, ahead from 14 x 14); F(6x6,
 *   3x3) is slower there at batch 1 (12 x 12: 0.43 against 0.28 ms at 128 channels);
 * - from 18 x 18, F(6x6, 3x3) where it costs at most 0.8x F(4x4, 3x3) (winograd_variant).
 * F(4x4, 5x5)'s transformed weights are only 2.56x the plain ones (F(2x2, 5x5) 1.44x): no
 * minimum for 5x5. */
#define WINOGRAD_MIN_PIXELS_3X3 25
#define WINOGRAD_F23_BELOW_PIXELS 144
#define WINOGRAD_F63_MIN_PIXELS 324
#define WINOGRAD_MIN_PIXELS_5X5 0

/* The multiplications of a Winograd variant per sample, up to a constant: positions x the
 * tiles the GEMMs run on (a sample's tiles rounded up to whole panels of GEMM_NR, or as they
 * are when panels hold several samples). */
static size_t winograd_cost(wino_variant v, size_t oh, size_t ow) {
  size_t tile = winograd_tile_out(v), tile_in = winograd_tile_in(v);
  size_t tiles = ((oh + tile - 1) / tile) * ((ow + tile - 1) / tile);
  if (tiles >= GEMM_NR) tiles = (tiles + GEMM_NR - 1) / GEMM_NR * GEMM_NR;
  return tile_in * tile_in * tiles;
}

/* The Winograd variant for a 3x3 or 5x5 conv with an oh x ow output (0 x 0: not known yet),
 * by cost (measured, 1 thread, AVX2):
 * - 5x5: F(4x4, 5x5) wherever it costs no more than F(2x2, 5x5) (2.1x faster at 16 x 16 and
 *   8 x 8, 2.2x at 32 x 32 and 28 x 28 256 channels, 1.13x at 6 x 6 where its cost is 0.79x);
 *   F(2x2, 5x5) where it costs less (outputs of about 2 x 2: 2.3x faster there);
 * - 3x3: by map size (see WINOGRAD_MIN_PIXELS_3X3); from 18 x 18, F(6x6, 3x3) only where it
 *   costs at most 0.8x F(4x4, 3x3) (1.2x to 1.5x faster at 18 x 18 and 24 x 24): at 0.83x
 *   (112 x 112, 224 x 224) the two are even, at 0.89x (28 x 28) to 1x F(4x4, 3x3) is 10% to
 *   30% faster (the bigger transformed weights, 7.1x the plain ones, are streamed for the
 *   few tiles of a sample). */
static wino_variant winograd_variant(const conv2d_params *p, size_t oh, size_t ow) {
  bool k3 = p->axis[0].kernel == 3;
  const char *force = getenv("CNNRT_WINOGRAD_TILE");
  if (force && strcmp(force, k3 ? "6" : "4") == 0) return k3 ? WINO_F6_3 : WINO_F4_5;
  if (force && strcmp(force, k3 ? "4" : "2") == 0) return k3 ? WINO_F4_3 : WINO_F2_5;
  if (force && k3 && strcmp(force, "2") == 0) return WINO_F2_3;
  if (!oh) return k3 ? WINO_F4_3 : WINO_F4_5;
  if (!k3)
    return winograd_cost(WINO_F4_5, oh, ow) <= winograd_cost(WINO_F2_5, oh, ow) ? WINO_F4_5
                                                                                : WINO_F2_5;
  size_t pixels = oh * ow;
  if (pixels < WINOGRAD_F23_BELOW_PIXELS) return WINO_F2_3;
  if (pixels < WINOGRAD_F63_MIN_PIXELS) return WINO_F4_3;
  return 5 * winograd_cost(WINO_F6_3, oh, ow) <= 4 * winograd_cost(WINO_F4_3, oh, ow) ? WINO_F6_3
                                                                                      : WINO_F4_3;
}

/* Winograd for a 3x3 or 5x5 conv (conv2d_winograd.c). */
static bool winograd_applies(const conv2d_params *p, size_t oh, size_t ow) {
  int64_t k = p->axis[0].kernel;
  if (k != 3 && k != 5) return false;
  for (int i = 0; i < 2; i++)
    if (p->axis[i].kernel != k || p->axis[i].stride != 1 || p->axis[i].dilation != 1) return false;
  const char *force = getenv("CNNRT_CONV_PATH");
  bool forced = force && strcmp(force, "winograd") == 0;
  size_t min_pixels = k == 3 ? WINOGRAD_MIN_PIXELS_3X3 : WINOGRAD_MIN_PIXELS_5X5;
  if (oh && oh * ow < min_pixels && !forced) return false;
  /* below ~16 channels the transforms cost more than the multiplications they save */
  return p->groups == 1 && p->mode == PAD_ZEROS && p->in_channels >= 16 && p->out_channels >= 16;
}

void conv2d_choose_path(conv2d_params *p, size_t oh, size_t ow) {
  const char *force = getenv("CNNRT_CONV_PATH");
  bool gemm_ok = p->out_channels / p->groups >= GEMM_MIN_CHANNELS_PER_GROUP;
  if (force && strcmp(force, "direct") == 0)
    p->path = CONV_DIRECT;
  else if (force && strcmp(force, "gemm") == 0)
    p->path = gemm_ok ? CONV_GEMM : CONV_DIRECT;
  else if (winograd_applies(p, oh, ow)) {
    p->path = CONV_WINOGRAD;
    p->wino = winograd_variant(p, oh, ow);
  } else if (gemm_ok)
    p->path = CONV_GEMM;
  else if (p->in_channels == p->groups && p->mode == PAD_ZEROS)
    p->path = CONV_DEPTHWISE;
  else
    p->path = CONV_DIRECT;
}

size_t conv2d_packed_floats(const conv2d_params *p) {
  if (p->path == CONV_WINOGRAD) return winograd_packed_floats(p);
  if (p->path == CONV_DIRECT || p->path == CONV_DEPTHWISE) return 0;
  return (size_t)p->groups *
         gemm_packed_a_floats((size_t)(p->out_channels / p->groups), conv2d_group_k(p));
}

void conv2d_pack_weights(conv2d_params *p, float *packed) {
  size_t m = (size_t)(p->out_channels / p->groups), k = conv2d_group_k(p);
  if (p->path == CONV_DIRECT || p->path == CONV_DEPTHWISE) return; /* weights as they are */
  if (p->path == CONV_WINOGRAD)
    winograd_pack_weights(p, packed, 0, winograd_pack_panels(p));
  else
    for (size_t g = 0; g < (size_t)p->groups; g++)
      gemm_pack_a_scaled(p->weight.data + g * m * k, k, m, k,
                         p->weight_scale ? p->weight_scale + g * m : NULL,
                         packed + g * gemm_packed_a_floats(m, k));
  p->packed = packed;
}

bool conv2d_is_pointwise(const conv2d_params *p) {
  for (int i = 0; i < 2; i++)
    if (p->axis[i].kernel != 1 || p->axis[i].stride != 1 || p->axis[i].pad_begin ||
        p->axis[i].pad_end)
      return false;
  return true;
}

bool conv2d_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes) {
  size_t floats = 0;
  if (p->path == CONV_WINOGRAD) return winograd_scratch_bytes(p, oh, ow, bytes);
  if (p->path == CONV_DEPTHWISE) {
    if (!depthwise_small_floats(p, oh, ow, &floats)) floats = 0;
    return mul_size(floats, sizeof(float), bytes);
  }
  if (p->path == CONV_GEMM) {
    if (!conv_gemm_scratch_floats(p, oh, ow, &floats)) return false;
  } else if (!conv2d_is_pointwise(p) &&
             !(mul_size(oh, ow, &floats) && mul_size(floats, conv2d_group_k(p), &floats)))
    return false; /* CONV_DIRECT: one group's im2col */
  return mul_size(floats, sizeof(float), bytes);
}

int64_t conv2d_source_index(int64_t i, int64_t size, padding_mode mode) {
  if (i >= 0 && i < size) return i;
  switch (mode) {
  case PAD_ZEROS:
    return -1;
  case PAD_REFLECT:
    return i < 0 ? -i : 2 * (size - 1) - i;
  case PAD_REPLICATE:
    return i < 0 ? 0 : size - 1;
  case PAD_CIRCULAR:
    return ((i % size) + size) % size;
  }
  return -1;
}

typedef struct {
  const conv2d_params *p;
  const float *input; /* [N, C, H, W] */
  float *output;      /* [N, OC, OH, OW] */
  char *scratch;      /* one slot of slot_bytes per worker */
  size_t slot_bytes;
  int64_t h, w, oh, ow;
  /* filled per task: */
  const float *image; /* one sample */
} conv_job;

/* ---- Direct path ------------------------------------------------------------------ */

/* im2col of group g of the sample into cols (k rows of oh * ow). */
static void im2col_group(const conv_job *j, size_t g, float *cols) {
  const conv2d_params *p = j->p;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  size_t k = conv2d_group_k(p), per_channel = (size_t)(ah->kernel * aw->kernel);
  for (size_t row = 0; row < k; row++) {
    int64_t kj = (int64_t)(row % per_channel) % aw->kernel;
    int64_t ki = (int64_t)(row % per_channel) / aw->kernel;
    const float *plane =
        j->image + (g * (k / per_channel) + row / per_channel) * (size_t)(j->h * j->w);
    for (int64_t y = 0; y < j->oh; y++) {
      int64_t sy =
          conv2d_source_index(y * ah->stride - ah->pad_begin + ki * ah->dilation, j->h, p->mode);
      for (int64_t x = 0; x < j->ow; x++) {
        int64_t sx =
            conv2d_source_index(x * aw->stride - aw->pad_begin + kj * aw->dilation, j->w, p->mode);
        *cols++ = (sy < 0 || sx < 0) ? 0.0f : plane[sy * j->w + sx];
      }
    }
  }
}

/* Tasks [begin, end) of samples x groups: im2col of the group into the worker's slot (the
 * input itself for a pointwise conv), then each output channel of the group:
 * clamp(bias + weight row . columns). */
static void direct_tasks(void *ctx, int worker, size_t begin, size_t end) {
  conv_job j = *(const conv_job *)ctx;
  const conv2d_params *p = j.p;
  size_t pixels = (size_t)(j.oh * j.ow), k = conv2d_group_k(p);
  size_t per_group = (size_t)(p->out_channels / p->groups), groups = (size_t)p->groups;
  for (size_t t = begin; t < end; t++) {
    size_t n = t / groups, g = t % groups;
    j.image = j.input + n * (size_t)p->in_channels * (size_t)(j.h * j.w);
    const float *cols = j.image + g * k * pixels; /* pointwise: the group's input planes */
    if (!conv2d_is_pointwise(p)) {
      float *slot = (float *)(j.scratch + (size_t)worker * j.slot_bytes);
      im2col_group(&j, g, slot);
      cols = slot;
    }
    for (size_t oc = g * per_group; oc < (g + 1) * per_group; oc++) {
      const float *wrow = p->weight.data + oc * k;
      float *dst = j.output + (n * (size_t)p->out_channels + oc) * pixels;
      float b = p->epilogue.bias ? p->epilogue.bias[oc] : 0.0f;
      for (size_t i = 0; i < pixels; i++) dst[i] = b;
      for (size_t r = 0; r < k; r++) {
        float wv = wrow[r];
        const float *src = cols + r * pixels;
        for (size_t i = 0; i < pixels; i++) dst[i] += wv * src[i];
      }
      for (size_t i = 0; i < pixels; i++) {
        float v = dst[i] < p->epilogue.min ? p->epilogue.min : dst[i];
        dst[i] = v > p->epilogue.max ? p->epilogue.max : v;
      }
    }
  }
}

void conv2d_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                threadpool *tp) {
  const conv2d_params *p = params;
  const shape *is = &in[0].shape, *os = &out->shape;
  size_t slot_bytes = 0;
  (void)n_in;
  conv2d_scratch_bytes(p, os->dim[2], os->dim[3], &slot_bytes); /* checked by infer */
  if (p->path == CONV_WINOGRAD) {
    winograd_run(p, &in[0], out, scratch, slot_bytes, tp);
    return;
  }
  if (p->path == CONV_DEPTHWISE) {
    depthwise_run(p, &in[0], out, scratch, slot_bytes, tp);
    return;
  }
  if (p->path == CONV_GEMM) {
    conv_gemm_run(p, &in[0], out, scratch, slot_bytes, tp);
    return;
  }
  conv_job j = {p,
                in[0].data,
                out->data,
                scratch,
                slot_bytes,
                (int64_t)is->dim[2],
                (int64_t)is->dim[3],
                (int64_t)os->dim[2],
                (int64_t)os->dim[3],
                NULL};
  threadpool_for_workers(tp, is->dim[0] * (size_t)p->groups, direct_tasks, &j);
}
