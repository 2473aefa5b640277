/* The AVX2 + FMA micro-kernel: a 6 x 16 tile of C in 12 ymm accumulators. This file is
 * compiled with -mavx2 -mfma and only called when the CPU has both (ops/gemm.c).
 * The accumulators are named variables, not an array: GCC keeps an array in memory and
 * would store it on every iteration. Each kernel body is inlined twice: B rows at a fixed
 * stride (packed panels) or at listed offsets (implicit im2col), so the common loop keeps
 * no test. */
#include <immintrin.h>
#include "ops/gemm.h"
#include "ops/gemm_kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* max/min return their second operand for NaN: keep the value second so NaN survives */
#define CLAMP(v) _mm256_min_ps(hi, _mm256_max_ps(lo, v))

/* accumulator start: C itself when accumulating, else rows[r] + cols[j], added in the same
 * order as the portable kernel; rows past t->n_rows start (and stay) unused */
#define INIT(r, half)                                                                              \
  ((r) >= t->n_rows ? _mm256_setzero_ps()                                                          \
   : t->accumulate                                                                                 \
       ? _mm256_loadu_ps(t->c + (r)*t->ldc + 8 * (half))                                           \
       : _mm256_add_ps(_mm256_set1_ps(t->rows[r]), _mm256_loadu_ps(t->cols + 8 * (half))))

/* Row p of B: at a fixed stride, or at its listed offset. */
#define B_ROW(p) (offs ? b + offs[p] : b + (p)*ldb)

ALWAYS_INLINE void full_tile(size_t k, const float *a, const float *b, size_t ldb,
                             const uint32_t *offs, const gemm_tile *t) {
  __m256 c00 = INIT(0, 0), c01 = INIT(0, 1), c10 = INIT(1, 0), c11 = INIT(1, 1);
  __m256 c20 = INIT(2, 0), c21 = INIT(2, 1), c30 = INIT(3, 0), c31 = INIT(3, 1);
  __m256 c40 = INIT(4, 0), c41 = INIT(4, 1), c50 = INIT(5, 0), c51 = INIT(5, 1);
  for (size_t p = 0; p < k; p++, a += GEMM_MR) {
    const float *bp = B_ROW(p);
    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8), av;
    av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40), c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50), c51 = _mm256_fmadd_ps(av, b1, c51);
  }
  __m256 lo = _mm256_set1_ps(t->min), hi = _mm256_set1_ps(t->max);
  float *c = t->c;
  size_t ldc = t->ldc, n = t->n_rows;
  _mm256_storeu_ps(c, CLAMP(c00)), _mm256_storeu_ps(c + 8, CLAMP(c01));
  if (n > 1) _mm256_storeu_ps(c + ldc, CLAMP(c10)), _mm256_storeu_ps(c + ldc + 8, CLAMP(c11));
  if (n > 2)
    _mm256_storeu_ps(c + 2 * ldc, CLAMP(c20)), _mm256_storeu_ps(c + 2 * ldc + 8, CLAMP(c21));
  if (n > 3)
    _mm256_storeu_ps(c + 3 * ldc, CLAMP(c30)), _mm256_storeu_ps(c + 3 * ldc + 8, CLAMP(c31));
  if (n > 4)
    _mm256_storeu_ps(c + 4 * ldc, CLAMP(c40)), _mm256_storeu_ps(c + 4 * ldc + 8, CLAMP(c41));
  if (n > 5)
    _mm256_storeu_ps(c + 5 * ldc, CLAMP(c50)), _mm256_storeu_ps(c + 5 * ldc + 8, CLAMP(c51));
}

/* The left half (8 columns) of the same tile, for a last panel of at most 8 columns (a 7 x 7
 * map is 3 panels and 1 column): each column is summed exactly as by the full kernel. */
ALWAYS_INLINE void half_tile(size_t k, const float *a, const float *b, size_t ldb,
                             const uint32_t *offs, const gemm_tile *t) {
  __m256 c00 = INIT(0, 0), c10 = INIT(1, 0), c20 = INIT(2, 0);
  __m256 c30 = INIT(3, 0), c40 = INIT(4, 0), c50 = INIT(5, 0);
  for (size_t p = 0; p < k; p++, a += GEMM_MR) {
    __m256 b0 = _mm256_loadu_ps(B_ROW(p));
    c00 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 0), b0, c00);
    c10 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 1), b0, c10);
    c20 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 2), b0, c20);
    c30 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 3), b0, c30);
    c40 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 4), b0, c40);
    c50 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 5), b0, c50);
  }
  __m256 lo = _mm256_set1_ps(t->min), hi = _mm256_set1_ps(t->max);
  float *c = t->c;
  size_t ldc = t->ldc, n = t->n_rows;
  _mm256_storeu_ps(c, CLAMP(c00));
  if (n > 1) _mm256_storeu_ps(c + ldc, CLAMP(c10));
  if (n > 2) _mm256_storeu_ps(c + 2 * ldc, CLAMP(c20));
  if (n > 3) _mm256_storeu_ps(c + 3 * ldc, CLAMP(c30));
  if (n > 4) _mm256_storeu_ps(c + 4 * ldc, CLAMP(c40));
  if (n > 5) _mm256_storeu_ps(c + 5 * ldc, CLAMP(c50));
}

void gemm_kernel_avx2(size_t k, const float *a, const float *b, size_t ldb, const uint32_t *offs,
                      const gemm_tile *t) {
  if (offs)
    full_tile(k, a, b, 0, offs, t);
  else
    full_tile(k, a, b, ldb, NULL, t);
}

void gemm_kernel_avx2_half(size_t k, const float *a, const float *b, size_t ldb,
                           const uint32_t *offs, const gemm_tile *t) {
  if (offs)
    half_tile(k, a, b, 0, offs, t);
  else
    half_tile(k, a, b, ldb, NULL, t);
}

/* One column of B against 4 packed A panels (24 rows): out[q][r] = clamp(start[q][r] +
 * sum_p a[q][p][r] * B_ROW(p)[0]), each panel's 6 rows in one vector (lanes 6 and 7 hold
 * the next k's values and are dropped) and summed in p order from its start, as by the
 * 6 x 16 tile. The 4 panels are 4 independent FMA chains: ~6x less work per column than
 * the half tile, for the last 1-2 columns of a map (7 x 7 is 3 panels and 1 column). */
ALWAYS_INLINE void column4(size_t k, const float *const *a, const float *b, size_t ldb,
                           const uint32_t *offs, const float (*start)[8], float min, float max,
                           float (*out)[8]) {
  const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  __m256 s0 = _mm256_loadu_ps(start[0]), s1 = _mm256_loadu_ps(start[1]);
  __m256 s2 = _mm256_loadu_ps(start[2]), s3 = _mm256_loadu_ps(start[3]);
  size_t p = 0;
  for (; p + 1 < k; p++) {
    __m256 bv = _mm256_broadcast_ss(B_ROW(p));
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + p * 6), bv, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a1 + p * 6), bv, s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a2 + p * 6), bv, s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a3 + p * 6), bv, s3);
  }
  /* the last k: only its 6 values are inside a panel */
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  __m256 bv = _mm256_broadcast_ss(B_ROW(p));
  s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a0 + p * 6, six), bv, s0);
  s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a1 + p * 6, six), bv, s1);
  s2 = _mm256_fmadd_ps(_mm256_maskload_ps(a2 + p * 6, six), bv, s2);
  s3 = _mm256_fmadd_ps(_mm256_maskload_ps(a3 + p * 6, six), bv, s3);
  __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
  _mm256_storeu_ps(out[0], CLAMP(s0)), _mm256_storeu_ps(out[1], CLAMP(s1));
  _mm256_storeu_ps(out[2], CLAMP(s2)), _mm256_storeu_ps(out[3], CLAMP(s3));
}

void gemm_column4_avx2(size_t k, const float *const *a, const float *b, size_t ldb,
                       const uint32_t *offs, const float (*start)[8], float min, float max,
                       float (*out)[8]) {
  if (offs)
    column4(k, a, b, 0, offs, start, min, max, out);
  else
    column4(k, a, b, ldb, NULL, start, min, max, out);
}

/* One row of A (batch 1 Linear) against 4 consecutive packed B panels (k x 16 each): the
 * 6 x 16 tile would spend 6x the FMAs on zero rows, and this layer only has to stream B.
 * Each column is summed in p order from its start value, as by gemm_kernel_avx2. */
void gemm_row4_avx2(size_t k, const float *a, const float *b, const float *start, float min,
                    float max, float *out) {
  const float *b1 = b + k * GEMM_NR, *b2 = b1 + k * GEMM_NR, *b3 = b2 + k * GEMM_NR;
  __m256 c0 = _mm256_loadu_ps(start), c1 = _mm256_loadu_ps(start + 8);
  __m256 c2 = _mm256_loadu_ps(start + 16), c3 = _mm256_loadu_ps(start + 24);
  __m256 c4 = _mm256_loadu_ps(start + 32), c5 = _mm256_loadu_ps(start + 40);
  __m256 c6 = _mm256_loadu_ps(start + 48), c7 = _mm256_loadu_ps(start + 56);
  for (size_t p = 0; p < k; p++, a += GEMM_MR) {
    __m256 av = _mm256_broadcast_ss(a);
    size_t o = p * GEMM_NR;
    c0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + o), c0);
    c1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b + o + 8), c1);
    c2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b1 + o), c2);
    c3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b1 + o + 8), c3);
    c4 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b2 + o), c4);
    c5 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b2 + o + 8), c5);
    c6 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b3 + o), c6);
    c7 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b3 + o + 8), c7);
  }
  __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);
  _mm256_storeu_ps(out, CLAMP(c0)), _mm256_storeu_ps(out + 8, CLAMP(c1));
  _mm256_storeu_ps(out + 16, CLAMP(c2)), _mm256_storeu_ps(out + 24, CLAMP(c3));
  _mm256_storeu_ps(out + 32, CLAMP(c4)), _mm256_storeu_ps(out + 40, CLAMP(c5));
  _mm256_storeu_ps(out + 48, CLAMP(c6)), _mm256_storeu_ps(out + 56, CLAMP(c7));
}
