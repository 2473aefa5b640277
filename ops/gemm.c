#include "ops/gemm.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "ops/gemm_kernels.h"

size_t gemm_packed_a_floats(size_t m, size_t k) {
  return (m + GEMM_MR - 1) / GEMM_MR * GEMM_MR * k;
}

void gemm_pack_a(const float *a, size_t lda, size_t m, size_t k, float *packed) {
  gemm_pack_a_scaled(a, lda, m, k, NULL, packed);
}

void gemm_pack_a_scaled(const float *a, size_t lda, size_t m, size_t k, const float *row_scale,
                        float *packed) {
  for (size_t row0 = 0; row0 < m; row0 += GEMM_MR) {
    size_t rows = m - row0 < GEMM_MR ? m - row0 : GEMM_MR;
    /* row by row (sequential reads), each value to its place in the k-major panel */
    for (size_t r = 0; r < GEMM_MR; r++) {
      float *dst = packed + r;
      if (r >= rows) { /* the zero rows padding the last panel (no source row to point at) */
        for (size_t p = 0; p < k; p++) dst[p * GEMM_MR] = 0.0f;
        continue;
      }
      const float *src = a + (row0 + r) * lda;
      if (row_scale)
        for (size_t p = 0; p < k; p++) dst[p * GEMM_MR] = src[p] * row_scale[row0 + r];
      else
        for (size_t p = 0; p < k; p++) dst[p * GEMM_MR] = src[p];
    }
    packed += GEMM_MR * k;
  }
}

size_t gemm_packed_b_floats(size_t k, size_t n) {
  return (n + GEMM_NR - 1) / GEMM_NR * GEMM_NR * k;
}

void gemm_pack_b_transposed(const float *w, size_t ldw, size_t n, size_t k, float *packed) {
  for (size_t col0 = 0; col0 < n; col0 += GEMM_NR)
    for (size_t p = 0; p < k; p++)
      for (size_t j = 0; j < GEMM_NR; j++)
        *packed++ = col0 + j < n ? w[(col0 + j) * ldw + p] : 0.0f;
}

void gemm_kernel_portable(size_t k, const float *a, const float *b, size_t ldb,
                          const uint32_t *offs, const gemm_tile *t) {
  float acc[GEMM_MR][GEMM_NR] = {{0}};
  for (size_t r = 0; r < t->n_rows; r++)
    for (size_t j = 0; j < GEMM_NR; j++)
      acc[r][j] = t->accumulate ? t->c[r * t->ldc + j] : t->rows[r] + t->cols[j];
  for (size_t p = 0; p < k; p++, a += GEMM_MR) {
    const float *bp = offs ? b + offs[p] : b + p * ldb;
    for (int r = 0; r < GEMM_MR; r++)
      for (int j = 0; j < GEMM_NR; j++) acc[r][j] += a[r] * bp[j];
  }
  for (size_t r = 0; r < t->n_rows; r++)
    for (size_t j = 0; j < GEMM_NR; j++) {
      float v = acc[r][j] < t->min ? t->min : acc[r][j];
      t->c[r * t->ldc + j] = v > t->max ? t->max : v;
    }
}

#ifndef GEMM_MC
#define GEMM_MC 120 /* rows of A per L2 block in gemm_block (a multiple of GEMM_MR) */
#endif

static atomic_bool forced_portable;

#ifdef CNNRT_HAVE_AVX2_KERNEL
/* 0 = not chosen yet, 1 = portable, 2 = avx2 */
static atomic_int chosen_kernel;

static int choose_kernel(void) {
  int k = atomic_load(&chosen_kernel);
  if (k) return k;
  k = 1;
  const char *env = getenv("CNNRT_PORTABLE");
  __builtin_cpu_init();
  if (!(env && env[0] == '1') && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    k = 2;
  atomic_store(&chosen_kernel, k);
  return k;
}
#endif

static gemm_kernel_fn current_kernel(void) {
#ifdef CNNRT_HAVE_AVX2_KERNEL
  if (!atomic_load(&forced_portable) && choose_kernel() == 2) return gemm_kernel_avx2;
#endif
  return gemm_kernel_portable;
}

bool gemm_force_portable(bool on) {
  return atomic_exchange(&forced_portable, on);
}

const char *gemm_kernel_name(void) {
  return current_kernel() == gemm_kernel_portable ? "portable" : "avx2-fma";
}

bool gemm_simd_active(void) {
  return current_kernel() != gemm_kernel_portable;
}

/* Up to this many columns, a last panel is computed column by column, 4 row panels at a
 * time (gemm_column4_avx2), rather than as half tiles: 320->1280 1x1 at 7x7 (3 panels + 1
 * column) 0.51 -> 0.46 ms, 512->512 3x3 at 7x7 3.36 -> 3.01 ms. */
#define COLUMN_KERNEL_MAX_COLS 2

/* the rows (<= GEMM_MR) or columns of a missing bias */
static const float zero_bias[GEMM_NR];

/* Whether a panel of ncols columns goes to narrow_columns (AVX2 only). */
static bool narrow_panel(gemm_kernel_fn kernel, size_t ncols) {
#ifdef CNNRT_HAVE_AVX2_KERNEL
  return kernel == gemm_kernel_avx2 && ncols <= COLUMN_KERNEL_MAX_COLS;
#else
  (void)kernel, (void)ncols;
  return false;
#endif
}

/* Rows [row0, row_end) of C (m rows in all; row panel i of A at packed_a + i * a_stride)
 * for the ncols (<= COLUMN_KERNEL_MAX_COLS) columns of one B panel, column by column and 4
 * row panels at a time. t gives the clamp, C (t->c: row 0), whether to accumulate and
 * t->cols; the start of row i is row_bias[i] (0 when NULL) + t->cols[j] otherwise. */
static void narrow_columns(const float *packed_a, size_t a_stride, size_t row0, size_t row_end,
                           size_t m, size_t k, const float *b, size_t ldb, const uint32_t *offs,
                           const float *row_bias, const gemm_tile *t, size_t ncols) {
#ifdef CNNRT_HAVE_AVX2_KERNEL
  enum { Q = 4 };
  if (row_end > m) row_end = m;
  for (; row0 < row_end; row0 += Q * GEMM_MR) {
    size_t rows = row_end - row0 < Q * GEMM_MR ? row_end - row0 : Q * GEMM_MR;
    const float *a[Q];
    for (size_t q = 0; q < Q; q++) /* missing panels repeat the last real one */
      a[q] =
          packed_a + (row0 / GEMM_MR + (q * GEMM_MR < rows ? q : (rows - 1) / GEMM_MR)) * a_stride;
    for (size_t j = 0; j < ncols; j++) {
      float start[Q][8] = {{0}}, out[Q][8];
      for (size_t i = 0; i < rows; i++) {
        const float *c = t->c + (row0 + i) * t->ldc + j;
        float bias = row_bias ? row_bias[row0 + i] : 0.0f; /* as zero_bias for the tiles */
        start[i / GEMM_MR][i % GEMM_MR] = t->accumulate ? *c : bias + t->cols[j];
      }
      gemm_column4_avx2(k, a, b + j, ldb, offs, (const float(*)[8])start, t->min, t->max, out);
      for (size_t i = 0; i < rows; i++)
        t->c[(row0 + i) * t->ldc + j] = out[i / GEMM_MR][i % GEMM_MR];
    }
  }
#else
  (void)packed_a, (void)a_stride, (void)row0, (void)row_end, (void)m, (void)k, (void)b;
  (void)ldb, (void)offs, (void)row_bias, (void)t, (void)ncols;
#endif
}

/* One tile of C, t->n_rows x ncols of it stored: the kernel writes whole rows of GEMM_NR
 * columns, so partial columns go through a local tile. */
static void tile_product(gemm_kernel_fn kernel, size_t k, const float *a, const float *b,
                         size_t ldb, const uint32_t *offs, const gemm_tile *t, size_t ncols) {
  if (ncols == GEMM_NR) {
    kernel(k, a, b, ldb, offs, t);
    return;
  }
#ifdef CNNRT_HAVE_AVX2_KERNEL
  if (kernel == gemm_kernel_avx2 && ncols <= GEMM_NR / 2) /* half the work, same sums */
    kernel = gemm_kernel_avx2_half;
#endif
  float tile[GEMM_MR * GEMM_NR];
  gemm_tile local = *t;
  local.c = tile, local.ldc = GEMM_NR;
  if (t->accumulate)
    for (size_t r = 0; r < t->n_rows; r++)
      memcpy(tile + r * GEMM_NR, t->c + r * t->ldc, ncols * sizeof(float));
  kernel(k, a, b, ldb, offs, &local);
  for (size_t r = 0; r < t->n_rows; r++)
    memcpy(t->c + r * t->ldc, tile + r * GEMM_NR, ncols * sizeof(float));
}

void gemm_panel(const float *packed_a, size_t m, size_t k, const float *b, const gemm_epilogue *ep,
                float *c, size_t ldc, size_t ncols) {
  const size_t ldb = GEMM_NR;
  gemm_kernel_fn kernel = current_kernel();
  float cols[GEMM_NR] = {0};
  if (ep->bias_cols) memcpy(cols, ep->bias_cols, ncols * sizeof(float));
  gemm_tile t = {.cols = cols, .min = ep->min, .max = ep->max, .ldc = ldc};
  if (narrow_panel(kernel, ncols)) {
    t.c = c;
    narrow_columns(packed_a, GEMM_MR * k, 0, m, m, k, b, ldb, NULL, ep->bias, &t, ncols);
    return;
  }
  for (size_t row0 = 0; row0 < m; row0 += GEMM_MR, packed_a += GEMM_MR * k) {
    t.n_rows = m - row0 < GEMM_MR ? m - row0 : GEMM_MR;
    t.rows = ep->bias ? ep->bias + row0 : zero_bias;
    t.c = c + row0 * ldc;
    tile_product(kernel, k, packed_a, b, ldb, NULL, &t, ncols);
  }
}

void gemm_block(const float *packed_a, size_t a_stride, size_t m, size_t kc,
                const gemm_b_panel *panels, size_t n_panels, const gemm_epilogue *ep, bool first,
                bool last, size_t ldc) {
  gemm_kernel_fn kernel = current_kernel();
  gemm_tile t = {.cols = zero_bias,
                 .min = last ? ep->min : -INFINITY,
                 .max = last ? ep->max : INFINITY,
                 .ldc = ldc,
                 .accumulate = !first};
  /* BLIS order: each panel of B (kc x NR, 16 KB for kc 256) stays in L1 while the row
   * panels of A stream from L2, GEMM_MC rows of A at a time */
  for (size_t ic = 0; ic < m; ic += GEMM_MC)
    for (size_t i = 0; i < n_panels; i++) {
      if (narrow_panel(kernel, panels[i].ncols)) {
        t.c = panels[i].c;
        narrow_columns(packed_a, a_stride, ic, ic + GEMM_MC, m, kc, panels[i].b, panels[i].ldb,
                       panels[i].offsets, ep->bias, &t, panels[i].ncols);
        continue;
      }
      for (size_t row0 = ic; row0 < m && row0 < ic + GEMM_MC; row0 += GEMM_MR) {
        t.n_rows = m - row0 < GEMM_MR ? m - row0 : GEMM_MR;
        t.rows = ep->bias ? ep->bias + row0 : zero_bias;
        t.c = panels[i].c + row0 * ldc;
        tile_product(kernel, kc, packed_a + row0 / GEMM_MR * a_stride, panels[i].b, panels[i].ldb,
                     panels[i].offsets, &t, panels[i].ncols);
      }
    }
}

void gemm_one_row(const float *packed_a, size_t k, const float *b_panels, size_t n_panels, size_t n,
                  const gemm_epilogue *ep, float *c) {
  size_t panel = 0;
#ifdef CNNRT_HAVE_AVX2_KERNEL
  if (current_kernel() == gemm_kernel_avx2)
    for (; panel + 4 <= n_panels && (panel + 4) * GEMM_NR <= n; panel += 4) {
      float start[4 * GEMM_NR], *out = c + panel * GEMM_NR;
      for (size_t j = 0; j < 4 * GEMM_NR; j++) /* 0 + bias: as the tile kernel starts */
        start[j] = 0.0f + (ep->bias_cols ? ep->bias_cols[panel * GEMM_NR + j] : 0.0f);
      gemm_row4_avx2(k, packed_a, b_panels + panel * k * GEMM_NR, start, ep->min, ep->max, out);
    }
#endif
  for (; panel < n_panels; panel++) {
    size_t col0 = panel * GEMM_NR, ncols = n - col0 < GEMM_NR ? n - col0 : GEMM_NR;
    gemm_epilogue one = *ep;
    if (one.bias_cols) one.bias_cols += col0;
    gemm_panel(packed_a, 1, k, b_panels + col0 * k, &one, c + col0, n, ncols);
  }
}
