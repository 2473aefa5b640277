/* The AVX2 + FMA transforms of the Winograd path (ops/conv2d_winograd_avx2.c for 4x4 and 6x6
 * input tiles, ops/conv2d_winograd8_avx2.c for 8x8 ones, compiled with -mavx2 -mfma), called
 * by ops/conv2d_winograd.c only when the GEMM runs its AVX2 kernel. */
#ifndef CNNRT_OPS_CONV2D_WINOGRAD_AVX2_H
#define CNNRT_OPS_CONV2D_WINOGRAD_AVX2_H
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
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
#endif

#endif
