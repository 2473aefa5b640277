/* The Winograd weight transform and packing of one panel in AVX2 (see
 * conv2d_winograd_avx2.h): 8 filters per vector, transposed from the weights, transformed
 * and stored straight into the packed runs. The G arithmetic is that of the portable
 * transform (conv2d_winograd_g.h, vectorised by the compiler), so the weights are the same
 * bits; this file is compiled with -mavx2 and -ffp-contract=off (no FMA). */
#include "ops/conv2d_winograd_avx2.h"

#include <immintrin.h>
#include <stdint.h>
#include "ops/conv2d_winograd_g.h"
#include "ops/conv2d_winograd_store_avx2.h"
#include "ops/gemm.h"

/* The panel for kernel side K and tile side T (constants once inlined). Lane l of chunk c is
 * filter (row r, input channel i) with 8 c + l = i GEMM_MR + r: the packed order, in which
 * the lanes' rows and channels repeat every GEMM_MR chunks (8 channels further on). The taps
 * of the 8 filters become vectors by 8x8 transposes of 8 taps of each (faster than gathers). */
static inline __attribute__((always_inline)) void pack_panel(const float *w, const float *scale,
                                                             size_t rows, size_t ic_n, float *dst,
                                                             size_t per_matrix, size_t K,
                                                             size_t T) {
  static const float zeros[32]; /* read by the lanes past the filters: zero rows, tail */
  wino_g_fn g = wino_g_of(K, T);
  size_t taps = K * K, n = ic_n * GEMM_MR;
  size_t off[GEMM_MR][WINO_CHUNK]; /* per chunk of the first GEMM_MR: each lane's filter */
  float sc[GEMM_MR][WINO_CHUNK];
  int32_t in_run[WINO_CHUNK];
  for (size_t c = 0; c < GEMM_MR; c++)
    for (size_t l = 0; l < WINO_CHUNK; l++) {
      size_t j = c * WINO_CHUNK + l, r = j % GEMM_MR;
      off[c][l] = (r * ic_n + j / GEMM_MR) * taps;
      sc[c][l] = r < rows && scale ? scale[r] : 1.0f;
    }
  for (size_t l = 0; l < WINO_CHUNK; l++) in_run[l] = (n - 1) % WINO_CHUNK >= l ? -1 : 0;
  /* streamed stores need 32-byte aligned runs (ic_n a multiple of 4) */
  int aligned = ((uintptr_t)dst | per_matrix * sizeof(float)) % 32 == 0;
  __m256i tail = _mm256_loadu_si256((const __m256i *)(const void *)in_run);
  /* the packed values of BLOCK lanes, then streamed out a run of whole lines per position
   * (one stream per position at a time: a line's worth at a time from 16 or more streams
   * goes out as partial lines, twice as slow as the portable path) */
  enum { BLOCK = 12 * WINO_CHUNK };
  float u[WINO_MAX_POSITIONS][BLOCK];
  for (size_t b0 = 0, c = 0; b0 < n; b0 += BLOCK) {
    size_t b1 = n - b0 < BLOCK ? n : b0 + BLOCK;
    for (size_t j0 = b0; j0 < b1; j0 += WINO_CHUNK, c = c + 1 == GEMM_MR ? 0 : c + 1) {
      size_t shift = j0 / (WINO_CHUNK * GEMM_MR) * WINO_CHUNK * taps;
      const float *src[WINO_CHUNK];
      for (size_t l = 0; l < WINO_CHUNK; l++)
        src[l] = (j0 + l) % GEMM_MR < rows && j0 + l < n ? w + off[c][l] + shift : zeros;
      __m256 vsc = _mm256_loadu_ps(sc[c]);
      float x[WINO_MAX_K * WINO_MAX_K][WINO_CHUNK]; /* x[q]: tap q of the 8 filters */
      for (size_t t0 = 0; t0 < taps; t0 += 8) {
        size_t o = t0 + 8 <= taps ? t0 : taps - 8; /* the last 8 taps, some again */
        __m256 v[8];
        for (size_t l = 0; l < WINO_CHUNK; l++) v[l] = _mm256_loadu_ps(src[l] + o);
        transpose8(v);
        for (size_t q = t0; q < taps && q < o + 8; q++)
          _mm256_storeu_ps(x[q], _mm256_mul_ps(v[q - o], vsc));
      }
      wino_chunk_in col;
      wino_chunk_out t[WINO_MAX_K], y; /* t[r][b]: (G g_r)[b] for filter row r */
      for (size_t r = 0; r < K; r++) g((const float(*)[WINO_CHUNK])(x + r * K), t[r]);
      for (size_t b = 0; b < T; b++) {
        for (size_t i = 0; i < K; i++) _mm256_storeu_ps(col[i], _mm256_loadu_ps(t[i][b]));
        g((const float(*)[WINO_CHUNK])col, y);
        for (size_t a = 0; a < T; a++)
          _mm256_storeu_ps(u[a * T + b] + (j0 - b0), _mm256_loadu_ps(y[a]));
      }
    }
    for (size_t pos = 0; pos < T * T; pos++) {
      float *o = dst + pos * per_matrix + b0;
      for (size_t j = 0; j < b1 - b0; j += WINO_CHUNK) {
        __m256 v = _mm256_loadu_ps(u[pos] + j);
        if (b0 + j + WINO_CHUNK > n)
          _mm256_maskstore_ps(o + j, tail, v);
        else if (aligned) /* read much later: no read of the destination, no eviction */
          _mm256_stream_ps(o + j, v);
        else
          _mm256_storeu_ps(o + j, v);
      }
    }
  }
  _mm_sfence(); /* the streamed stores before anything that follows */
}

void winograd_pack_panel_avx2(const float *w, const float *scale, size_t rows, size_t ic_n,
                              size_t k, size_t tile_in, float *dst, size_t per_matrix) {
  if (tile_in == 4)
    pack_panel(w, scale, rows, ic_n, dst, per_matrix, 3, 4);
  else if (tile_in == 6 && k == 3)
    pack_panel(w, scale, rows, ic_n, dst, per_matrix, 3, 6);
  else if (tile_in == 6)
    pack_panel(w, scale, rows, ic_n, dst, per_matrix, 5, 6);
  else if (k == 3)
    pack_panel(w, scale, rows, ic_n, dst, per_matrix, 3, 8);
  else
    pack_panel(w, scale, rows, ic_n, dst, per_matrix, 5, 8);
}
