/* The portable C transforms of the Winograd path (conv2d_winograd_portable.c): the weight
 * transform run at load, and the input and output transforms of 8 tiles at a time, the
 * reference the AVX2 code (conv2d_winograd_avx2.c, conv2d_winograd8_avx2.c) is tested
 * against. Input tiles are 4x4 (points 0, +-1, inf), 6x6 (0, +-1, +-2, inf) or 8x8 (0, +-1,
 * +-2, +-1/2, inf). */
#ifndef CNNRT_OPS_CONV2D_WINOGRAD_PORTABLE_H
#define CNNRT_OPS_CONV2D_WINOGRAD_PORTABLE_H
#include <stddef.h>

#define WINO_GROUP 8 /* tiles per input / output transform call */
#define WINO_MAX_TILE_IN 8
#define WINO_MAX_POSITIONS (WINO_MAX_TILE_IN * WINO_MAX_TILE_IN)
#define WINO_MAX_TILE 6 /* output tile side of F(6x6, 3x3) */
#define WINO_MAX_K 5

/* U = G g G^T of n k x k filters (k = 3 or 5, input tile side tile_in = 4, 6 or 8): g[t * s + j]
 * is tap t (k * row + column) of filter j, U[a][b] goes to u[(tile_in a + b) * s + j]; t holds
 * tile_in k s floats. */
void winograd_weight_transform(const float *g, float *t, float *u, size_t n, size_t s, size_t k,
                               size_t tile_in);

/* V = B^T d B of WINO_GROUP tiles: tile l is the tile_in x tile_in patch at patch[l] (row
 * stride stride), V[a][b] of it goes to v[(tile_in a + b) * vs + l]. */
void winograd_input8_portable(const float *const *patch, size_t stride, float *v, size_t vs,
                              size_t tile_in);

/* Y = A^T M A of WINO_GROUP tiles of side tile (M[a][b] of tile l at
 * m[(tile_in a + b) * ms + l]), clamped to [lo, hi], row i of tile l stored at
 * dst[l] + i * ostride for i < rows[l], its first cols[l] values. */
void winograd_output8_portable(const float *m, size_t ms, float lo, float hi, float *const *dst,
                               const int *rows, const int *cols, size_t ostride, size_t tile_in,
                               size_t tile);

#endif
