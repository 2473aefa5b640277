/* AVX2 + FMA depthwise kernel, 8 channels per vector instead of 8 columns, for small planes
 * (mobile nets' 28x28, 14x14 and 7x7 layers) and stride 2: a plane of 7 or 14 columns
 * fills one or two vectors badly, the per-row work of the column kernels (edge loads,
 * partial stores) cost more than their multiply-adds there, and at stride 2 a pixel's taps
 * are plain loads (no phase split of the columns). Per band of output rows of a group of 8
 * channels of one sample (a small plane is one band):
 * 1. the input rows the band reads are transposed (8x8 blocks) into a zero-padded buffer
 *    of [row][column][channel] in the thread's scratch;
 * 2. each output pixel is 8 channels at once: bias, then the taps in (kj, ki) order as in
 *    the other depthwise kernels, clamped, into an output buffer of [pixel][channel];
 * 3. that buffer is transposed back into the 8 output planes (the band's rows are
 *    contiguous there, so pixels go 8 at a time whatever the row length).
 * This file is compiled with -mavx2 -mfma and only called when the CPU has both
 * (conv2d_depthwise.c). */
#include <immintrin.h>
#include <stdint.h>
#include "ops/conv2d_internal.h"
#include "ops/transpose8_avx2.h"

#define INLINE static inline __attribute__((always_inline))

/* Zeros the compiler cannot see: keeps it from turning loops of vector stores into memset
 * or memcpy calls. */
INLINE __m256 zero(void) {
  __m256 z = _mm256_setzero_ps();
  __asm__("" : "+x"(z));
  return z;
}

/* The input columns [0, n) that land inside the buffer (n <= 0: none). */
INLINE int64_t input_columns(const dw_small *d) {
  return d->w < d->buf_cols - d->pad_w ? d->w : d->buf_cols - d->pad_w;
}

/* Lanes [0, n) set. */
INLINE __m256i first_lanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The input rows [y0, y0 + rows) of nc (<= 8) planes into buf (rows x buf_cols pixels of 8
 * floats): input (y0 + r, ix) goes to pixel (r, ix + pad_w) where that lies inside the
 * buffer, rows outside the input are zeroed; the padding columns are zero already.
 * Missing channels' lanes are zero. */
static void fill_buffer(const dw_small *d, const float *const *planes, int nc, int64_t y0,
                        int64_t rows, float *buf) {
  int64_t cols = d->buf_cols, x_end = input_columns(d);
  for (int64_t r = 0; r < rows; r++) {
    int64_t iy = y0 + r;
    if (iy < 0 || iy >= d->h) {
      for (int64_t i = 0; i < cols * 8; i += 8) _mm256_store_ps(buf + r * cols * 8 + i, zero());
      continue;
    }
    for (int64_t x0 = 0; x0 < x_end; x0 += 8) {
      int64_t n = x_end - x0 < 8 ? x_end - x0 : 8;
      __m256i mask = first_lanes(n);
      __m256 v[8];
      if (nc == 8 && n == 8)
        for (int c = 0; c < 8; c++) v[c] = _mm256_loadu_ps(planes[c] + iy * d->w + x0);
      else
        for (int c = 0; c < 8; c++) /* masked: never past the row's end */
          v[c] = c < nc ? _mm256_maskload_ps(planes[c] + iy * d->w + x0, mask) : zero();
      transpose8(v);
      float *dst = buf + (r * cols + x0 + d->pad_w) * 8;
      if (n == 8)
        for (int j = 0; j < 8; j++) _mm256_store_ps(dst + j * 8, v[j]);
      else
        for (int64_t j = 0; j < n; j++) _mm256_store_ps(dst + j * 8, v[j]);
    }
  }
}

/* Output rows [0, rows) of a band from buf into out ([pixel][channel]), for a K x K kernel
 * at stride S (constants once inlined), 4 pixels of a row at a time then one by one. */
INLINE void compute(const dw_small *d, const float *buf, const __m256 *wt, __m256 bias,
                    int64_t rows, float *out, const int K, const int S) {
  const __m256 lo = _mm256_set1_ps(d->min), hi = _mm256_set1_ps(d->max);
  int64_t cols = d->buf_cols;
  for (int64_t oy = 0; oy < rows; oy++) {
    const float *row = buf + oy * S * cols * 8;
    float *o = out + oy * d->ow * 8;
    int64_t ox = 0;
    for (; ox + 4 <= d->ow; ox += 4) {
      __m256 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
#pragma GCC unroll 5
      for (int kj = 0; kj < K; kj++)
#pragma GCC unroll 5
        for (int ki = 0; ki < K; ki++) {
          const float *in = row + (ki * cols + ox * S + kj) * 8;
          __m256 wv = wt[ki * K + kj];
          a0 = _mm256_fmadd_ps(wv, _mm256_load_ps(in), a0);
          a1 = _mm256_fmadd_ps(wv, _mm256_load_ps(in + S * 8), a1);
          a2 = _mm256_fmadd_ps(wv, _mm256_load_ps(in + 2 * S * 8), a2);
          a3 = _mm256_fmadd_ps(wv, _mm256_load_ps(in + 3 * S * 8), a3);
        }
      /* max/min return their second operand for NaN: keep the value second */
      _mm256_store_ps(o + ox * 8, _mm256_min_ps(hi, _mm256_max_ps(lo, a0)));
      _mm256_store_ps(o + ox * 8 + 8, _mm256_min_ps(hi, _mm256_max_ps(lo, a1)));
      _mm256_store_ps(o + ox * 8 + 16, _mm256_min_ps(hi, _mm256_max_ps(lo, a2)));
      _mm256_store_ps(o + ox * 8 + 24, _mm256_min_ps(hi, _mm256_max_ps(lo, a3)));
    }
    for (; ox < d->ow; ox++) {
      __m256 a = bias;
#pragma GCC unroll 5
      for (int kj = 0; kj < K; kj++)
#pragma GCC unroll 5
        for (int ki = 0; ki < K; ki++)
          a = _mm256_fmadd_ps(wt[ki * K + kj], _mm256_load_ps(row + (ki * cols + ox * S + kj) * 8),
                              a);
      _mm256_store_ps(o + ox * 8, _mm256_min_ps(hi, _mm256_max_ps(lo, a)));
    }
  }
}

/* out ([pixel][channel], pixels of them) back into nc output planes. */
static void store_planes(const float *out, int64_t pixels, float *const *planes, int nc) {
  for (int64_t p0 = 0; p0 < pixels; p0 += 8) {
    int64_t n = pixels - p0 < 8 ? pixels - p0 : 8;
    __m256 r[8];
    for (int j = 0; j < 8; j++) r[j] = j < n ? _mm256_load_ps(out + (p0 + j) * 8) : zero();
    transpose8(r);
    __m256i mask = first_lanes(n);
    for (int c = 0; c < nc; c++) {
      if (n == 8)
        _mm256_storeu_ps(planes[c] + p0, r[c]);
      else
        _mm256_maskstore_ps(planes[c] + p0, mask, r[c]); /* never past the plane's end */
    }
  }
}

void depthwise_small_avx2(const dw_small *d, int worker, size_t begin, size_t end) {
  uintptr_t slot = (uintptr_t)(d->scratch + (size_t)worker * d->slot_bytes);
  float *buf = (float *)((slot + 31) / 32 * 32); /* the slot has room for this */
  int64_t buf_floats = d->buf_rows * d->buf_cols * 8;
  float *out = buf + buf_floats;
  /* the padding columns, which fill_buffer never writes (a whole buffer of zeros per chunk
   * of tasks cost as much as a band on few channels) */
  int64_t cols = d->buf_cols, x_end = input_columns(d);
  int64_t inside_from = x_end > 0 ? d->pad_w : cols,
          inside_end = x_end > 0 ? d->pad_w + x_end : cols;
  for (int64_t r = 0; r < d->buf_rows; r++) {
    for (int64_t x = 0; x < inside_from; x++) _mm256_store_ps(buf + (r * cols + x) * 8, zero());
    for (int64_t x = inside_end; x < cols; x++) _mm256_store_ps(buf + (r * cols + x) * 8, zero());
  }
  size_t groups = (size_t)(d->c + 7) / 8, kk = (size_t)(d->k * d->k);
  size_t bands = (size_t)((d->oh + d->band_rows - 1) / d->band_rows), set_up = SIZE_MAX;
  const float *in_planes[8];
  float *out_planes[8];
  int nc = 0;
  /* tap t of the group's channels in vector t (missing channels' lanes zero), then bias */
  _Alignas(32) float lanes[26 * 8];
  for (size_t task = begin; task < end; task++) {
    size_t g = task / bands, n = g / groups, c0 = g % groups * 8;
    if (g != set_up) { /* the group's planes and weights, once per run of its bands */
      nc = d->c - (int64_t)c0 < 8 ? (int)(d->c - (int64_t)c0) : 8;
      for (int c = 0; c < nc; c++) {
        size_t plane = n * (size_t)d->c + c0 + (size_t)c;
        in_planes[c] = d->input + plane * (size_t)(d->h * d->w);
        out_planes[c] = d->output + plane * (size_t)(d->oh * d->ow);
      }
      const float *w = d->weights + c0 * kk;
      for (size_t t = 0; t < kk; t++)
        for (int c = 0; c < 8; c++)
          lanes[t * 8 + (size_t)c] = c < nc ? w[(size_t)c * kk + t] : 0.0f;
      for (int c = 0; c < 8; c++)
        lanes[25 * 8 + c] = c < nc && d->bias ? d->bias[c0 + (size_t)c] : 0.0f;
      set_up = g;
    }
    const __m256 *wt = (const __m256 *)lanes;
    __m256 bias = _mm256_load_ps(lanes + 25 * 8);
    int64_t oy = (int64_t)(task % bands) * d->band_rows;
    int64_t rows = d->oh - oy < d->band_rows ? d->oh - oy : d->band_rows;
    fill_buffer(d, in_planes, nc, oy * d->s - d->pad_h, (rows - 1) * d->s + d->k, buf);
    if (d->k == 3)
      d->s == 1 ? compute(d, buf, wt, bias, rows, out, 3, 1)
                : compute(d, buf, wt, bias, rows, out, 3, 2);
    else
      d->s == 1 ? compute(d, buf, wt, bias, rows, out, 5, 1)
                : compute(d, buf, wt, bias, rows, out, 5, 2);
    float *at[8];
    for (int c = 0; c < nc; c++) at[c] = out_planes[c] + oy * d->ow;
    store_planes(out, rows * d->ow, at, nc);
  }
}
