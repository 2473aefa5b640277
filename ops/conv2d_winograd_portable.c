/* Portable C transforms of the Winograd path (see conv2d_winograd_portable.h). The matrices,
 * for the points 0, 1, -1, 2, -2 (, 1/2, -1/2) and infinity in that order (the rows of G and
 * B^T, the columns of A^T), Toom-Cook with the Lagrange denominators in G:
 * - 4x4 tiles (F(2x2, 3x3)): G rows (1, 0, 0), 1/2 (1, 1, 1), 1/2 (1, -1, 1), (0, 0, 1);
 * - 6x6 tiles: G rows 1/4 (1, 0, ..), -1/6 (1, 1, 1, ..), -1/6 (1, -1, 1, ..),
 *   1/24 (1, 2, 4, ..), 1/24 (1, -2, 4, ..), (0, .., 0, 1);
 * - 8x8 tiles: G rows (1, 0, ..), -2/9 (1, 1, 1, ..), -2/9 (1, -1, 1, ..),
 *   1/90 (1, 2, 4, ..), 1/90 (1, -2, 4, ..), 32/45 (1, 1/2, 1/4, ..),
 *   32/45 (1, -1/2, 1/4, ..), (0, .., 0, 1);
 * B^T and A^T with the formulas of bt4 / bt6 / bt8 and at4 / at6 / at8. Sums are grouped so that
 * terms of like size meet first (smaller rounding). No FMA contraction in ISO C: the loops over
 * filters or tiles vectorise to the same values as scalar code. */
#include "ops/conv2d_winograd_portable.h"

#include <string.h>
#include "ops/conv2d_winograd_g.h"

/* G applied to n kernel rows or columns of k taps x[i * xs + j] (tap i of filter j), the
 * tile_in results to y[b * ys + j]. */
static void g_apply(const float *x, size_t xs, float *y, size_t ys, size_t n, size_t k,
                    size_t tile_in) {
  wino_g_fn g = wino_g_of(k, tile_in);
  wino_chunk_in in = {{0}};
  wino_chunk_out out;
  for (size_t j0 = 0; j0 < n; j0 += WINO_CHUNK) {
    size_t m = n - j0 < WINO_CHUNK ? n - j0 : WINO_CHUNK;
    if (m == WINO_CHUNK) { /* fixed-size copies, inlined */
      for (size_t i = 0; i < k; i++) memcpy(in[i], x + i * xs + j0, sizeof in[i]);
      g(in, out);
      for (size_t b = 0; b < tile_in; b++) memcpy(y + b * ys + j0, out[b], sizeof out[b]);
      continue;
    }
    for (size_t i = 0; i < k; i++) memcpy(in[i], x + i * xs + j0, m * sizeof(float));
    g(in, out);
    for (size_t b = 0; b < tile_in; b++) memcpy(y + b * ys + j0, out[b], m * sizeof(float));
  }
}

void winograd_weight_transform(const float *g, float *t, float *u, size_t n, size_t s, size_t k,
                               size_t tile_in) {
  for (size_t r = 0; r < k; r++) /* row r: t[(b k + r) s + j] = (G g_r)[b] */
    g_apply(g + r * k * s, s, t + r * s, k * s, n, k, tile_in);
  for (size_t b = 0; b < tile_in; b++) /* column b of the rows' transforms */
    g_apply(t + b * k * s, s, u + b * s, tile_in * s, n, k, tile_in);
}

/* B^T (4 x 4; rows 1 0 -1 0 / 0 1 1 0 / 0 -1 1 0 / 0 1 0 -1) across 4 vectors. */
static void bt4(const float *x, size_t xs, float *y, size_t ys) {
  for (size_t j = 0; j < WINO_GROUP; j++) {
    float d0 = x[j], d1 = x[xs + j], d2 = x[2 * xs + j], d3 = x[3 * xs + j];
    y[j] = d0 - d2, y[ys + j] = d1 + d2, y[2 * ys + j] = d2 - d1, y[3 * ys + j] = d1 - d3;
  }
}

/* B^T (6 x 6) across 6 vectors of WINO_GROUP floats x[k * xs], written to y[k * ys]. */
static void bt6(const float *x, size_t xs, float *y, size_t ys) {
  for (size_t j = 0; j < WINO_GROUP; j++) {
    float d0 = x[j], d1 = x[xs + j], d2 = x[2 * xs + j], d3 = x[3 * xs + j];
    float d4 = x[4 * xs + j], d5 = x[5 * xs + j];
    y[j] = 4.0f * d0 - 5.0f * d2 + d4;
    y[ys + j] = -4.0f * (d1 + d2) + (d3 + d4);
    y[2 * ys + j] = 4.0f * (d1 - d2) + (d4 - d3);
    y[3 * ys + j] = 2.0f * (d3 - d1) + (d4 - d2);
    y[4 * ys + j] = -2.0f * (d3 - d1) + (d4 - d2);
    y[5 * ys + j] = 4.0f * d1 - 5.0f * d3 + d5;
  }
}

/* B^T (8 x 8; rows 1 0 -21/4 0 21/4 0 -1 0 / 0 1 1 -17/4 -17/4 1 1 0 /
 * 0 -1 1 17/4 -17/4 -1 1 0 / 0 1/2 1/4 -5/2 -5/4 2 1 0 / 0 -1/2 1/4 5/2 -5/4 -2 1 0 /
 * 0 2 4 -5/2 -5 1/2 1 0 / 0 -2 4 5/2 -5 -1/2 1 0 / 0 -1 0 21/4 0 -21/4 0 1) across 8 vectors. */
static void bt8(const float *x, size_t xs, float *y, size_t ys) {
  for (size_t j = 0; j < WINO_GROUP; j++) {
    float d0 = x[j], d1 = x[xs + j], d2 = x[2 * xs + j], d3 = x[3 * xs + j];
    float d4 = x[4 * xs + j], d5 = x[5 * xs + j], d6 = x[6 * xs + j], d7 = x[7 * xs + j];
    float t1 = (d2 + d6) - 4.25f * d4, t2 = (d1 + d5) - 4.25f * d3;
    float t3 = (d6 + 0.25f * d2) - 1.25f * d4, t4 = (0.5f * d1 - 2.5f * d3) + 2.0f * d5;
    float t5 = (d6 + 4.0f * d2) - 5.0f * d4, t6 = (2.0f * d1 - 2.5f * d3) + 0.5f * d5;
    y[j] = 5.25f * (d4 - d2) + (d0 - d6);
    y[ys + j] = t1 + t2, y[2 * ys + j] = t1 - t2;
    y[3 * ys + j] = t3 + t4, y[4 * ys + j] = t3 - t4;
    y[5 * ys + j] = t5 + t6, y[6 * ys + j] = t5 - t6;
    y[7 * ys + j] = 5.25f * (d3 - d5) + (d7 - d1);
  }
}

/* A^T (2 x 4; rows 1 1 1 0 / 0 1 -1 -1) across 4 vectors. */
static void at4(const float *x, size_t xs, float *y, size_t ys, size_t tile) {
  (void)tile;
  for (size_t j = 0; j < WINO_GROUP; j++) {
    float m0 = x[j], m1 = x[xs + j], m2 = x[2 * xs + j], m3 = x[3 * xs + j];
    y[j] = m0 + (m1 + m2), y[ys + j] = (m1 - m2) - m3;
  }
}

/* A^T (tile x 6) across 6 vectors. Its rows: for tile 4, 1 1 1 1 1 0 / 0 1 -1 2 -2 0 /
 * 0 1 1 4 4 0 / 0 1 -1 8 -8 1; for tile 2, 1 1 1 1 1 0 / 0 1 -1 2 -2 1. */
static void at6(const float *x, size_t xs, float *y, size_t ys, size_t tile) {
  for (size_t j = 0; j < WINO_GROUP; j++) {
    float m0 = x[j], m1 = x[xs + j], m2 = x[2 * xs + j], m3 = x[3 * xs + j];
    float m4 = x[4 * xs + j], m5 = x[5 * xs + j];
    y[j] = m0 + (m1 + m2) + (m3 + m4);
    y[ys + j] = (m1 - m2) + 2.0f * (m3 - m4);
    if (tile == 2) {
      y[ys + j] += m5;
      continue;
    }
    y[2 * ys + j] = (m1 + m2) + 4.0f * (m3 + m4);
    y[3 * ys + j] = (m1 - m2) + 8.0f * (m3 - m4) + m5;
  }
}

/* A^T (tile x 8) across 8 vectors: row i is (0^i, 1, (-1)^i, 2^i, (-2)^i, 2^-i, (-2)^-i, 0)
 * (0^0 = 1), plus 1 in the last column of the last row; tile 6 or 4. */
static void at8(const float *x, size_t xs, float *y, size_t ys, size_t tile) {
  for (size_t j = 0; j < WINO_GROUP; j++) {
    float m0 = x[j], m7 = x[7 * xs + j];
    float s12 = x[xs + j] + x[2 * xs + j], d12 = x[xs + j] - x[2 * xs + j];
    float s34 = x[3 * xs + j] + x[4 * xs + j], d34 = x[3 * xs + j] - x[4 * xs + j];
    float s56 = x[5 * xs + j] + x[6 * xs + j], d56 = x[5 * xs + j] - x[6 * xs + j];
    y[j] = m0 + s12 + (s34 + s56);
    y[ys + j] = d12 + (2.0f * d34 + 0.5f * d56);
    y[2 * ys + j] = s12 + (4.0f * s34 + 0.25f * s56);
    y[3 * ys + j] = d12 + (8.0f * d34 + 0.125f * d56);
    if (tile == 4) {
      y[3 * ys + j] += m7;
      continue;
    }
    y[4 * ys + j] = s12 + (16.0f * s34 + 0.0625f * s56);
    y[5 * ys + j] = d12 + (32.0f * d34 + 0.03125f * d56) + m7;
  }
}

void winograd_input8_portable(const float *const *patch, size_t stride, float *v, size_t vs,
                              size_t tile_in) {
  enum { T = WINO_MAX_TILE_IN, L = WINO_GROUP };
  float d[T][T][L], h[T][T][L];
  void (*bt)(const float *, size_t, float *, size_t) = tile_in == 4   ? bt4
                                                       : tile_in == 6 ? bt6
                                                                      : bt8;
  for (size_t l = 0; l < L; l++)
    for (size_t r = 0; r < tile_in; r++)
      for (size_t c = 0; c < tile_in; c++) d[r][c][l] = patch[l][r * stride + c];
  /* along the rows (h[r][b]), then down the columns */
  for (size_t r = 0; r < tile_in; r++) bt(&d[r][0][0], L, &h[r][0][0], L);
  for (size_t b = 0; b < tile_in; b++) bt(&h[0][b][0], T * L, v + b * vs, tile_in * vs);
}

void winograd_output8_portable(const float *m, size_t ms, float lo, float hi, float *const *dst,
                               const int *rows, const int *cols, size_t ostride, size_t tile_in,
                               size_t tile) {
  enum { T = WINO_MAX_TILE_IN, L = WINO_GROUP };
  float mm[WINO_MAX_POSITIONS][L], t[WINO_MAX_TILE][T][L], y[WINO_MAX_TILE][WINO_MAX_TILE][L];
  void (*at)(const float *, size_t, float *, size_t, size_t) = tile_in == 4   ? at4
                                                               : tile_in == 6 ? at6
                                                                              : at8;
  for (size_t pos = 0; pos < tile_in * tile_in; pos++)
    memcpy(mm[pos], m + pos * ms, sizeof mm[pos]);
  /* down the columns (t[i][b]), then along the rows */
  for (size_t b = 0; b < tile_in; b++) at(mm[b], tile_in * L, &t[0][b][0], T * L, tile);
  for (size_t i = 0; i < tile; i++) at(&t[i][0][0], L, &y[i][0][0], L, tile);
  for (size_t l = 0; l < L; l++)
    for (int r = 0; r < rows[l]; r++)
      for (int c = 0; c < cols[l]; c++) {
        float v = y[r][c][l];
        v = v < lo ? lo : v;
        dst[l][(size_t)r * ostride + (size_t)c] = v > hi ? hi : v;
      }
}
