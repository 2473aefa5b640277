/* The AVX2 + FMA transforms of the Winograd path (ops/conv2d_winograd_avx2.c for 4x4 and 6x6
 * input tiles, ops/conv2d_winograd8_avx2.c for 8x8 ones, compiled with -mavx2 -mfma) and its
 * AVX2 weight packer, called by ops/conv2d_winograd.c only when the GEMM runs its AVX2
 * kernel. */
#ifndef CNNRT_OPS_CONV2D_WINOGRAD_AVX2_H
#define CNNRT_OPS_CONV2D_WINOGRAD_AVX2_H
#include <stddef.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(CNNRT_GENERIC_CPU)
#define WINO_HAVE_AVX2 1
/* B^T d B of 8 6x6 tiles (one per lane): as winograd_input8_portable. */
void winograd_input8_avx2(const float *const *patch, size_t stride, float *v, size_t vs);
/* A^T m A of 8 tiles of side tile (4 or 2), clamped to [lo, hi]: as
 * winograd_output8_portable. */
void winograd_output8_avx2(const float *m, size_t ms, float lo, float hi, float *const *dst,
                           const int *rows, const int *cols, size_t ostride, int full, int tile);
/* The same for 8x8 input tiles (rows of 8 readable floats); output tiles of side 6 or 4. */
void winograd_input8x8_avx2(const float *const *patch, size_t stride, float *v, size_t vs);
void winograd_output8x8_avx2(const float *m, size_t ms, float lo, float hi, float *const *dst,
                             const int *rows, const int *cols, size_t ostride, int full, int tile);
/* The same for 4x4 input tiles (4 floats read per row) and output tiles of side 2. */
void winograd_input4x4_avx2(const float *const *patch, size_t stride, float *v, size_t vs);
void winograd_output4x4_avx2(const float *m, size_t ms, float lo, float hi, float *const *dst,
                             const int *rows, const int *cols, size_t ostride, int full);
/* U = G g G^T of the filters of one panel of GEMM_MR output channels, as the portable path of
 * winograd_pack_weights packs them, bit for bit (ops/conv2d_winograd_pack_avx2.c): filter
 * (r, i) of its first rows output channels (the others are zero) at w[(r ic_n + i) k k],
 * scaled by scale[r] (NULL: not scaled), U[a][b] of it to
 * dst[(tile_in a + b) per_matrix + i GEMM_MR + r]. Needs ic_n k k GEMM_MR < 2^31. */
void winograd_pack_panel_avx2(const float *w, const float *scale, size_t rows, size_t ic_n,
                              size_t k, size_t tile_in, float *dst, size_t per_matrix);
#endif

#endif
