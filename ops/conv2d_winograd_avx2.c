/* AVX2 + FMA code of the Winograd path (ops/conv2d_winograd.c): the input and output
 * transforms of the variants on 4x4 and 6x6 input tiles, F(2x2, 3x3), F(4x4, 3x3) and F(2x2, 5x5)
 * (those on 8x8 tiles are in conv2d_winograd8_avx2.c), 8 tiles per call, one tile per lane. This
 * file is compiled with -mavx2 -mfma and only called
 * when the GEMM runs its AVX2 kernel (the CPU has AVX2 and FMA, and the portable kernel is not
 * forced). */
#include "ops/conv2d_winograd_avx2.h"

#include <immintrin.h>
#include "ops/conv2d_winograd_store_avx2.h"

/* y = B^T x for six vectors (the rows of B^T: 4 0 -5 0 1 0 / 0 -4 -4 1 1 0 / 0 4 -4 -1 1 0 /
 * 0 -2 -1 2 1 0 / 0 2 -1 -2 1 0 / 0 4 0 -5 0 1). */
static inline void bt6(const __m256 x[6], __m256 y[6]) {
  const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f);
  const __m256 five = _mm256_set1_ps(5.0f);
  __m256 s12 = _mm256_add_ps(x[1], x[2]), s34 = _mm256_add_ps(x[3], x[4]);
  __m256 d12 = _mm256_sub_ps(x[1], x[2]), d43 = _mm256_sub_ps(x[4], x[3]);
  __m256 d31 = _mm256_sub_ps(x[3], x[1]), d42 = _mm256_sub_ps(x[4], x[2]);
  y[0] = _mm256_fmadd_ps(four, x[0], _mm256_fnmadd_ps(five, x[2], x[4]));
  y[1] = _mm256_fnmadd_ps(four, s12, s34);
  y[2] = _mm256_fmadd_ps(four, d12, d43);
  y[3] = _mm256_fmadd_ps(two, d31, d42);
  y[4] = _mm256_fnmadd_ps(two, d31, d42);
  y[5] = _mm256_fmadd_ps(four, x[1], _mm256_fnmadd_ps(five, x[3], x[5]));
}

/* y = A^T x for six vectors (tile 4: rows 1 1 1 1 1 0 / 0 1 -1 2 -2 0 / 0 1 1 4 4 0 /
 * 0 1 -1 8 -8 1; tile 2: rows 1 1 1 1 1 0 / 0 1 -1 2 -2 1). */
static inline __attribute__((always_inline)) void at6(const __m256 x[6], __m256 y[4], int tile) {
  __m256 s12 = _mm256_add_ps(x[1], x[2]), d12 = _mm256_sub_ps(x[1], x[2]);
  __m256 s34 = _mm256_add_ps(x[3], x[4]), d34 = _mm256_sub_ps(x[3], x[4]);
  y[0] = _mm256_add_ps(_mm256_add_ps(x[0], s12), s34);
  y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d34, d12);
  if (tile == 2) {
    y[1] = _mm256_add_ps(y[1], x[5]);
    return;
  }
  y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s34, s12);
  y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d34, d12), x[5]);
}

/* V = B^T d B of 8 tiles: tile l is the 6 x 6 patch at patch[l] (row stride stride; each
 * row must have 8 readable floats), V[a][b] of it goes to v[(6a + b) * vs + l]. */
void winograd_input8_avx2(const float *const *patch, size_t stride, float *v, size_t vs) {
  __m256 h[6][6]; /* h[r][b]: B applied along the rows of each patch */
  for (size_t r = 0; r < 6; r++) {
    size_t o = r * stride;
    __m256 c[8]; /* row r of the 8 patches, then column k of them (the first 6 used) */
    for (size_t l = 0; l < 8; l++) c[l] = _mm256_loadu_ps(patch[l] + o);
    transpose8(c);
    bt6(c, h[r]);
  }
  for (size_t b = 0; b < 6; b++) {
    __m256 x[6] = {h[0][b], h[1][b], h[2][b], h[3][b], h[4][b], h[5][b]}, y[6];
    bt6(x, y);
    for (size_t a = 0; a < 6; a++) _mm256_storeu_ps(v + (6 * a + b) * vs, y[a]);
  }
}

/* winograd_output8_avx2 for tile side T (4 or 2, a constant once inlined). */
static inline __attribute__((always_inline)) void output8(const float *m, size_t ms, float lo,
                                                          float hi, float *const *dst,
                                                          const int *rows, const int *cols,
                                                          size_t ostride, int full, int T) {
  __m256 t[4][6]; /* t[i][b]: A applied down the columns */
  for (size_t b = 0; b < 6; b++) {
    __m256 x[6], y[4];
    for (size_t a = 0; a < 6; a++) x[a] = _mm256_loadu_ps(m + (6 * a + b) * ms);
    at6(x, y, T);
    for (int i = 0; i < T; i++) t[i][b] = y[i];
  }
  /* max/min return their second operand for NaN: keep the value second so NaN survives */
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  float part[8][6][8]; /* the tiles' rows when not full (the shared layout) */
  for (int i = 0; i < T; i++) {
    __m256 y[4];
    at6(t[i], y, T);
    for (int j = 0; j < T; j++) y[j] = _mm256_min_ps(vhi, _mm256_max_ps(vlo, y[j]));
    float *row[8]; /* where row i of each tile goes */
    wino_row_targets(dst, rows, cols, full, T, i, ostride, part, row);
    if (T == 2)
      wino_store_row2(y[0], y[1], row);
    else
      wino_store_row4(y, row);
  }
  if (!full) wino_store_partial((const float(*)[6][8])part, dst, rows, cols, ostride, T);
}

/* Y = A^T M A of 8 tiles of side tile (4 or 2; M[a][b] of tile l at m[(6a + b) * ms + l]),
 * clamped to [lo, hi], row i of tile l stored at dst[l] + i * ostride for i < rows[l], its
 * first cols[l] values (all tile x tile when full: no tile crosses the output's edge). */
void winograd_output8_avx2(const float *m, size_t ms, float lo, float hi, float *const *dst,
                           const int *rows, const int *cols, size_t ostride, int full, int tile) {
  if (tile == 2)
    output8(m, ms, lo, hi, dst, rows, cols, ostride, full, 2);
  else
    output8(m, ms, lo, hi, dst, rows, cols, ostride, full, 4);
}

/* ---- 4x4 input tiles: F(2x2, 3x3) ------------------------------------------------------ */

/* y = B^T x for four vectors (rows 1 0 -1 0 / 0 1 1 0 / 0 -1 1 0 / 0 1 0 -1), as the
 * portable bt4. */
static inline __attribute__((always_inline)) void bt4(const __m256 x[4], __m256 y[4]) {
  y[0] = _mm256_sub_ps(x[0], x[2]), y[1] = _mm256_add_ps(x[1], x[2]);
  y[2] = _mm256_sub_ps(x[2], x[1]), y[3] = _mm256_sub_ps(x[1], x[3]);
}

/* y = A^T x for four vectors (rows 1 1 1 0 / 0 1 -1 -1), as the portable at4. */
static inline __attribute__((always_inline)) void at4(const __m256 x[4], __m256 y[2]) {
  y[0] = _mm256_add_ps(x[0], _mm256_add_ps(x[1], x[2]));
  y[1] = _mm256_sub_ps(_mm256_sub_ps(x[1], x[2]), x[3]);
}

/* V = B^T d B of 8 4x4 tiles (patch[l], row stride stride, 4 floats read per row), V[a][b]
 * of tile l to v[(4a + b) * vs + l]. */
void winograd_input4x4_avx2(const float *const *patch, size_t stride, float *v, size_t vs) {
  __m256 h[4][4]; /* h[r][b]: B applied along the rows of each patch */
  for (size_t r = 0; r < 4; r++) {
    size_t o = r * stride;
    /* rows of tiles l and l + 4 in the two halves, then a 4x4 transpose in each half:
     * c[k] = column k of row r of the 8 tiles */
    __m256 q0 = _mm256_set_m128(_mm_loadu_ps(patch[4] + o), _mm_loadu_ps(patch[0] + o));
    __m256 q1 = _mm256_set_m128(_mm_loadu_ps(patch[5] + o), _mm_loadu_ps(patch[1] + o));
    __m256 q2 = _mm256_set_m128(_mm_loadu_ps(patch[6] + o), _mm_loadu_ps(patch[2] + o));
    __m256 q3 = _mm256_set_m128(_mm_loadu_ps(patch[7] + o), _mm_loadu_ps(patch[3] + o));
    __m256 t0 = _mm256_unpacklo_ps(q0, q1), t1 = _mm256_unpackhi_ps(q0, q1);
    __m256 t2 = _mm256_unpacklo_ps(q2, q3), t3 = _mm256_unpackhi_ps(q2, q3);
    __m256 c[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                   _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE)};
    bt4(c, h[r]);
  }
  for (size_t b = 0; b < 4; b++) {
    __m256 x[4] = {h[0][b], h[1][b], h[2][b], h[3][b]}, y[4];
    bt4(x, y);
    for (size_t a = 0; a < 4; a++) _mm256_storeu_ps(v + (4 * a + b) * vs, y[a]);
  }
}

/* Y = A^T M A of 8 tiles of side 2 (M[a][b] of tile l at m[(4a + b) * ms + l]), clamped,
 * stored as winograd_output8_avx2 does. */
void winograd_output4x4_avx2(const float *m, size_t ms, float lo, float hi, float *const *dst,
                             const int *rows, const int *cols, size_t ostride, int full) {
  __m256 t[2][4]; /* t[i][b]: A applied down the columns */
  for (size_t b = 0; b < 4; b++) {
    __m256 x[4], y[2];
    for (size_t a = 0; a < 4; a++) x[a] = _mm256_loadu_ps(m + (4 * a + b) * ms);
    at4(x, y);
    t[0][b] = y[0], t[1][b] = y[1];
  }
  /* max/min return their second operand for NaN: keep the value second so NaN survives */
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  float part[8][6][8]; /* the tiles' rows when not full (the shared layout) */
  for (int i = 0; i < 2; i++) {
    __m256 y[2];
    at4(t[i], y);
    y[0] = _mm256_min_ps(vhi, _mm256_max_ps(vlo, y[0]));
    y[1] = _mm256_min_ps(vhi, _mm256_max_ps(vlo, y[1]));
    float *row[8];
    wino_row_targets(dst, rows, cols, full, 2, i, ostride, part, row);
    wino_store_row2(y[0], y[1], row);
  }
  if (!full) wino_store_partial((const float(*)[6][8])part, dst, rows, cols, ostride, 2);
}
