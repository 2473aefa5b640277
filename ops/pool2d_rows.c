/* The MaxPool2d and AvgPool2d kernels, one output row at a time. Pooling is memory-bound,
 * so the aim is to stream the input through vector registers with no call and no bounds
 * check per element (calling a window function per output cost ~30 ns each):
 * - an output row whose window rows all lie inside the input, with a 2x2 or 3x3
 *   undilated window and column stride 1 or 2 (nearly every CNN's pool), computes its
 *   interior columns in one loop over all taps: hand-written AVX2 for stride 2 (GCC's
 *   stride-2 loads and NaN-aware max are slow), auto-vectorised C otherwise;
 * - everything else (padding rows, other kernels, dilation, ceil_mode's overhang) folds
 *   tap by tap into the output row, each tap clipped once to the output columns whose
 *   input column exists, so padding costs nothing per element; the few border columns
 *   of the other rows are computed one window at a time with bounds checks.
 * Every path gives the same values (CNNRT_PORTABLE=1 turns the AVX2 loops off), and each
 * plane takes the same path whichever thread runs it:
 * - AvgPool2d sums a window in row-major order starting from 0.0f, as PyTorch's CPU
 *   kernel and the scalar definition do, then divides once (only which NaN's payload
 *   survives a sum of two NaNs may differ between paths: C lets the compiler swap the
 *   operands of +);
 * - max folds with PyTorch's rule `v > acc || isnan(v) ? v : acc`: a NaN in the window
 *   wins (the last one), ties keep the first value. That fold is associative, so a
 *   window's rows may be reduced first and then combined in order, but never reordered.
 *   -inf is its identity: padding never wins and a window covering only padding gives
 *   -inf, as in PyTorch. */
#include <math.h>
#include <string.h>
#include "ops/gemm.h"
#include "ops/pool2d.h"
#include "ops/simd.h"

#define INLINE static inline __attribute__((always_inline))

/* Rows of fused_rows' form: out[y * out_stride + x] for y < rows, x < n, from K x K
 * windows starting at r + y * in_stride + x * S; returns how many columns of each row it
 * wrote (the AVX2 loops leave a remainder for the portable one). */
typedef int64_t (*rows_fn)(float *out, const float *r, int64_t w, int64_t n, int64_t rows,
                           int64_t out_stride, int64_t in_stride);

typedef struct {
  const window_axis *axis; /* [0] = height, [1] = width */
  bool count_include_pad;  /* AvgPool2d only */
  int64_t divisor;         /* AvgPool2d's divisor_override; 0 = none */
  /* the same for every plane, worked out once per run by plan() */
  int K;            /* 2 or 3: the fused K x K window; 0: taps_row only */
  int64_t clo, chi; /* output columns whose window lies inside [0, w) */
  int64_t ylo, yhi; /* with K: output rows whose window rows lie inside [0, h) */
  rows_fn fast;     /* the AVX2 loop for K at stride 2, or NULL */
} rows_params;

/* acc folded with the next tap v (written so that GCC maps the max to maxps). */
INLINE float fold(bool is_max, float acc, float v) {
  return is_max ? (isnan(v) ? v : v > acc ? v : acc) : acc + v;
}

/* acc[x] = fold(acc[x], row[x * S + x0]) for the output columns x in [0, n) whose input
 * column is inside the row of w floats. Inlined with a constant S for the common strides
 * (shifts instead of divisions, a loop the compiler vectorises). */
INLINE void fold_tap(bool is_max, float *restrict acc, const float *restrict row, int64_t x0,
                     int64_t S, int64_t w, int64_t n) {
  int64_t lo = x0 >= 0 ? 0 : (S - 1 - x0) / S;
  int64_t hi = x0 >= w ? 0 : (w - 1 - x0) / S + 1;
  if (hi > n) hi = n;
  for (int64_t x = lo; x < hi; x++) acc[x] = fold(is_max, acc[x], row[x * S + x0]);
}

/* Output row oy of any window: the identity, then every tap whose input row exists, over
 * the columns where its input column exists. */
INLINE void taps_row(bool is_max, const pool2d_job *j, const float *plane, int64_t oy, float *out) {
  const rows_params *p = j->params;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  int64_t s = aw->stride;
  for (int64_t x = 0; x < j->ow; x++) out[x] = is_max ? -INFINITY : 0.0f;
  for (int64_t ki = 0; ki < ah->kernel; ki++) {
    int64_t iy = oy * ah->stride - ah->pad_begin + ki * ah->dilation;
    if (iy < 0 || iy >= j->h) continue;
    const float *row = plane + iy * j->w;
    for (int64_t kj = 0; kj < aw->kernel; kj++) {
      int64_t x0 = kj * aw->dilation - aw->pad_begin;
      if (s == 1)
        fold_tap(is_max, out, row, x0, 1, j->w, j->ow);
      else if (s == 2)
        fold_tap(is_max, out, row, x0, 2, j->w, j->ow);
      else
        fold_tap(is_max, out, row, x0, s, j->w, j->ow);
    }
  }
}

/* Output (oy, ox) alone, bounds-checked tap by tap in the same order. */
INLINE float window_at(bool is_max, const pool2d_job *j, const float *plane, int64_t oy,
                       int64_t ox) {
  const rows_params *p = j->params;
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  float acc = is_max ? -INFINITY : 0.0f;
  for (int64_t ki = 0; ki < ah->kernel; ki++) {
    int64_t y = oy * ah->stride - ah->pad_begin + ki * ah->dilation;
    if (y < 0 || y >= j->h) continue;
    for (int64_t kj = 0; kj < aw->kernel; kj++) {
      int64_t x = ox * aw->stride - aw->pad_begin + kj * aw->dilation;
      if (x >= 0 && x < j->w) acc = fold(is_max, acc, plane[y * j->w + x]);
    }
  }
  return acc;
}

/* The rows_fn loop in portable C for a constant K and column stride S (vectorised by
 * GCC). Max reduces each window row, then the rows in order (fold is associative;
 * fold(-inf, v) == v); avg adds the taps in row-major order from 0.0f. */
INLINE void fused_rows(bool is_max, float *restrict out, const float *restrict r, int64_t w,
                       int64_t n, int64_t rows, int64_t out_stride, int64_t in_stride, int K,
                       int S) {
  for (int64_t y = 0; y < rows; y++, out += out_stride, r += in_stride)
    for (int64_t x = 0; x < n; x++) {
      const float *p = r + x * S;
      float acc = is_max ? -INFINITY : 0.0f;
      for (int ki = 0; ki < K; ki++, p += w) {
        if (!is_max) {
          for (int kj = 0; kj < K; kj++) acc += p[kj];
          continue;
        }
        float m = fold(true, p[0], p[1]);
        if (K == 3) m = fold(true, m, p[2]);
        acc = ki ? fold(true, acc, m) : m;
      }
      out[x] = acc;
    }
}

/* The AVX2 loops are compiled through target attributes (no per-file build flags) and are
 * only called after the CPU check in stride2_kernel(). */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(CNNRT_GENERIC_CPU)
#include <immintrin.h>
#define HAVE_AVX2_ROWS 1
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))

/* fold on 8 lanes: maxps(v, acc) is `v > acc ? v : acc` (acc when either is NaN), then
 * a NaN v replaces it. */
AVX2_INLINE __m256 fold8(bool is_max, __m256 acc, __m256 v) {
  if (!is_max) return _mm256_add_ps(acc, v);
  return _mm256_blendv_ps(_mm256_max_ps(v, acc), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

AVX2_INLINE __m128 fold4(bool is_max, __m128 acc, __m128 v) {
  if (!is_max) return _mm_add_ps(acc, v);
  return _mm_blendv_ps(_mm_max_ps(v, acc), v, _mm_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* 8 outputs of one row at column stride 2 for K = 2 or 3: window row columns 2x, 2x+1,
 * 2x+2 are the even and odd floats of p[0..16) and the odd ones of p[1..17); vshufps gives
 * them in lane order 0 1 4 5 2 3 6 7, undone by one 64-bit permute. Reads p[0..2*8+K-1). */
AVX2_INLINE void stride2_block8(bool is_max, int K, float *out, const float *p, int64_t w) {
  __m256 acc = _mm256_setzero_ps();
  for (int ki = 0; ki < K; ki++, p += w) {
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 c0 = _mm256_shuffle_ps(a, b, 0x88), c1 = _mm256_shuffle_ps(a, b, 0xdd), c2 = c1;
    if (K == 3) c2 = _mm256_shuffle_ps(_mm256_loadu_ps(p + 1), _mm256_loadu_ps(p + 9), 0xdd);
    if (!is_max) {
      acc = _mm256_add_ps(_mm256_add_ps(acc, c0), c1);
      if (K == 3) acc = _mm256_add_ps(acc, c2);
      continue;
    }
    __m256 m = fold8(true, c0, c1);
    if (K == 3) m = fold8(true, m, c2);
    acc = ki ? fold8(true, acc, m) : m;
  }
  __m256d ordered = _mm256_permute4x64_pd(_mm256_castps_pd(acc), 0xd8);
  _mm256_storeu_ps(out, _mm256_castpd_ps(ordered));
}

/* The same for 4 outputs (vshufps keeps them in order). */
AVX2_INLINE void stride2_block4(bool is_max, int K, float *out, const float *p, int64_t w) {
  __m128 acc = _mm_setzero_ps();
  for (int ki = 0; ki < K; ki++, p += w) {
    __m128 a = _mm_loadu_ps(p), b = _mm_loadu_ps(p + 4);
    __m128 c0 = _mm_shuffle_ps(a, b, 0x88), c1 = _mm_shuffle_ps(a, b, 0xdd), c2 = c1;
    if (K == 3) c2 = _mm_shuffle_ps(_mm_loadu_ps(p + 1), _mm_loadu_ps(p + 5), 0xdd);
    if (!is_max) {
      acc = _mm_add_ps(_mm_add_ps(acc, c0), c1);
      if (K == 3) acc = _mm_add_ps(acc, c2);
      continue;
    }
    __m128 m = fold4(true, c0, c1);
    if (K == 3) m = fold4(true, m, c2);
    acc = ki ? fold4(true, acc, m) : m;
  }
  _mm_storeu_ps(out, acc);
}

/* The rows_fn loop at column stride 2 for K = 2 or 3: blocks of 8 (or 4 when a row is
 * shorter), the last block moved back to end at n; the outputs it computes twice get the
 * same bits both times. Rows shorter than 4 are left to the portable loop. */
AVX2_INLINE int64_t stride2_avx2(bool is_max, int K, float *out, const float *r, int64_t w,
                                 int64_t n, int64_t rows, int64_t out_stride, int64_t in_stride) {
  if (n < 4) return 0;
  for (int64_t y = 0; y < rows; y++, out += out_stride, r += in_stride) {
    if (n < 8) {
      stride2_block4(is_max, K, out, r, w);
      if (n > 4) stride2_block4(is_max, K, out + n - 4, r + 2 * (n - 4), w);
      continue;
    }
    for (int64_t x = 0; x + 8 <= n; x += 8) stride2_block8(is_max, K, out + x, r + 2 * x, w);
    if (n % 8) stride2_block8(is_max, K, out + n - 8, r + 2 * (n - 8), w);
  }
  return n;
}

#define AVX2_ROWS(name, is_max, K)                                                                 \
  __attribute__((target("avx2"))) static int64_t name(                                             \
      float *out, const float *r, int64_t w, int64_t n, int64_t rows, int64_t os, int64_t is) {    \
    return stride2_avx2(is_max, K, out, r, w, n, rows, os, is);                                    \
  }
AVX2_ROWS(max2_avx2, true, 2)
AVX2_ROWS(max3_avx2, true, 3)
AVX2_ROWS(avg2_avx2, false, 2)
AVX2_ROWS(avg3_avx2, false, 3)

/* The AVX2 stride-2 loop for a K x K window, or NULL for the portable one: AVX2 exactly
 * when the GEMM uses its SIMD micro-kernel (CPU support; CNNRT_PORTABLE=1 and
 * gemm_force_portable switch both off), as for the depthwise convolution. */
static rows_fn stride2_kernel(bool is_max, int K) {
  if (!gemm_simd_active()) return NULL;
  return is_max ? (K == 2 ? max2_avx2 : max3_avx2) : (K == 2 ? avg2_avx2 : avg3_avx2);
}
#endif

/* The fused window size (2 or 3) when the window allows it, else 0. */
static int fused_kernel(const window_axis *ah, const window_axis *aw) {
  bool ok = ah->kernel == aw->kernel && (aw->kernel == 2 || aw->kernel == 3) && ah->dilation == 1 &&
            aw->dilation == 1 && (aw->stride == 1 || aw->stride == 2);
  return ok ? (int)aw->kernel : 0;
}

/* AvgPool2d's division of output row oy, as PyTorch's CPU kernel: out = 0.0f, then
 * out += sum / (float)divisor (so a -0.0f quotient, from a negative divisor_override or
 * an underflow, is stored as +0.0f). The divisor counts the window's taps inside the
 * input, or inside the padded input with count_include_pad, unless divisor_override
 * replaces it. Interior columns [clo, chi) share one divisor (kernel_width columns), so
 * that loop is a vector divide. */
INLINE void divide_row(const pool2d_job *j, int64_t oy, float *out, int64_t clo, int64_t chi) {
  const rows_params *p = j->params;
  const window_axis *aw = &p->axis[1];
  if (p->divisor) {
    float d = (float)p->divisor;
    for (int64_t x = 0; x < j->ow; x++) out[x] = out[x] / d + 0.0f;
    return;
  }
  int64_t y0, y1, padded_h, x0, x1, padded_w;
  window_span(&p->axis[0], oy, j->h, &y0, &y1, &padded_h);
  int64_t rows = p->count_include_pad ? padded_h : y1 - y0;
  float d = (float)(rows * aw->kernel);
  for (int64_t x = clo; x < chi; x++) out[x] = out[x] / d + 0.0f;
  for (int64_t x = 0; x < j->ow; x++) {
    if (x >= clo && x < chi) continue;
    window_span(aw, x, j->w, &x0, &x1, &padded_w);
    out[x] = out[x] / (float)(rows * (p->count_include_pad ? padded_w : x1 - x0)) + 0.0f;
  }
}

/* Output rows [ylo, yhi) of K-fused windows: border columns one window at a time, the
 * interior columns by p->fast, then the portable loop for what it left. */
INLINE void interior_rows(bool is_max, const pool2d_job *j, const float *plane, float *out) {
  const rows_params *p = j->params;
  int64_t sw = p->axis[1].stride, sh = p->axis[0].stride, rows = p->yhi - p->ylo;
  int64_t n = p->chi - p->clo, done = 0;
  out += p->ylo * j->ow;
  if (p->clo > 0 || p->chi < j->ow)
    for (int64_t oy = p->ylo; oy < p->yhi; oy++) {
      float *o = out + (oy - p->ylo) * j->ow;
      for (int64_t x = 0; x < p->clo; x++) o[x] = window_at(is_max, j, plane, oy, x);
      for (int64_t x = p->chi; x < j->ow; x++) o[x] = window_at(is_max, j, plane, oy, x);
    }
  if (n <= 0 || rows <= 0) return;
  /* the window of output (ylo, clo) */
  const float *r =
      plane + (p->ylo * sh - p->axis[0].pad_begin) * j->w + (p->clo * sw - p->axis[1].pad_begin);
  out += p->clo;
  if (p->fast) done = p->fast(out, r, j->w, n, rows, j->ow, sh * j->w);
  out += done, r += done * sw, n -= done;
  if (n == 0) return;
  if (p->K == 2 && sw == 2)
    fused_rows(is_max, out, r, j->w, n, rows, j->ow, sh * j->w, 2, 2);
  else if (p->K == 3 && sw == 2)
    fused_rows(is_max, out, r, j->w, n, rows, j->ow, sh * j->w, 3, 2);
  else if (p->K == 2)
    fused_rows(is_max, out, r, j->w, n, rows, j->ow, sh * j->w, 2, 1);
  else
    fused_rows(is_max, out, r, j->w, n, rows, j->ow, sh * j->w, 3, 1);
}

/* One plane: the other rows by taps_row, then AvgPool2d's division. */
INLINE void pool_plane(bool is_max, const pool2d_job *j, const float *plane, float *out) {
  const rows_params *p = j->params;
  for (int64_t oy = 0; oy < p->ylo; oy++) taps_row(is_max, j, plane, oy, out + oy * j->ow);
  for (int64_t oy = p->yhi; oy < j->oh; oy++) taps_row(is_max, j, plane, oy, out + oy * j->ow);
  interior_rows(is_max, j, plane, out);
  if (!is_max)
    for (int64_t oy = 0; oy < j->oh; oy++) divide_row(j, oy, out + oy * j->ow, p->clo, p->chi);
}

SIMD_CLONES static void max_plane(const pool2d_job *j, const float *plane, float *out) {
  pool_plane(true, j, plane, out);
}

SIMD_CLONES static void avg_plane(const pool2d_job *j, const float *plane, float *out) {
  pool_plane(false, j, plane, out);
}

/* Fills in the per-run part of p for input in and output out. */
static void plan(rows_params *p, bool is_max, const tensor *in, const tensor *out) {
  const window_axis *ah = &p->axis[0], *aw = &p->axis[1];
  int64_t h = (int64_t)in->shape.dim[2], w = (int64_t)in->shape.dim[3];
  int64_t oh = (int64_t)out->shape.dim[2], ow = (int64_t)out->shape.dim[3];
  int64_t sw = aw->stride, pw = aw->pad_begin, extent = (aw->kernel - 1) * aw->dilation + 1;
  p->clo = (pw + sw - 1) / sw;
  p->chi = w - extent + pw < 0 ? 0 : (w - extent + pw) / sw + 1;
  if (p->chi > ow) p->chi = ow;
  if (p->clo > p->chi) p->clo = p->chi;
  p->K = fused_kernel(ah, aw);
  p->ylo = p->yhi = 0;
  p->fast = NULL;
  if (!p->K) return;
  int64_t sh = ah->stride, ph = ah->pad_begin;
  p->ylo = (ph + sh - 1) / sh;
  p->yhi = h - p->K + ph < 0 ? 0 : (h - p->K + ph) / sh + 1;
  if (p->yhi > oh) p->yhi = oh;
  if (p->ylo > p->yhi) p->ylo = p->yhi;
#ifdef HAVE_AVX2_ROWS
  if (sw == 2) p->fast = stride2_kernel(is_max, p->K);
#else
  (void)is_max;
#endif
}

void pool2d_max(const window_axis axis[2], const tensor *in, tensor *out, threadpool *tp) {
  rows_params p = {.axis = axis};
  plan(&p, true, in, out);
  pool2d_run_planes(&p, max_plane, in, out, tp);
}

void pool2d_avg(const window_axis axis[2], bool count_include_pad, int64_t divisor,
                const tensor *in, tensor *out, threadpool *tp) {
  rows_params p = {.axis = axis, .count_include_pad = count_include_pad, .divisor = divisor};
  plan(&p, false, in, out);
  pool2d_run_planes(&p, avg_plane, in, out, tp);
}
