/* Packed single-precision GEMM, the engine of Conv2d and Linear.
 *
 * C[m x n] = A[m x k] * B[k x n] + bias, optionally clamped (fused ReLU / ReLU6).
 * A (the weights) is packed once at load into panels of GEMM_MR rows; B (im2col columns
 * or activations) is packed per run into panels of GEMM_NR columns, so that the
 * micro-kernel streams both contiguously and keeps a GEMM_MR x GEMM_NR tile of C in
 * registers. Each element of C is accumulated in k order from its start by whichever
 * kernel computes it (gemm_kernels.h), so results never depend on how panels are split
 * across threads or k into blocks. */
#ifndef CNNRT_OPS_GEMM_H
#define CNNRT_OPS_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEMM_MR 6
#define GEMM_NR 16

typedef struct {
  const float *bias;      /* per row of C: m values, or NULL */
  const float *bias_cols; /* per column of C: the panel's ncols values, or NULL */
  float min, max;         /* clamp of the result: -INFINITY / INFINITY for none */
} gemm_epilogue;

/* Floats needed to pack an m x k matrix A. */
size_t gemm_packed_a_floats(size_t m, size_t k);

/* Packs row-major A (row stride lda) into ceil(m / MR) panels of k x MR (zero padded). */
void gemm_pack_a(const float *a, size_t lda, size_t m, size_t k, float *packed);
/* gemm_pack_a with each row multiplied by row_scale[row] (NULL: by 1). */
void gemm_pack_a_scaled(const float *a, size_t lda, size_t m, size_t k, const float *row_scale,
                        float *packed);

/* Floats needed to pack B = W^T for an n x k row-major W (Linear weights). */
size_t gemm_packed_b_floats(size_t k, size_t n);

/* Packs B = W^T (W: n x k, row stride ldw) into ceil(n / NR) panels of k x NR (zero
 * padded); panel p covers columns [p * NR, p * NR + NR) of B, i.e. rows of W. */
void gemm_pack_b_transposed(const float *w, size_t ldw, size_t n, size_t k, float *packed);

/* Computes the columns of one B panel (k x NR floats, row j of the panel = row j of B):
 * c[i * ldc + j] for rows i < m and columns j < ncols (<= NR). */
void gemm_panel(const float *packed_a, size_t m, size_t k, const float *b_panel,
                const gemm_epilogue *ep, float *c, size_t ldc, size_t ncols);

/* Row 0 only (m = 1) of C[0][0..n) for B panels [0, n_panels) (consecutive, k x NR each,
 * panel 0 at column 0 of C and of ep->bias_cols): the same sums as gemm_panel, without
 * the work of the 5 zero rows of the A panel (a batch-1 Linear). */
void gemm_one_row(const float *packed_a, size_t k, const float *b_panels, size_t n_panels, size_t n,
                  const gemm_epilogue *ep, float *c);

/* One column panel of B for gemm_block: kc rows of GEMM_NR floats, row p at b + p * ldb,
 * or at b + offsets[p] when offsets is not NULL (all GEMM_NR readable), and where its
 * ncols (<= GEMM_NR) columns of C start. */
typedef struct {
  const float *b;
  size_t ldb;
  const uint32_t *offsets;
  float *c;
  size_t ncols;
} gemm_b_panel;

/* One k block of a cache-blocked GEMM: for rows [0, m) of A (packed_a points at row panel
 * 0 of the block, offset to its first k; a_stride floats between row panels) and each
 * panel: C (+)= A[:, block] x panel. first: C starts from ep->bias (else from C, the sum
 * of the earlier blocks); last: ep's clamp is applied. ep->bias_cols is not used. */
void gemm_block(const float *packed_a, size_t a_stride, size_t m, size_t kc,
                const gemm_b_panel *panels, size_t n_panels, const gemm_epilogue *ep, bool first,
                bool last, size_t ldc);

/* Forces the portable micro-kernel (tests compare it with the SIMD one); returns the
 * previous setting. Also forced by the environment variable CNNRT_PORTABLE=1. */
bool gemm_force_portable(bool on);

/* Whether the AVX2 + FMA micro-kernel is in use (the CPU has both, CNNRT_PORTABLE=1 and
 * gemm_force_portable do not force the portable one). The other AVX2 kernels (Winograd
 * transforms, depthwise, pooling) follow it, so that one switch selects every path. */
bool gemm_simd_active(void);

/* Name of the micro-kernel in use: "avx2-fma" or "portable". */
const char *gemm_kernel_name(void);

#endif
