/* Depthwise convolution (one input channel per group, any channel multiplier), memory
 * bound. Per plane and block of output rows (all of them for the usual plane sizes), the
 * input rows the block reads are copied once into a stack buffer, zero padded and split
 * into their stride phases (dw_block); a kernel then computes the block with no bounds
 * checks, from contiguous loads only: the AVX2 + FMA kernels (conv2d_depthwise_avx2.c) for
 * 3x3 and 5x5 at stride 1 or 2 where the CPU has them, a portable one otherwise. Wide rows
 * are split into column tiles; geometries whose 4 output rows do not fit the buffer (huge
 * kernels, dilations or strides) take a bounds-checked generic path. Each output plane is
 * computed by one task, the same way whatever the thread count. Where the AVX2 kernels run,
 * small planes and most stride-2 layers (3x3 / 5x5, no dilation or channel multiplier;
 * depthwise_small_floats) go instead to a kernel that puts 8 channels in a vector
 * (conv2d_depthwise_small_avx2.c), one task per band of rows of 8 channels. */
#include <stdatomic.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "ops/simd.h"

/* The stack buffer of padded input rows: 24 KB. */
#define DW_BUFFER_FLOATS 6144

typedef struct {
  const conv2d_params *p;
  const float *input;
  float *output;
  int64_t c, h, w, oh, ow;
  dw_band_fn kernel; /* NULL: the generic path */
  dw_load_fn load;
  int64_t block_rows;          /* output rows per block */
  int64_t tile, reach;         /* output columns per column tile; kernel columns past a
                                  tile's last one, per phase row */
  int64_t phase_len, buf_rows; /* floats per phase row; rows in the buffer */
} dw_job;

static int64_t round_up8(int64_t n) {
  return (n + 7) / 8 * 8;
}

static void clamp_row(float *row, int64_t n, float min, float max) {
  for (int64_t x = 0; x < n; x++) {
    float v = row[x] < min ? min : row[x];
    row[x] = v > max ? max : v;
  }
}

/* ---- Blocked path ----------------------------------------------------------------- */

/* 8 floats, in vector registers wherever the target has them (GNU C vector extension). */
typedef float v8f __attribute__((vector_size(32)));

/* Output columns [x, x + 8 * V) of one row: 8 * V columns accumulated over the taps in
 * (kj, ki) order in V vectors, clamped, those below ncols stored. */
static inline __attribute__((always_inline)) void
columns_portable(const dw_band *b, const float *rows, float *out, int64_t x, const int V) {
  int dq = b->dw / b->sw, dr = b->dw % b->sw; /* kj -> kj + 1: dq indices, dr phases on */
  v8f acc[4];
  for (int v = 0; v < V; v++) acc[v] = (v8f){0} + b->bias;
  for (int kj = 0, phase = 0, at = 0; kj < b->kw; kj++) {
    const float *in = rows + phase * b->phase_stride + at + x;
    for (int ki = 0; ki < b->kh; ki++) {
      const float *src = in + ki * b->dh * b->row_stride;
      float wv = b->weights[ki * b->kw + kj];
      for (int v = 0; v < V; v++) {
        v8f t;
        memcpy(&t, src + 8 * v, sizeof t);
        acc[v] += wv * t;
      }
    }
    phase += dr, at += dq;
    if (phase >= b->sw) phase -= b->sw, at++;
  }
  float res[32], lo = b->min, hi = b->max;
  memcpy(res, acc, (size_t)V * sizeof acc[0]);
  for (int l = 0; l < 8 * V; l++) {
    float c = res[l] < lo ? lo : res[l];
    res[l] = c > hi ? hi : c;
  }
  if (x + 8 * V <= b->ncols)
    memcpy(out + x, res, (size_t)V * sizeof acc[0]);
  else
    for (int64_t l = 0; x + l < b->ncols; l++) out[x + l] = res[l];
}

/* The portable kernel, any geometry: per output row, 32 columns at a time, then the rest
 * (the phase rows are readable up to ncols rounded up to 8). */
SIMD_CLONES static void band_portable(const dw_band *b) {
  for (int r = 0; r < b->nrows; r++) {
    const float *rows = b->in + r * b->sh * b->row_stride;
    float *out = b->out + r * b->out_stride;
    int64_t x = 0;
    for (; x + 24 < b->ncols; x += 32) columns_portable(b, rows, out, x, 4);
    if (x + 16 < b->ncols)
      columns_portable(b, rows, out, x, 3);
    else if (x + 8 < b->ncols)
      columns_portable(b, rows, out, x, 2);
    else if (x < b->ncols)
      columns_portable(b, rows, out, x, 1);
  }
}

/* d[i] = row[c0 + i * sw] for i in [from, to), zero outside the row [0, w). */
static void load_checked(const float *row, int64_t w, int64_t c0, int64_t sw, int64_t from,
                         int64_t to, float *d) {
  for (int64_t i = from, c = c0 + from * sw; i < to; i++, c += sw)
    d[i] = c >= 0 && c < w ? row[c] : 0.0f;
}

/* The portable block loader, any stride: plain copies where every column of 8 is inside
 * the row (stride 2: both columns of each pair, split in one pass), checked elsewhere. */
SIMD_CLONES static void load_portable(const dw_block *b) {
  float *dst = b->buf;
  int64_t sw = b->sw, len = b->len, w = b->w, c0 = b->c0;
  /* indices i in [lo, hi) read columns c0 + i * sw .. c0 + i * sw + sw - 1 inside the row */
  int64_t lo = c0 >= 0 ? 0 : (-c0 + sw - 1) / sw, hi = c0 + sw > w ? 0 : (w - sw - c0) / sw + 1;
  if (hi > len) hi = len;
  if (lo > hi) lo = hi;
  for (int64_t r = 0, iy = b->iy0; r < b->rows; r++, iy++, dst += b->row_stride) {
    if (iy < 0 || iy >= b->h) { /* a padding row */
      for (int64_t p = 0; p < sw; p++)
        load_checked(b->plane, 0, 0, 1, 0, len, dst + p * b->phase_stride);
      continue;
    }
    const float *row = b->plane + iy * w;
    for (int64_t p = 0; p < sw; p++) {
      float *d = dst + p * b->phase_stride;
      load_checked(row, w, c0 + p, sw, 0, lo, d);
      if (sw == 1)
        for (int64_t i = lo; i < hi; i++) d[i] = row[c0 + i];
      else if (sw > 2)
        load_checked(row, w, c0 + p, sw, lo, hi, d);
      load_checked(row, w, c0 + p, sw, hi, len, d);
    }
    if (sw == 2)
      for (int64_t i = lo; i < hi; i++)
        dst[i] = row[c0 + 2 * i], dst[b->phase_stride + i] = row[c0 + 2 * i + 1];
  }
}

/* Output planes [begin, end) of the N * OC planes, block by block within column tiles.
 * Rows are loaded with the columns the block's outputs read (a tile's ncols plus reach);
 * the rest of each phase row holds zeros or a previous block's data, read only by the
 * lanes past ncols that are never stored. */
static void blocked_planes(const dw_job *j, size_t begin, size_t end) {
  const conv2d_params *p = j->p;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  _Alignas(32) float buf[DW_BUFFER_FLOATS];
  int64_t sw = aw->stride;
  memset(buf, 0, (size_t)(j->buf_rows * sw * j->phase_len) * sizeof(float));
  size_t oc_n = (size_t)p->out_channels, multiplier = oc_n / (size_t)j->c;
  dw_block block = {.h = j->h,
                    .w = j->w,
                    .sw = sw,
                    .row_stride = sw * j->phase_len,
                    .phase_stride = j->phase_len,
                    .buf = buf};
  dw_band band = {.in = buf,
                  .row_stride = block.row_stride,
                  .phase_stride = block.phase_stride,
                  .min = p->epilogue.min,
                  .max = p->epilogue.max,
                  .out_stride = j->ow,
                  .kh = (int)ah->kernel,
                  .kw = (int)aw->kernel,
                  .sh = (int)ah->stride,
                  .sw = (int)sw,
                  .dh = (int)ah->dilation,
                  .dw = (int)aw->dilation};
  for (size_t plane = begin; plane < end; plane++) {
    size_t n = plane / oc_n, oc = plane % oc_n;
    block.plane = j->input + (n * (size_t)j->c + oc / multiplier) * (size_t)(j->h * j->w);
    float *dst = j->output + plane * (size_t)(j->oh * j->ow);
    band.weights = p->weight.data + oc * (size_t)(ah->kernel * aw->kernel);
    band.bias = p->epilogue.bias ? p->epilogue.bias[oc] : 0.0f;
    for (int64_t x0 = 0; x0 < j->ow; x0 += j->tile) {
      band.ncols = j->ow - x0 < j->tile ? j->ow - x0 : j->tile;
      block.c0 = x0 * sw - aw->pad_begin;
      block.len = round_up8(band.ncols + j->reach);
      for (int64_t y0 = 0; y0 < j->oh; y0 += j->block_rows) {
        band.nrows = (int)(j->oh - y0 < j->block_rows ? j->oh - y0 : j->block_rows);
        block.iy0 = y0 * ah->stride - ah->pad_begin;
        block.rows = (band.nrows - 1) * ah->stride + (ah->kernel - 1) * ah->dilation + 1;
        j->load(&block);
        band.out = dst + y0 * j->ow + x0;
        j->kernel(&band);
      }
    }
  }
}

/* ---- Generic path ----------------------------------------------------------------- */

/* dst[x] += wv * row[x * stride + x0] for the output columns whose input column is inside
 * the row (zero padding elsewhere contributes nothing). */
static inline __attribute__((always_inline)) void accumulate_row(float *dst, const float *row,
                                                                 float wv, int64_t x0,
                                                                 int64_t stride, int64_t w,
                                                                 int64_t ow) {
  int64_t lo = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride;
  int64_t hi = x0 >= w ? 0 : (w - 1 - x0) / stride + 1;
  if (hi > ow) hi = ow;
  if (stride == 1) {
    const float *src = row + x0;
    for (int64_t x = lo; x < hi; x++) dst[x] += wv * src[x];
  } else
    for (int64_t x = lo; x < hi; x++) dst[x] += wv * row[x * stride + x0];
}

/* Output planes [begin, end), each row: bias, kH x kW shifted row multiply-adds, clamp. */
SIMD_CLONES static void generic_planes(const dw_job *j, size_t begin, size_t end) {
  const conv2d_params *p = j->p;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  size_t oc_n = (size_t)p->out_channels, multiplier = oc_n / (size_t)j->c;
  for (size_t plane = begin; plane < end; plane++) {
    size_t n = plane / oc_n, oc = plane % oc_n;
    const float *src = j->input + (n * (size_t)j->c + oc / multiplier) * (size_t)(j->h * j->w);
    const float *wts = p->weight.data + oc * (size_t)(ah->kernel * aw->kernel);
    float *dst = j->output + plane * (size_t)(j->oh * j->ow);
    float b = p->epilogue.bias ? p->epilogue.bias[oc] : 0.0f;
    for (int64_t y = 0; y < j->oh; y++) {
      float *out_row = dst + y * j->ow;
      for (int64_t x = 0; x < j->ow; x++) out_row[x] = b;
      for (int64_t ki = 0; ki < ah->kernel; ki++) {
        int64_t iy = y * ah->stride - ah->pad_begin + ki * ah->dilation;
        if (iy < 0 || iy >= j->h) continue;
        for (int64_t kj = 0; kj < aw->kernel; kj++)
          accumulate_row(out_row, src + iy * j->w, wts[ki * aw->kernel + kj],
                         kj * aw->dilation - aw->pad_begin, aw->stride, j->w, j->ow);
      }
      clamp_row(out_row, j->ow, p->epilogue.min, p->epilogue.max);
    }
  }
}

/* ---- Dispatch --------------------------------------------------------------------- */

static void depthwise_planes(void *ctx, size_t begin, size_t end) {
  const dw_job *j = ctx;
  if (j->kernel)
    blocked_planes(j, begin, end);
  else
    generic_planes(j, begin, end);
}

/* Rows (input rows of n output rows) of the blocked path. */
static int64_t block_input_rows(const window_axis *ah, int64_t n) {
  return (n - 1) * ah->stride + (ah->kernel - 1) * ah->dilation + 1;
}

/* Column tiles, block size and kernel of the blocked path: the widest tile for which 4
 * output rows fit the buffer, then as many output rows as fit. j->kernel stays NULL when
 * not even 4 rows of 8 columns fit. */
static void plan(dw_job *j) {
  const window_axis *ah = &j->p->axis[0], *aw = &j->p->axis[1];
  int64_t sw = aw->stride, limit = DW_BUFFER_FLOATS;
  j->kernel = NULL;
  if (ah->kernel > limit || ah->stride > limit || ah->dilation > limit || aw->kernel > limit ||
      aw->stride > limit || aw->dilation > limit)
    return;
  j->reach = (aw->kernel - 1) * aw->dilation / sw;
  int64_t max_len = DW_BUFFER_FLOATS / block_input_rows(ah, 4) / sw / 8 * 8;
  int64_t max_tile = (max_len - j->reach) / 8 * 8;
  if (max_tile < 8) return;
  int64_t tiles = (j->ow + max_tile - 1) / max_tile;
  j->tile = round_up8((j->ow + tiles - 1) / tiles);
  j->phase_len = round_up8(j->tile + j->reach);
  int64_t fit = DW_BUFFER_FLOATS / (sw * j->phase_len); /* rows */
  j->block_rows = ((fit - block_input_rows(ah, 1)) / ah->stride + 1) / 4 * 4;
  if (j->block_rows > j->oh) j->block_rows = j->oh;
  j->buf_rows = block_input_rows(ah, j->block_rows);
  j->kernel = band_portable;
  j->load = load_portable;
#ifdef CNNRT_HAVE_DW_AVX2
  dw_band geometry = {.kh = (int)ah->kernel,
                      .kw = (int)aw->kernel,
                      .sh = (int)ah->stride,
                      .sw = (int)sw,
                      .dh = (int)ah->dilation,
                      .dw = (int)aw->dilation};
  int64_t cols = (int64_t)1 << 29; /* columns in 32-bit lanes */
  bool small = j->w < cols && j->ow * sw < cols && aw->pad_begin < cols &&
               sw * j->phase_len <= DW_AVX2_ROW_FLOATS;
  dw_band_fn simd = small && gemm_simd_active() ? depthwise_avx2_kernel(&geometry) : NULL;
  if (simd) j->kernel = simd, j->load = depthwise_load_avx2; /* stride 1 or 2 */
#endif
}

static atomic_bool force_column_kernel;

bool depthwise_force_column_kernel(bool on) {
  return atomic_exchange(&force_column_kernel, on);
}

#ifdef CNNRT_HAVE_DW_AVX2
/* The small-plane kernel's bands: output rows per band, and the input region a band reads
 * (rows x cols pixels); false when not even one row fits. */
static bool small_bands(const conv2d_params *p, size_t oh, size_t ow, size_t *band, size_t *rows,
                        size_t *cols) {
  size_t k = (size_t)p->axis[0].kernel, s = (size_t)p->axis[0].stride;
  *cols = (ow - 1) * s + k;
  size_t by_pixels = DW_SMALL_MAX_PIXELS / ow, fit_rows = DW_SMALL_MAX_FLOATS / 8 / *cols;
  if (by_pixels == 0 || fit_rows < k) return false;
  *band = by_pixels < (fit_rows - k) / s + 1 ? by_pixels : (fit_rows - k) / s + 1;
  if (*band > oh) *band = oh;
  *rows = (*band - 1) * s + k;
  return true;
}
#endif

bool depthwise_small_floats(const conv2d_params *p, size_t oh, size_t ow, size_t *floats) {
#ifdef CNNRT_HAVE_DW_AVX2
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  int64_t k = ah->kernel, s = ah->stride;
  size_t band, rows, cols;
  if (p->out_channels != p->in_channels || aw->kernel != k || aw->stride != s ||
      (k != 3 && k != 5) || (s != 1 && s != 2) || ah->dilation != 1 || aw->dilation != 1 ||
      oh == 0 || ow == 0 || ow > DW_SMALL_MAX_PIXELS ||
      !small_bands(p, oh, ow, &band, &rows, &cols))
    return false;
  /* bands of a bigger plane at stride 1: the column kernels are faster (56x56: 0.17 against
   * 0.19 ms, 112x112 0.146 / 0.167); at stride 2 they are not (112 -> 56: 0.255 / 0.23) */
  if (band < oh && s == 1) return false;
  *floats = (rows * cols + band * ow) * 8 + 8; /* + 8: room to align the slot to 32 bytes */
  return true;
#else
  (void)p, (void)oh, (void)ow, (void)floats; /* no such kernel on this CPU: no scratch */
  return false;
#endif
}

#ifdef CNNRT_HAVE_DW_AVX2
static void small_tasks(void *ctx, int worker, size_t begin, size_t end) {
  depthwise_small_avx2(ctx, worker, begin, end);
}

/* The small-plane kernel's job for this layer, if it takes it (depthwise_small_floats). */
static bool small_plan(const dw_job *j, char *scratch, size_t slot_bytes, dw_small *d) {
  const conv2d_params *p = j->p;
  size_t floats, band = 0, rows = 0, cols = 0;
  if (!gemm_simd_active() || atomic_load(&force_column_kernel) ||
      !depthwise_small_floats(p, (size_t)j->oh, (size_t)j->ow, &floats) ||
      slot_bytes < floats * sizeof(float))
    return false;
  small_bands(p, (size_t)j->oh, (size_t)j->ow, &band, &rows, &cols);
  dw_small small = {.input = j->input,
                    .output = j->output,
                    .weights = p->weight.data,
                    .bias = p->epilogue.bias,
                    .min = p->epilogue.min,
                    .max = p->epilogue.max,
                    .c = j->c,
                    .h = j->h,
                    .w = j->w,
                    .oh = j->oh,
                    .ow = j->ow,
                    .k = p->axis[0].kernel,
                    .s = p->axis[0].stride,
                    .pad_h = p->axis[0].pad_begin,
                    .pad_w = p->axis[1].pad_begin,
                    .band_rows = (int64_t)band,
                    .buf_rows = (int64_t)rows,
                    .buf_cols = (int64_t)cols,
                    .scratch = scratch,
                    .slot_bytes = slot_bytes};
  *d = small;
  return true;
}
#endif

void depthwise_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                   size_t slot_bytes, threadpool *tp) {
  dw_job j = {.p = p,
              .input = in->data,
              .output = out->data,
              .c = (int64_t)in->shape.dim[1],
              .h = (int64_t)in->shape.dim[2],
              .w = (int64_t)in->shape.dim[3],
              .oh = (int64_t)out->shape.dim[2],
              .ow = (int64_t)out->shape.dim[3]};
#ifdef CNNRT_HAVE_DW_AVX2
  dw_small small;
  if (small_plan(&j, scratch, slot_bytes, &small)) {
    size_t bands = (size_t)((j.oh + small.band_rows - 1) / small.band_rows);
    threadpool_for_workers(tp, in->shape.dim[0] * (size_t)((j.c + 7) / 8) * bands, small_tasks,
                           &small);
    return;
  }
#endif
  (void)scratch, (void)slot_bytes; /* the small-plane kernel's (AVX2 only) */
  plan(&j);
  threadpool_for(tp, in->shape.dim[0] * (size_t)p->out_channels, depthwise_planes, &j);
}
