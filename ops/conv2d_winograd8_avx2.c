/* AVX2 + FMA input and output transforms of the Winograd variants on 8x8 input tiles,
 * F(6x6, 3x3) and F(4x4, 5x5) (ops/conv2d_winograd.c; the matrices are in
 * conv2d_winograd_portable.c): 8 tiles per call, one tile per lane. Compiled with -mavx2
 * -mfma, called only when the GEMM runs its AVX2 kernel. */
#include <immintrin.h>
#include "ops/conv2d_winograd_avx2.h"
#include "ops/conv2d_winograd_store_avx2.h"

#define SET1 _mm256_set1_ps

/* y = B^T x for eight vectors (the grouping of bt8 in conv2d_winograd_portable.c). */
static inline __attribute__((always_inline)) void bt8(const __m256 x[8], __m256 y[8]) {
  __m256 t1 = _mm256_fnmadd_ps(SET1(4.25f), x[4], _mm256_add_ps(x[2], x[6]));
  __m256 t2 = _mm256_fnmadd_ps(SET1(4.25f), x[3], _mm256_add_ps(x[1], x[5]));
  __m256 t3 = _mm256_fnmadd_ps(SET1(1.25f), x[4], _mm256_fmadd_ps(SET1(0.25f), x[2], x[6]));
  __m256 t4 = _mm256_fmadd_ps(SET1(2.0f), x[5],
                              _mm256_fnmadd_ps(SET1(2.5f), x[3], _mm256_mul_ps(SET1(0.5f), x[1])));
  __m256 t5 = _mm256_fnmadd_ps(SET1(5.0f), x[4], _mm256_fmadd_ps(SET1(4.0f), x[2], x[6]));
  __m256 t6 = _mm256_fmadd_ps(SET1(0.5f), x[5],
                              _mm256_fnmadd_ps(SET1(2.5f), x[3], _mm256_add_ps(x[1], x[1])));
  y[0] = _mm256_fmadd_ps(SET1(5.25f), _mm256_sub_ps(x[4], x[2]), _mm256_sub_ps(x[0], x[6]));
  y[1] = _mm256_add_ps(t1, t2), y[2] = _mm256_sub_ps(t1, t2);
  y[3] = _mm256_add_ps(t3, t4), y[4] = _mm256_sub_ps(t3, t4);
  y[5] = _mm256_add_ps(t5, t6), y[6] = _mm256_sub_ps(t5, t6);
  y[7] = _mm256_fmadd_ps(SET1(5.25f), _mm256_sub_ps(x[3], x[5]), _mm256_sub_ps(x[7], x[1]));
}

/* y = A^T x for eight vectors, T = 6 or 4 output rows (the grouping of at8). */
static inline __attribute__((always_inline)) void at8(const __m256 x[8], __m256 y[6], int T) {
  __m256 s12 = _mm256_add_ps(x[1], x[2]), d12 = _mm256_sub_ps(x[1], x[2]);
  __m256 s34 = _mm256_add_ps(x[3], x[4]), d34 = _mm256_sub_ps(x[3], x[4]);
  __m256 s56 = _mm256_add_ps(x[5], x[6]), d56 = _mm256_sub_ps(x[5], x[6]);
  y[0] = _mm256_add_ps(_mm256_add_ps(x[0], s12), _mm256_add_ps(s34, s56));
  y[1] = _mm256_add_ps(d12, _mm256_fmadd_ps(SET1(2.0f), d34, _mm256_mul_ps(SET1(0.5f), d56)));
  y[2] = _mm256_add_ps(s12, _mm256_fmadd_ps(SET1(4.0f), s34, _mm256_mul_ps(SET1(0.25f), s56)));
  y[3] = _mm256_add_ps(d12, _mm256_fmadd_ps(SET1(8.0f), d34, _mm256_mul_ps(SET1(0.125f), d56)));
  if (T == 4) {
    y[3] = _mm256_add_ps(y[3], x[7]);
    return;
  }
  y[4] = _mm256_add_ps(s12, _mm256_fmadd_ps(SET1(16.0f), s34, _mm256_mul_ps(SET1(0.0625f), s56)));
  y[5] = _mm256_add_ps(
      _mm256_add_ps(d12, _mm256_fmadd_ps(SET1(32.0f), d34, _mm256_mul_ps(SET1(0.03125f), d56))),
      x[7]);
}

void winograd_input8x8_avx2(const float *const *patch, size_t stride, float *v, size_t vs) {
  __m256 h[8][8]; /* h[r][b]: B applied along the rows of each patch */
  for (size_t r = 0; r < 8; r++) {
    __m256 c[8];
    for (size_t l = 0; l < 8; l++) c[l] = _mm256_loadu_ps(patch[l] + r * stride);
    transpose8(c); /* c[k]: column k of row r of the 8 patches */
    bt8(c, h[r]);
  }
  for (size_t b = 0; b < 8; b++) {
    __m256 x[8] = {h[0][b], h[1][b], h[2][b], h[3][b], h[4][b], h[5][b], h[6][b], h[7][b]}, y[8];
    bt8(x, y);
    for (size_t a = 0; a < 8; a++) _mm256_storeu_ps(v + (8 * a + b) * vs, y[a]);
  }
}

/* winograd_output8x8_avx2 for tile side T (6 or 4, a constant once inlined). */
static inline __attribute__((always_inline)) void output8(const float *m, size_t ms, float lo,
                                                          float hi, float *const *dst,
                                                          const int *rows, const int *cols,
                                                          size_t ostride, int full, int T) {
  __m256 t[6][8]; /* t[i][b]: A applied down the columns */
  for (size_t b = 0; b < 8; b++) {
    __m256 x[8], y[6];
    for (size_t a = 0; a < 8; a++) x[a] = _mm256_loadu_ps(m + (8 * a + b) * ms);
    at8(x, y, T);
    for (int i = 0; i < T; i++) t[i][b] = y[i];
  }
  /* max/min return their second operand for NaN: keep the value second so NaN survives */
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  float part[8][6][8]; /* the tiles' rows when not full */
  for (int i = 0; i < T; i++) {
    __m256 y[6];
    at8(t[i], y, T);
    for (int j = 0; j < T; j++) y[j] = _mm256_min_ps(vhi, _mm256_max_ps(vlo, y[j]));
    float *row[8]; /* where row i of each tile goes */
    wino_row_targets(dst, rows, cols, full, T, i, ostride, part, row);
    wino_store_row4(y, row);
    if (T == 4) continue;
    float *row4[8]; /* values 4 and 5 */
    for (size_t l = 0; l < 8; l++) row4[l] = row[l] + 4;
    wino_store_row2(y[4], y[5], row4);
  }
  if (!full) wino_store_partial((const float(*)[6][8])part, dst, rows, cols, ostride, T);
}

void winograd_output8x8_avx2(const float *m, size_t ms, float lo, float hi, float *const *dst,
                             const int *rows, const int *cols, size_t ostride, int full, int tile) {
  if (tile == 6)
    output8(m, ms, lo, hi, dst, rows, cols, ostride, full, 6);
  else
    output8(m, ms, lo, hi, dst, rows, cols, ostride, full, 4);
}
