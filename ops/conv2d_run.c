/* Conv2d kernels. The GEMM path packs the im2col columns of one GEMM_NR-wide panel at a
 * time and multiplies them with the weights packed at load; the reference path (im2col of
 * the whole sample + a row-wise product) serves convs with few output channels per group
 * (depthwise) and is the portable reference for tests. */
#include <string.h>
#include "ops/conv2d_internal.h"
#include "runtime/checked.h"

/* Output channels per group below which the micro-kernel's rows would mostly idle. */
#define GEMM_MIN_CHANNELS_PER_GROUP 4

size_t conv2d_group_k(const conv2d_params *p) {
  return (size_t)(p->in_channels / p->groups * p->axis[0].kernel * p->axis[1].kernel);
}

bool conv2d_uses_gemm(const conv2d_params *p) {
  return p->out_channels / p->groups >= GEMM_MIN_CHANNELS_PER_GROUP;
}

size_t conv2d_packed_floats(const conv2d_params *p) {
  return (size_t)p->groups *
         gemm_packed_a_floats((size_t)(p->out_channels / p->groups), conv2d_group_k(p));
}

void conv2d_pack_weights(conv2d_params *p, float *packed) {
  size_t m = (size_t)(p->out_channels / p->groups), k = conv2d_group_k(p);
  for (size_t g = 0; g < (size_t)p->groups; g++)
    gemm_pack_a(p->weight.data + g * m * k, k, m, k, packed + g * gemm_packed_a_floats(m, k));
  p->packed = packed;
}

/* True when the input itself is the im2col matrix (1x1 kernel, stride 1, no padding). */
static bool is_pointwise(const conv2d_params *p) {
  for (int i = 0; i < 2; i++)
    if (p->axis[i].kernel != 1 || p->axis[i].stride != 1 || p->axis[i].pad_begin ||
        p->axis[i].pad_end)
      return false;
  return true;
}

bool conv2d_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes) {
  size_t pixels, floats;
  if (!mul_size(oh, ow, &pixels)) return false;
  if (conv2d_uses_gemm(p)) { /* every panel of every group, GEMM_NR columns wide */
    size_t panels = pixels / GEMM_NR + (pixels % GEMM_NR != 0);
    if (!mul_size(panels, (size_t)p->groups, &floats) ||
        !mul_size(floats, conv2d_group_k(p) * GEMM_NR, &floats))
      return false;
  } else if (is_pointwise(p))
    floats = 0;
  else if (!mul_size(pixels, conv2d_group_k(p) * (size_t)p->groups, &floats))
    return false;
  return mul_size(floats, sizeof(float), bytes);
}

/* Index into an input axis of length size for padded coordinate i, or -1 for a zero. */
static int64_t source_index(int64_t i, int64_t size, padding_mode mode) {
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
  const float *image; /* one sample [C, H, W] */
  float *scratch;
  float *result; /* one sample [OC, OH, OW] */
  int64_t h, w, oh, ow;
  size_t panels; /* GEMM_NR-wide column panels per group */
} conv_job;

/* ---- GEMM path -------------------------------------------------------------------- */

/* One output row's share of a panel: columns [first, first + count) of the panel are
 * output pixels (oy, ox .. ox + count - 1). */
typedef struct {
  size_t first, count;
  int64_t oy, ox;
} panel_segment;

/* Splits panel columns [col0, col0 + ncols) by output row; returns the segment count. */
static size_t panel_segments(const conv_job *j, size_t col0, size_t ncols, panel_segment *seg) {
  size_t n = 0;
  for (size_t c = 0; c < ncols;) {
    int64_t col = (int64_t)(col0 + c), ox = col % j->ow;
    size_t count = (size_t)(j->ow - ox) < ncols - c ? (size_t)(j->ow - ox) : ncols - c;
    panel_segment s = {c, count, col / j->ow, ox};
    seg[n++] = s;
    c += count;
  }
  return n;
}

/* Where one segment of a panel row reads, for one kernel offset: source row y (-1: all
 * padding), first column x0 and the in-range part [lo, hi) of its count columns. */
typedef struct {
  int64_t y, x0, lo, hi;
} segment_source;

static segment_source locate_segment(const conv_job *j, const panel_segment *seg, int64_t ki,
                                     int64_t kj) {
  const window_axis *ah = &j->p->axis[0], *aw = &j->p->axis[1];
  segment_source src;
  src.y = source_index(seg->oy * ah->stride - ah->pad_begin + ki * ah->dilation, j->h, j->p->mode);
  src.x0 = seg->ox * aw->stride - aw->pad_begin + kj * aw->dilation;
  /* in-range columns i: 0 <= x0 + i * stride < w */
  int64_t stride = aw->stride, x0 = src.x0, count = (int64_t)seg->count;
  src.lo = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride;
  src.hi = x0 >= j->w ? 0 : (j->w - 1 - x0) / stride + 1;
  if (src.hi > count) src.hi = count;
  if (src.lo > src.hi) src.lo = src.hi;
  return src;
}

/* Fills dst[0..count) from one input plane as src says: a plain copy of the in-range
 * columns, the padding rule outside them. */
static void fill_segment(const conv_job *j, const float *plane, const segment_source *src,
                         size_t count, float *dst) {
  if (src->y < 0) {
    for (size_t i = 0; i < count; i++) dst[i] = 0.0f;
    return;
  }
  const float *row = plane + src->y * j->w;
  int64_t stride = j->p->axis[1].stride;
  for (int64_t i = 0; i < src->lo; i++) {
    int64_t sx = source_index(src->x0 + i * stride, j->w, j->p->mode);
    dst[i] = sx < 0 ? 0.0f : row[sx];
  }
  if (stride == 1) {
    const float *from = row + src->x0;
    for (int64_t i = src->lo; i < src->hi; i++) dst[i] = from[i];
  } else
    for (int64_t i = src->lo; i < src->hi; i++) dst[i] = row[src->x0 + i * stride];
  for (int64_t i = src->hi; i < (int64_t)count; i++) {
    int64_t sx = source_index(src->x0 + i * stride, j->w, j->p->mode);
    dst[i] = sx < 0 ? 0.0f : row[sx];
  }
}

/* Packs im2col columns [col0, col0 + ncols) of group g: panel[r][c] for r < k, zero
 * beyond ncols. Row r of the im2col matrix is (channel, ki, kj); the geometry of each
 * kernel offset is worked out once and reused for every channel. */
static void pack_panel(const conv_job *j, size_t g, size_t col0, size_t ncols, float *panel) {
  const conv2d_params *p = j->p;
  int64_t kh = p->axis[0].kernel, kw = p->axis[1].kernel;
  size_t per_channel = (size_t)(kh * kw), channels = conv2d_group_k(p) / per_channel;
  size_t plane_size = (size_t)(j->h * j->w);
  const float *planes = j->image + g * channels * plane_size;
  panel_segment seg[GEMM_NR];
  size_t n_seg = panel_segments(j, col0, ncols, seg);
  if (ncols < GEMM_NR)
    for (size_t r = 0; r < channels * per_channel; r++)
      memset(panel + r * GEMM_NR + ncols, 0, (GEMM_NR - ncols) * sizeof(float));
  for (size_t offset = 0; offset < per_channel; offset++) {
    int64_t ki = (int64_t)offset / kw, kj = (int64_t)offset % kw;
    for (size_t s = 0; s < n_seg; s++) {
      segment_source src = locate_segment(j, &seg[s], ki, kj);
      float *dst = panel + offset * GEMM_NR + seg[s].first;
      for (size_t c = 0; c < channels; c++, dst += per_channel * GEMM_NR)
        fill_segment(j, planes + c * plane_size, &src, seg[s].count, dst);
    }
  }
}

/* Tasks [begin, end) of groups x panels: pack one panel, multiply every output row. */
static void gemm_tasks(void *ctx, size_t begin, size_t end) {
  const conv_job *j = ctx;
  const conv2d_params *p = j->p;
  size_t k = conv2d_group_k(p), m = (size_t)(p->out_channels / p->groups);
  size_t pixels = (size_t)(j->oh * j->ow);
  for (size_t t = begin; t < end; t++) {
    size_t g = t / j->panels, col0 = t % j->panels * GEMM_NR;
    size_t ncols = pixels - col0 < GEMM_NR ? pixels - col0 : GEMM_NR;
    float *panel = j->scratch + t * k * GEMM_NR;
    gemm_epilogue ep = p->epilogue;
    if (ep.bias) ep.bias += g * m;
    pack_panel(j, g, col0, ncols, panel);
    gemm_panel(p->packed + g * gemm_packed_a_floats(m, k), m, k, panel, &ep,
               j->result + g * m * pixels + col0, pixels, ncols);
  }
}

/* ---- Reference path --------------------------------------------------------------- */

/* Builds rows [begin, end) of the whole sample's im2col matrix; row = (channel, ki, kj). */
static void im2col_rows(void *ctx, size_t begin, size_t end) {
  const conv_job *j = ctx;
  const window_axis *ah = &j->p->axis[0], *aw = &j->p->axis[1];
  for (size_t row = begin; row < end; row++) {
    int64_t kj = (int64_t)row % aw->kernel, ki = (int64_t)row / aw->kernel % ah->kernel;
    int64_t c = (int64_t)row / (aw->kernel * ah->kernel);
    const float *plane = j->image + c * j->h * j->w;
    float *dst = j->scratch + row * (size_t)(j->oh * j->ow);
    for (int64_t y = 0; y < j->oh; y++) {
      int64_t sy =
          source_index(y * ah->stride - ah->pad_begin + ki * ah->dilation, j->h, j->p->mode);
      for (int64_t x = 0; x < j->ow; x++) {
        int64_t sx =
            source_index(x * aw->stride - aw->pad_begin + kj * aw->dilation, j->w, j->p->mode);
        *dst++ = (sy < 0 || sx < 0) ? 0.0f : plane[sy * j->w + sx];
      }
    }
  }
}

/* Output channels [begin, end): result[oc] = clamp(bias[oc] + weight[oc] . columns). */
static void reference_channels(void *ctx, size_t begin, size_t end) {
  const conv_job *j = ctx;
  const conv2d_params *p = j->p;
  size_t pixels = (size_t)(j->oh * j->ow), k = conv2d_group_k(p);
  size_t per_group = (size_t)(p->out_channels / p->groups);
  for (size_t oc = begin; oc < end; oc++) {
    const float *wrow = p->weight.data + oc * k;
    const float *cols = j->scratch + oc / per_group * k * pixels;
    float *dst = j->result + oc * pixels;
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

void conv2d_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                threadpool *tp) {
  const conv2d_params *p = params;
  const shape *is = &in[0].shape, *os = &out->shape;
  size_t pixels = os->dim[2] * os->dim[3];
  conv_job j = {p,
                NULL,
                scratch,
                NULL,
                (int64_t)is->dim[2],
                (int64_t)is->dim[3],
                (int64_t)os->dim[2],
                (int64_t)os->dim[3],
                (pixels + GEMM_NR - 1) / GEMM_NR};
  size_t in_sample = is->dim[1] * is->dim[2] * is->dim[3], out_sample = os->dim[1] * pixels;
  (void)n_in;
  for (size_t n = 0; n < is->dim[0]; n++) {
    j.image = in[0].data + n * in_sample;
    j.result = out->data + n * out_sample;
    if (p->packed) {
      threadpool_for(tp, (size_t)p->groups * j.panels, gemm_tasks, &j);
      continue;
    }
    if (is_pointwise(p))
      j.scratch = (float *)j.image;
    else
      threadpool_for(tp, conv2d_group_k(p) * (size_t)p->groups, im2col_rows, &j);
    threadpool_for(tp, (size_t)p->out_channels, reference_channels, &j);
  }
}
