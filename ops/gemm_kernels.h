/* The micro-kernels behind gemm_panel: one MR x NR tile of C from packed panels.
 * c[r][j] = clamp((rows[r] + cols[j]) + sum_p a[p][r] * b[p][j]), b with row stride ldb
 * (GEMM_NR for a packed panel), c with row stride ldc. */
#ifndef CNNRT_OPS_GEMM_KERNELS_H
#define CNNRT_OPS_GEMM_KERNELS_H

#include <stddef.h>

typedef void (*gemm_kernel_fn)(size_t k, const float *a, const float *b, size_t ldb,
                               const float *rows, const float *cols, float min, float max, float *c,
                               size_t ldc);

void gemm_kernel_portable(size_t k, const float *a, const float *b, size_t ldb, const float *rows,
                          const float *cols, float min, float max, float *c, size_t ldc);

#if defined(__x86_64__) || defined(__i386__)
#define CNNRT_HAVE_AVX2_KERNEL 1
void gemm_kernel_avx2(size_t k, const float *a, const float *b, size_t ldb, const float *rows,
                      const float *cols, float min, float max, float *c, size_t ldc);
#endif

#endif
