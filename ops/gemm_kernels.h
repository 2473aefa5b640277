/* The micro-kernels behind gemm_panel / gemm_block: one MR x NR tile of C from packed
 * panels. c[r][j] = clamp(start + sum_p a[p][r] * b[p][j]) with start = c[r][j] itself when
 * accumulating (a later k block), else rows[r] + cols[j]; row p of b at b + p * ldb (GEMM_NR
 * for a packed panel), or at b + offs[p] when offs is not NULL (B read in place from a
 * conv's padded input rows: implicit im2col). Every kernel sums in p order from the start
 * value, so splitting k into blocks, or computing a column with another kernel, changes no
 * bit of the result (the clamp of the earlier blocks is -inf..inf). */
#ifndef CNNRT_OPS_GEMM_KERNELS_H
#define CNNRT_OPS_GEMM_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The C side of one tile. */
typedef struct {
  const float *rows, *cols; /* start values rows[r] + cols[j] when not accumulating */
  float min, max;           /* clamp */
  float *c;                 /* the tile, row stride ldc */
  size_t ldc;
  size_t n_rows; /* rows of C read and written (1..GEMM_MR; the A panel is zero padded) */
  bool accumulate;
} gemm_tile;

typedef void (*gemm_kernel_fn)(size_t k, const float *a, const float *b, size_t ldb,
                               const uint32_t *offs, const gemm_tile *t);

void gemm_kernel_portable(size_t k, const float *a, const float *b, size_t ldb,
                          const uint32_t *offs, const gemm_tile *t);

#if (defined(__x86_64__) || defined(__i386__)) && !defined(CNNRT_GENERIC_CPU)
#define CNNRT_HAVE_AVX2_KERNEL 1
void gemm_kernel_avx2(size_t k, const float *a, const float *b, size_t ldb, const uint32_t *offs,
                      const gemm_tile *t);
/* Columns 0..7 of gemm_kernel_avx2's tile only (reads and writes 8 columns). */
void gemm_kernel_avx2_half(size_t k, const float *a, const float *b, size_t ldb,
                           const uint32_t *offs, const gemm_tile *t);
/* One column of B (b points at it) against 4 packed A panels a[0..3] (6 rows each):
 * out[q][r] = clamp(start[q][r] + sum_p a[q][p][r] * b row p) for r < 6, summed in p order
 * like the tile kernels (lanes 6 and 7 of out are scratch). */
void gemm_column4_avx2(size_t k, const float *const *a, const float *b, size_t ldb,
                       const uint32_t *offs, const float (*start)[8], float min, float max,
                       float (*out)[8]);
/* Row 0 of a packed A panel against 4 consecutive packed B panels (k x GEMM_NR each):
 * out[0..64) = clamp(start[0..64) + sum_p a[p][0] * b row p of each panel). */
void gemm_row4_avx2(size_t k, const float *a, const float *b, const float *start, float min,
                    float max, float *out);
#endif

#endif
