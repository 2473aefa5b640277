/* Moving the data of 8 Winograd tiles (one per lane) in and out of vectors, shared by the
 * AVX2 transforms of conv2d_winograd_avx2.c and conv2d_winograd8_avx2.c; include only from
 * files compiled with -mavx2. */
#ifndef CNNRT_OPS_CONV2D_WINOGRAD_STORE_AVX2_H
#define CNNRT_OPS_CONV2D_WINOGRAD_STORE_AVX2_H
#include <immintrin.h>
#include <stddef.h>
#include "ops/transpose8_avx2.h"

/* Values 0-3 of one output row of 8 tiles (y[j]: value j, lane l: tile l) to row[l]. */
static inline __attribute__((always_inline)) void wino_store_row4(const __m256 y[4],
                                                                  float *const row[8]) {
  /* q[k]: the 4 values of tile k (low half) and of tile k + 4 (high half) */
  __m256 a0 = _mm256_unpacklo_ps(y[0], y[1]), a1 = _mm256_unpackhi_ps(y[0], y[1]);
  __m256 a2 = _mm256_unpacklo_ps(y[2], y[3]), a3 = _mm256_unpackhi_ps(y[2], y[3]);
  __m256 q0 = _mm256_shuffle_ps(a0, a2, 0x44), q1 = _mm256_shuffle_ps(a0, a2, 0xEE);
  __m256 q2 = _mm256_shuffle_ps(a1, a3, 0x44), q3 = _mm256_shuffle_ps(a1, a3, 0xEE);
  _mm_storeu_ps(row[0], _mm256_castps256_ps128(q0));
  _mm_storeu_ps(row[1], _mm256_castps256_ps128(q1));
  _mm_storeu_ps(row[2], _mm256_castps256_ps128(q2));
  _mm_storeu_ps(row[3], _mm256_castps256_ps128(q3));
  _mm_storeu_ps(row[4], _mm256_extractf128_ps(q0, 1));
  _mm_storeu_ps(row[5], _mm256_extractf128_ps(q1, 1));
  _mm_storeu_ps(row[6], _mm256_extractf128_ps(q2, 1));
  _mm_storeu_ps(row[7], _mm256_extractf128_ps(q3, 1));
}

/* Two values of one output row of 8 tiles (y0, y1; lane l: tile l) to row[l][0..1]. */
static inline __attribute__((always_inline)) void wino_store_row2(__m256 y0, __m256 y1,
                                                                  float *const row[8]) {
  __m256 a0 = _mm256_unpacklo_ps(y0, y1), a1 = _mm256_unpackhi_ps(y0, y1);
  __m128 a0l = _mm256_castps256_ps128(a0), a0h = _mm256_extractf128_ps(a0, 1);
  __m128 a1l = _mm256_castps256_ps128(a1), a1h = _mm256_extractf128_ps(a1, 1);
  _mm_storel_pi((__m64 *)row[0], a0l), _mm_storeh_pi((__m64 *)row[1], a0l);
  _mm_storel_pi((__m64 *)row[2], a1l), _mm_storeh_pi((__m64 *)row[3], a1l);
  _mm_storel_pi((__m64 *)row[4], a0h), _mm_storeh_pi((__m64 *)row[5], a0h);
  _mm_storel_pi((__m64 *)row[6], a1h), _mm_storeh_pi((__m64 *)row[7], a1h);
}

/* Whether tile l of a group is whole (side T): its rows go straight to the output. */
static inline __attribute__((always_inline)) int wino_tile_whole(const int *rows, const int *cols,
                                                                 int full, int T, size_t l) {
  return full || (rows[l] == T && cols[l] == T);
}

/* Where row i of each of the 8 tiles goes: the output for a whole tile, else its rows in
 * part (stored by wino_store_partial); at the edge of a map most groups of 8 tiles have a
 * few partial ones, and copying the whole ones value by value cost ~10% of a small-map
 * layer. */
static inline __attribute__((always_inline)) void
wino_row_targets(float *const *dst, const int *rows, const int *cols, int full, int T, int i,
                 size_t ostride, float (*part)[6][8], float *row[8]) {
  for (size_t l = 0; l < 8; l++)
    row[l] = wino_tile_whole(rows, cols, full, T, l) ? dst[l] + (size_t)i * ostride : part[l][i];
}

/* The first rows[l] x cols[l] values of the partial tiles (side T) from part. */
static inline void wino_store_partial(const float (*part)[6][8], float *const *dst, const int *rows,
                                      const int *cols, size_t ostride, int T) {
  for (size_t l = 0; l < 8; l++) {
    if (wino_tile_whole(rows, cols, 0, T, l)) continue; /* stored already */
    for (int r = 0; r < rows[l]; r++) {
      const float *src = part[l][r];
      float *to = dst[l] + (size_t)r * ostride;
      int c = 0;
      if (cols[l] >= 4) _mm_storeu_ps(to, _mm_loadu_ps(src)), c = 4;
      for (; c < cols[l]; c++) {
        float v = src[c];
        __asm__("" : "+x"(v)); /* stores, not a memcpy call per row (GCC's loop idiom) */
        to[c] = v;
      }
    }
  }
}

#endif
