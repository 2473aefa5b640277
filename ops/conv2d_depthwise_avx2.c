/* AVX2 + FMA depthwise kernels for undilated square 3x3 and 5x5 kernels at stride 1 or 2
 * (both axes alike), and their block loader: 8 output columns per vector, 4 output rows at
 * a time so that each loaded input vector feeds every output row that reads it. Stride 2
 * needs no shuffles in the kernel: the loader has split each input row into its even and
 * odd columns (dw_block). Each output accumulates its taps in (kj, ki) order, like the
 * portable kernel, whatever the number of rows computed at once. This file is compiled
 * with -mavx2 -mfma and only called when the CPU has both (conv2d_depthwise.c). */
#include <immintrin.h>
#include "ops/conv2d_internal.h"

#define INLINE static inline __attribute__((always_inline))

/* ---- Block loader ----------------------------------------------------------------- */

/* Zeros the compiler cannot see: keeps it from turning loops storing a vector or two of
 * zeros into memset calls. */
INLINE __m256 opaque_zero(void) {
  __m256 zero = _mm256_setzero_ps();
  __asm__("" : "+x"(zero));
  return zero;
}

/* How to load the 8-column vectors k < n of a padded row, input columns c0 + 8k ..
 * c0 + 8k + 7 (zeros outside the row [0, w)), the same for every row of a block: zeros
 * before vector lo and from hi on, plain loads in between except at lo and hi - 1, which
 * may leave the row. Those read 8 columns inside the row (rows of 4 to 7 columns: columns
 * 0-3 and the last 4; shorter rows: a masked load, slow on some CPUs), move them to their
 * lanes and zero the lanes outside the row. */
typedef struct {
  int64_t lo, hi, w;
  __m256i short_row; /* w < 4: its lanes */
  struct {
    int64_t start;
    __m256i move, keep; /* source lane of each lane; lanes inside the row */
  } edge[2];            /* vectors lo and hi - 1 */
} row_plan;

INLINE void plan_row(int64_t w, int64_t c0, int64_t n, row_plan *rp) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  rp->w = w;
  rp->short_row = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)w), lane);
  rp->lo = c0 >= 0 ? 0 : (-c0 - 1) / 8;    /* the last vector starting before column 0 */
  rp->hi = c0 >= w ? 0 : (w - c0 + 7) / 8; /* the vectors starting before column w */
  if (rp->hi > n) rp->hi = n;
  if (rp->lo > rp->hi) rp->lo = rp->hi;
  for (int e = 0; e < 2; e++) {
    int64_t c = c0 + 8 * (e == 0 ? rp->lo : rp->hi - 1);
    __m256i col = _mm256_add_epi32(_mm256_set1_epi32((int)c), lane), move = col;
    int64_t start = 0;
    if (w >= 8) {
      start = c < 0 ? 0 : c + 8 <= w ? c : w - 8;
      move = _mm256_add_epi32(lane, _mm256_set1_epi32((int)(c - start)));
    } else if (w >= 4) /* columns 4.. come from lanes 8 - w .. */
      move = _mm256_add_epi32(col, _mm256_and_si256(_mm256_cmpgt_epi32(col, _mm256_set1_epi32(3)),
                                                    _mm256_set1_epi32((int)(8 - w))));
    rp->edge[e].start = start;
    rp->edge[e].move = move;
    rp->edge[e].keep = _mm256_and_si256(_mm256_cmpgt_epi32(col, _mm256_set1_epi32(-1)),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)w), col));
  }
}

INLINE __m256 load_edge(const float *row, const row_plan *rp, int e) {
  __m256 v;
  if (rp->w >= 8)
    v = _mm256_loadu_ps(row + rp->edge[e].start);
  else if (rp->w >= 4)
    v = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(row)),
                             _mm_loadu_ps(row + rp->w - 4), 1);
  else
    v = _mm256_maskload_ps(row, rp->short_row);
  v = _mm256_permutevar8x32_ps(v, rp->edge[e].move);
  return _mm256_and_ps(v, _mm256_castsi256_ps(rp->edge[e].keep));
}

/* The n vectors of one padded row (see row_plan) to dst. */
INLINE void load_vectors(const float *row, int64_t c0, int64_t n, const row_plan *rp, float *dst) {
  const __m256 zero = opaque_zero();
  int64_t k = 0;
  for (; k < rp->lo; k++) _mm256_store_ps(dst + 8 * k, zero);
  if (rp->lo < rp->hi) {
    _mm256_store_ps(dst + 8 * k, load_edge(row, rp, 0));
    for (k++; k < rp->hi - 1; k++) {
      __m256 v = _mm256_loadu_ps(row + c0 + 8 * k);
      __asm__("" : "+x"(v)); /* no memcpy call either */
      _mm256_store_ps(dst + 8 * k, v);
    }
    if (k < rp->hi) _mm256_store_ps(dst + 8 * k, load_edge(row, rp, 1)), k++;
  }
  for (; k < n; k++) _mm256_store_ps(dst + 8 * k, zero);
}

/* Vector k of one padded row (see row_plan). */
INLINE __m256 vector_at(const float *row, int64_t c0, const row_plan *rp, int64_t k) {
  if (k > rp->lo && k < rp->hi - 1) return _mm256_loadu_ps(row + c0 + 8 * k);
  if (k == rp->lo && k < rp->hi) return load_edge(row, rp, 0);
  if (k == rp->hi - 1 && k > rp->lo) return load_edge(row, rp, 1);
  return _mm256_setzero_ps();
}

/* The even lanes of a:b, then the odd ones. */
INLINE void deinterleave(__m256 a, __m256 b, __m256 *even, __m256 *odd) {
  /* per 128-bit lane a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit pairs in order */
  __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

void depthwise_load_avx2(const dw_block *b) {
  int64_t h = b->h, w = b->w, c0 = b->c0, len = b->len, ps = b->phase_stride, sw = b->sw;
  row_plan rp;
  plan_row(w, c0, sw * len / 8, &rp);
  float *dst = b->buf;
  for (int64_t r = 0, iy = b->iy0; r < b->rows; r++, iy++, dst += b->row_stride) {
    if (iy < 0 || iy >= h) { /* a padding row */
      for (int64_t p = 0; p < sw; p++)
        for (int64_t i = 0; i < len; i += 8) _mm256_store_ps(dst + p * ps + i, opaque_zero());
      continue;
    }
    const float *row = b->plane + iy * w;
    if (sw == 1) {
      load_vectors(row, c0, len / 8, &rp, dst);
      continue;
    }
    for (int64_t i = 0, k = 0; i < len; i += 8, k += 2) { /* stride 2: vectors k, k + 1 */
      __m256 v0, v1, even, odd;
      if (k > rp.lo && k + 1 < rp.hi - 1) /* both inside the row */
        v0 = _mm256_loadu_ps(row + c0 + 8 * k), v1 = _mm256_loadu_ps(row + c0 + 8 * k + 8);
      else
        v0 = vector_at(row, c0, &rp, k), v1 = vector_at(row, c0, &rp, k + 1);
      deinterleave(v0, v1, &even, &odd);
      _mm256_store_ps(dst + i, even);
      _mm256_store_ps(dst + ps + i, odd);
    }
  }
}

/* ---- Kernels ---------------------------------------------------------------------- */

/* max/min return their second operand for NaN: keep the value second so NaN survives */
INLINE __m256 clamp(__m256 v, __m256 lo, __m256 hi) {
  return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

/* Output rows [row0, row0 + R) for a K x K kernel at stride S, taps in (kj, ki) order;
 * K, S and R are constants once inlined, so the loops unroll and the accumulators live in
 * registers. The 9 weights of a 3x3 kernel stay in registers (w); a 5x5 kernel's do not
 * fit, so each column's 5 are broadcast again per 8 columns (stores to out may alias the
 * weights, so they stay in the loop), each feeding up to R FMAs. */
INLINE void rows_kxk(const dw_band *b, const __m256 *w, const int K, const int S, const int R,
                     int row0) {
  __m256 acc[4], wk[5];
  const __m256 bias = _mm256_set1_ps(b->bias);
  const __m256 lo = _mm256_set1_ps(b->min), hi = _mm256_set1_ps(b->max);
  const float *in = b->in + row0 * S * b->row_stride;
  int64_t rs = b->row_stride, ps = b->phase_stride;
  float *out = b->out + row0 * b->out_stride;
  /* 8 columns at x, the last 8 overlapping the previous ones when ncols is not a multiple
   * of 8 (computed the same way again: the same values); rows under 8 columns stored as
   * two overlapping halves, under 4 one by one */
  for (int64_t x = 0;;) {
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) acc[r] = bias;
#pragma GCC unroll 8
    for (int kj = 0; kj < K; kj++) {
#pragma GCC unroll 8
      for (int ki = 0; ki < K; ki++)
        wk[ki] = K == 3 ? w[ki * K + kj] : _mm256_broadcast_ss(b->weights + ki * K + kj);
#pragma GCC unroll 16
      for (int i = 0; i < (R - 1) * S + K; i++) { /* the input rows of the R output rows */
        __m256 v = _mm256_loadu_ps(in + i * rs + kj % S * ps + x + kj / S);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
          int ki = i - r * S;
          if (ki >= 0 && ki < K) acc[r] = _mm256_fmadd_ps(wk[ki], v, acc[r]);
        }
      }
    }
    if (b->ncols < 8) { /* columns 0-3 and ncols-4 .. ncols-1, or one by one */
      const __m256i last4 = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32((int)b->ncols - 4));
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) {
        __m256 v = clamp(acc[r], lo, hi);
        float *o = out + r * b->out_stride;
        if (b->ncols >= 4) {
          _mm_storeu_ps(o, _mm256_castps256_ps128(v));
          _mm_storeu_ps(o + b->ncols - 4,
                        _mm256_castps256_ps128(_mm256_permutevar8x32_ps(v, last4)));
        } else {
          float tmp[8];
          _mm256_storeu_ps(tmp, v);
          for (int64_t c = 0; c < b->ncols; c++) o[c] = tmp[c];
        }
      }
      return;
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
      _mm256_storeu_ps(out + r * b->out_stride + x, clamp(acc[r], lo, hi));
    if (x + 8 == b->ncols) return;
    x = x + 16 <= b->ncols ? x + 8 : b->ncols - 8;
  }
}

/* All rows: 4 at a time, then 2 and 1. */
INLINE void band_kxk(const dw_band *b, const int K, const int S) {
  __m256 w[9] = {0};
  for (int t = 0; K == 3 && t < 9; t++) w[t] = _mm256_broadcast_ss(b->weights + t);
  int r = 0;
  for (; r + 4 <= b->nrows; r += 4) rows_kxk(b, w, K, S, 4, r);
  if (r + 2 <= b->nrows) rows_kxk(b, w, K, S, 2, r), r += 2;
  if (r < b->nrows) rows_kxk(b, w, K, S, 1, r);
}

static void band_3x3_s1(const dw_band *b) {
  band_kxk(b, 3, 1);
}
static void band_3x3_s2(const dw_band *b) {
  band_kxk(b, 3, 2);
}
static void band_5x5_s1(const dw_band *b) {
  band_kxk(b, 5, 1);
}
static void band_5x5_s2(const dw_band *b) {
  band_kxk(b, 5, 2);
}

dw_band_fn depthwise_avx2_kernel(const dw_band *b) {
  if (b->kh != b->kw || b->sh != b->sw || b->dh != 1 || b->dw != 1) return NULL;
  if (b->kh == 3) return b->sw == 1 ? band_3x3_s1 : b->sw == 2 ? band_3x3_s2 : NULL;
  if (b->kh == 5) return b->sw == 1 ? band_5x5_s1 : b->sw == 2 ? band_5x5_s2 : NULL;
  return NULL;
}
