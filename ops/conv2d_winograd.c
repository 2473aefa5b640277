/* Winograd F(4x4, 3x3) and F(2x2, 5x5) for 3x3 and 5x5 stride-1 convolutions (Lavin &
 * Gray): each 4x4 (2x2) output tile comes from a 6x6 input tile as
 * Y = A^T [(G g G^T) . (B^T d B)] A, so the 36 element-wise products of all tiles become 36
 * GEMMs [OC x IC] x [IC x tiles] with 4x (2.78x) fewer multiplications than direct
 * convolution. Both use the points 0, 1, -1, 2, -2 and infinity, hence the same B^T; only
 * G (6 x k), A^T (tile x 6) and the tile side differ. Weights are transformed and packed at
 * load.
 *
 * The tiles of the batch (GEMM_NR-wide panels of one sample each) run in blocks as large
 * as the scratch allows, each in three parallel phases: transform the input (one task per
 * input channel), the 36 GEMMs (one task per position and slice of output channels, so a
 * slice of transformed weights is read from memory once per block and then from L2 for
 * every panel of the block), transform back (one task per output channel, with bias and
 * clamp). Each output element is computed the same way whatever the block size or thread
 * count. When the GEMM runs its AVX2 kernel, the transforms (8 tiles per vector) and the
 * GEMM of a last panel holding few tiles are hand-written AVX2 + FMA code
 * (conv2d_winograd_avx2.c); otherwise (CNNRT_PORTABLE=1, other CPUs) portable C. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif
#include "ops/conv2d_internal.h"
#include "ops/conv2d_winograd_avx2.h"
#include "runtime/checked.h"

#define TILE_IN 6    /* input tile side; the output tile side is TILE_IN + 1 - kernel */
#define MAX_TILE 4   /* output tile side of F(4x4, 3x3) */
#define MAX_K 5      /* kernel side of F(2x2, 5x5) */
#define POSITIONS 36 /* TILE_IN * TILE_IN transformed positions */
#define LANES GEMM_NR
#define GROUP 8 /* tiles per transform call */
/* Column (1, 1) of A (TILE_IN x tile) is all ones, so a bias added to product (1, 1) is
 * added once to every output: the GEMM of that position adds it. */
#define BIAS_POS (1 * TILE_IN + 1)
/* Scratch per thread: up to MAX_PANELS panels within SLOT_TARGET_BYTES (at least one).
 * The transformed weights are streamed once per block: when they are too big for the last
 * level cache (over BIG_WEIGHTS_BYTES), at least MAX_PANELS panels whatever their size, so
 * that the weights are read from memory once per MAX_PANELS panels. */
#define SLOT_TARGET_BYTES ((size_t)2 << 20)
#define MAX_PANELS 4
#define BIG_WEIGHTS_BYTES ((size_t)8 << 20)
/* Output channels per GEMM task: their transformed weights (rows x IC) stay in L2 while
 * every panel of the block goes through them. */
#define A_SLICE_BYTES ((size_t)128 << 10)
#define PACK_IC 16 /* input channels per step of winograd_pack_weights */

/* A panel with at most this many tiles (the last of an output) takes the narrow GEMM. */
#define NARROW_TILES 4

/* G (6 x k, k = 3 or 5) applied to n kernel rows or columns of k taps x[i * xs + j] (tap i
 * of filter j), the 6 results to y[b * ys + j]. The rows of G: 1/4 (1, 0, ..),
 * -1/6 (1, 1, 1, ..), -1/6 (1, -1, 1, ..), 1/24 (1, 2, 4, ..), 1/24 (1, -2, 4, ..),
 * (0, .., 0, 1). Vectorised by the compiler (no FMA contraction in ISO C: SIMD or not, the
 * same values). */
static void g_apply(const float *restrict x, size_t xs, float *restrict y, size_t ys, size_t n,
                    size_t k) {
  for (size_t j = 0; j < n; j++) {
    float g0 = x[j], g1 = x[xs + j], g2 = x[2 * xs + j], e, o, q, h, last;
    if (k == 3) {
      e = g0 + g2, o = g1, q = g0 * 0.25f + g2, h = g1 * 0.5f, last = g2;
    } else {
      float g3 = x[3 * xs + j], g4 = x[4 * xs + j];
      e = (g0 + g2) + g4, o = g1 + g3, last = g4;
      q = (g0 * 0.25f + g2) + g4 * 4.0f, h = g1 * 0.5f + g3 * 2.0f;
    }
    y[j] = g0 * 0.25f, y[ys + j] = (e + o) * (-1.0f / 6.0f);
    y[2 * ys + j] = (e - o) * (-1.0f / 6.0f), y[3 * ys + j] = (q + h) * (1.0f / 6.0f);
    y[4 * ys + j] = (q - h) * (1.0f / 6.0f), y[5 * ys + j] = last;
  }
}

/* U = G g G^T of n k x k filters: g[t * s + j] is tap t (k * row + column) of filter j,
 * U[a][b] goes to u[(6a + b) * s + j]; t holds 6 k s floats. */
static void weight_transform(const float *g, float *t, float *u, size_t n, size_t s, size_t k) {
  for (size_t r = 0; r < k; r++) /* row r: t[(b k + r) s + j] = (G g_r)[b] */
    g_apply(g + r * k * s, s, t + r * s, k * s, n, k);
  for (size_t b = 0; b < TILE_IN; b++) /* column b of the rows' transforms */
    g_apply(t + b * k * s, s, u + b * s, TILE_IN * s, n, k);
}

/* memcpy of a run of packed weights, read much later: with SSE, non-temporal stores (no
 * read of the destination, no eviction of the caller's data). */
static void copy_out(float *restrict dst, const float *restrict src, size_t n) {
#ifdef __SSE__
  size_t i = 0;
  for (; i < n && (uintptr_t)(dst + i) % 16; i++) dst[i] = src[i];
  for (; i + 4 <= n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
  for (; i < n; i++) dst[i] = src[i];
#else
  memcpy(dst, src, n * sizeof(float));
#endif
}

size_t winograd_packed_floats(const conv2d_params *p) {
  return POSITIONS * gemm_packed_a_floats((size_t)p->out_channels, (size_t)p->in_channels);
}

/* U = G g G^T for every (oc, ic), U[a][b] packed into matrix 6a + b (gemm_pack_a: panels of
 * GEMM_MR rows, k-major inside a panel). A panel's filters are transformed PACK_IC input
 * channels at a time into a buffer laid out as the packed panel, then copied out as 36
 * contiguous runs; every packed float is written once. */
void winograd_pack_weights(const conv2d_params *p, float *packed) {
  enum { N = PACK_IC * GEMM_MR };
  size_t oc_n = (size_t)p->out_channels, ic_n = (size_t)p->in_channels;
  size_t per_matrix = gemm_packed_a_floats(oc_n, ic_n);
  size_t k = (size_t)p->axis[0].kernel, taps = k * k;
  float g[MAX_K * MAX_K * N], t[TILE_IN * MAX_K * N], u[POSITIONS * N];
  for (size_t oc0 = 0; oc0 < oc_n; oc0 += GEMM_MR)
    for (size_t ic0 = 0; ic0 < ic_n; ic0 += PACK_IC) {
      size_t ics = ic_n - ic0 < PACK_IC ? ic_n - ic0 : PACK_IC, n = ics * GEMM_MR;
      for (size_t r = 0; r < GEMM_MR; r++) {
        if (oc0 + r >= oc_n) { /* the zero rows that pad the last panel */
          for (size_t i = 0; i < ics; i++)
            for (size_t q = 0; q < taps; q++) g[q * N + i * GEMM_MR + r] = 0.0f;
          continue;
        }
        const float *src = p->weight.data + ((oc0 + r) * ic_n + ic0) * taps;
        for (size_t i = 0; i < ics; i++)
          for (size_t q = 0; q < taps; q++) g[q * N + i * GEMM_MR + r] = src[i * taps + q];
      }
      weight_transform(g, t, u, n, N, k);
      float *dst = packed + oc0 * ic_n + ic0 * GEMM_MR;
      for (size_t pos = 0; pos < POSITIONS; pos++) copy_out(dst + pos * per_matrix, u + pos * N, n);
    }
#ifdef __SSE__
  _mm_sfence(); /* the streamed stores before anything that follows */
#endif
}

/* B^T applied across 6 vectors of GROUP floats x[k * xs], written to y[k * ys]. */
static void bt6(const float *x, size_t xs, float *y, size_t ys) {
  for (size_t j = 0; j < GROUP; j++) {
    float d0 = x[j], d1 = x[xs + j], d2 = x[2 * xs + j], d3 = x[3 * xs + j];
    float d4 = x[4 * xs + j], d5 = x[5 * xs + j];
    y[j] = 4.0f * d0 - 5.0f * d2 + d4;
    y[ys + j] = -4.0f * (d1 + d2) + (d3 + d4);
    y[2 * ys + j] = 4.0f * (d1 - d2) + (d4 - d3);
    y[3 * ys + j] = 2.0f * (d3 - d1) + (d4 - d2);
    y[4 * ys + j] = -2.0f * (d3 - d1) + (d4 - d2);
    y[5 * ys + j] = 4.0f * d1 - 5.0f * d3 + d5;
  }
}

/* A^T (tile x 6) applied across 6 vectors of GROUP floats. Its rows: for tile 4,
 * 1 1 1 1 1 0 / 0 1 -1 2 -2 0 / 0 1 1 4 4 0 / 0 1 -1 8 -8 1; for tile 2,
 * 1 1 1 1 1 0 / 0 1 -1 2 -2 1. */
static void at6(const float *x, size_t xs, float *y, size_t ys, size_t tile) {
  for (size_t j = 0; j < GROUP; j++) {
    float m0 = x[j], m1 = x[xs + j], m2 = x[2 * xs + j], m3 = x[3 * xs + j];
    float m4 = x[4 * xs + j], m5 = x[5 * xs + j];
    y[j] = m0 + (m1 + m2) + (m3 + m4);
    y[ys + j] = (m1 - m2) + 2.0f * (m3 - m4);
    if (tile == 2) {
      y[ys + j] += m5;
      continue;
    }
    y[2 * ys + j] = (m1 + m2) + 4.0f * (m3 + m4);
    y[3 * ys + j] = (m1 - m2) + 8.0f * (m3 - m4) + m5;
  }
}

/* V = B^T d B of GROUP tiles: tile l is the 6 x 6 patch at patch[l] (row stride stride),
 * V[a][b] of it goes to v[(6a + b) * vs + l]. */
static void input8_portable(const float *const *patch, size_t stride, float *v, size_t vs) {
  float d[TILE_IN][TILE_IN][GROUP], h[TILE_IN][TILE_IN][GROUP];
  for (size_t l = 0; l < GROUP; l++)
    for (size_t r = 0; r < TILE_IN; r++)
      for (size_t c = 0; c < TILE_IN; c++) d[r][c][l] = patch[l][r * stride + c];
  /* along the rows (h[r][b]), then down the columns */
  for (size_t r = 0; r < TILE_IN; r++) bt6(&d[r][0][0], GROUP, &h[r][0][0], GROUP);
  for (size_t b = 0; b < TILE_IN; b++) bt6(&h[0][b][0], TILE_IN * GROUP, v + b * vs, TILE_IN * vs);
}

/* Y = A^T M A of GROUP tiles of side tile (M[a][b] of tile l at m[(6a + b) * ms + l]),
 * clamped to [lo, hi], row i of tile l stored at dst[l] + i * ostride for i < rows[l], its
 * first cols[l] values. */
static void output8_portable(const float *m, size_t ms, float lo, float hi, float *const *dst,
                             const int *rows, const int *cols, size_t ostride, size_t tile) {
  float mm[POSITIONS][GROUP], t[MAX_TILE][TILE_IN][GROUP], y[MAX_TILE][MAX_TILE][GROUP];
  for (size_t pos = 0; pos < POSITIONS; pos++) memcpy(mm[pos], m + pos * ms, sizeof mm[pos]);
  /* down the columns (t[i][b]), then along the rows */
  for (size_t b = 0; b < TILE_IN; b++)
    at6(mm[b], TILE_IN * GROUP, &t[0][b][0], TILE_IN * GROUP, tile);
  for (size_t i = 0; i < tile; i++) at6(&t[i][0][0], GROUP, &y[i][0][0], GROUP, tile);
  for (size_t l = 0; l < GROUP; l++)
    for (int r = 0; r < rows[l]; r++)
      for (int c = 0; c < cols[l]; c++) {
        float v = y[r][c][l];
        v = v < lo ? lo : v;
        dst[l][(size_t)r * ostride + (size_t)c] = v > hi ? hi : v;
      }
}

/* The output tile side, the tiles of a sample along each axis, and its panels of LANES
 * tiles. */
typedef struct {
  size_t tile, tiles_h, tiles_w, tiles, panels;
  size_t pad_w, pad_floats; /* zero-padded input plane: row length, floats (rounded up) */
} wino_geometry;

static wino_geometry geometry_of(const conv2d_params *p, size_t oh, size_t ow) {
  wino_geometry g;
  g.tile = TILE_IN + 1 - (size_t)p->axis[0].kernel;
  g.tiles_h = (oh + g.tile - 1) / g.tile;
  g.tiles_w = (ow + g.tile - 1) / g.tile;
  g.tiles = g.tiles_h * g.tiles_w;
  g.panels = (g.tiles + LANES - 1) / LANES;
  /* each patch row is read as 8 floats from column tile * tx: 2 more than a 6-wide patch
   * needs */
  g.pad_w = g.tile * g.tiles_w + 8 - g.tile;
  g.pad_floats = ((g.tile * g.tiles_h + TILE_IN - g.tile) * g.pad_w + 15) / 16 * 16;
  return g;
}

/* Floats of one panel in the block: its transformed inputs and its products. */
static size_t panel_floats(const conv2d_params *p) {
  return POSITIONS * LANES * (size_t)(p->in_channels + p->out_channels);
}

/* The scratch slot of one thread: its padded input plane, then its share of the block. */
bool winograd_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes) {
  wino_geometry g = geometry_of(p, oh, ow);
  size_t per_panel, panels, floats;
  if (!mul_size(panel_floats(p), sizeof(float), &per_panel)) return false;
  panels = SLOT_TARGET_BYTES / per_panel;
  if (panels > MAX_PANELS || winograd_packed_floats(p) > BIG_WEIGHTS_BYTES / sizeof(float))
    panels = MAX_PANELS;
  panels = panels > g.panels ? g.panels : panels;
  panels = panels < 1 ? 1 : panels;
  if (!mul_size(panels, panel_floats(p), &floats) || !add_size(floats, g.pad_floats, &floats) ||
      !add_size(floats, POSITIONS * LANES, &floats))
    return false;
  return mul_size(floats, sizeof(float), bytes);
}

typedef struct {
  const conv2d_params *p;
  const float *input;
  float *output;
  wino_geometry g;
  int64_t h, w, oh, ow;
  float *pad;           /* padded planes, pad_floats per worker */
  float *v, *m;         /* the block's V [pos][panel][ic][LANES], M [oc][pos][tile] */
  size_t vs;            /* floats per position of V: one panel row more than it holds,
                         * so that the 36 rows of a tile do not share a cache set */
  size_t first, count;  /* the block: panels [first, first + count) of the batch */
  size_t slice, slices; /* output channels per GEMM task, tasks per position */
  const float *bias;    /* added by the GEMM of BIAS_POS, or NULL */
  bool avx2;
} wino_job;

static void input8(const wino_job *j, const float *const *patch, size_t stride, float *v,
                   size_t vs) {
#ifdef WINO_HAVE_AVX2
  if (j->avx2) {
    winograd_input8_avx2(patch, stride, v, vs);
    return;
  }
#endif
  (void)j;
  input8_portable(patch, stride, v, vs);
}

static void output8(const wino_job *j, const float *m, size_t ms, float *const *dst,
                    const int *rows, const int *cols, int full) {
  float lo = j->p->epilogue.min, hi = j->p->epilogue.max;
#ifdef WINO_HAVE_AVX2
  if (j->avx2) {
    winograd_output8_avx2(m, ms, lo, hi, dst, rows, cols, (size_t)j->ow, full, (int)j->g.tile);
    return;
  }
#endif
  (void)full;
  output8_portable(m, ms, lo, hi, dst, rows, cols, (size_t)j->ow, j->g.tile);
}

/* Copies the input rows of tile rows [ty0, ty1] of plane into the padded plane pad (whose
 * padding winograd_run zeroed: only the input's part of a row is ever written). */
static void fill_pad(const wino_job *j, const float *plane, float *pad, size_t ty0, size_t ty1) {
  size_t pw = j->g.pad_w, w = (size_t)j->w, pl = (size_t)j->p->axis[1].pad_begin, t = j->g.tile;
  int64_t pt = j->p->axis[0].pad_begin;
  int64_t y0 = (int64_t)(t * ty0) - pt, y1 = (int64_t)(t * ty1 + TILE_IN) - pt;
  for (int64_t y = y0 < 0 ? 0 : y0; y < y1 && y < j->h; y++)
    memcpy(pad + (size_t)(y + pt) * pw + pl, plane + (size_t)y * w, w * sizeof(float));
}

/* Phase 1, one task per input channel: B^T d B of every tile of the block. */
static void input_tasks(void *ctx, int worker, size_t begin, size_t end) {
  const wino_job *j = ctx;
  const wino_geometry *g = &j->g;
  size_t ic_n = (size_t)j->p->in_channels, hw = (size_t)(j->h * j->w), pw = g->pad_w;
  size_t vs = j->vs, last = j->first + j->count, tile = g->tile;
  float *pad = j->pad + (size_t)worker * g->pad_floats;
  for (size_t ic = begin; ic < end; ic++)
    for (size_t at = j->first; at < last;) { /* the block's panels of one sample at a time */
      size_t n = at / g->panels, p0 = at % g->panels;
      size_t p1 = g->panels - p0 < last - at ? g->panels : p0 + (last - at);
      size_t t_first = p0 * LANES, t_end = p1 * LANES < g->tiles ? p1 * LANES : g->tiles;
      fill_pad(j, j->input + (n * ic_n + ic) * hw, pad, t_first / g->tiles_w,
               (t_end - 1) / g->tiles_w);
      const float *first = pad + t_first / g->tiles_w * tile * pw + t_first % g->tiles_w * tile;
      size_t ty = t_first / g->tiles_w, tx = t_first % g->tiles_w;
      for (size_t t0 = t_first; t0 < p1 * LANES; t0 += GROUP) {
        const float *patch[GROUP];
        for (size_t l = 0; l < GROUP; l++) { /* past the last tile: any tile */
          patch[l] = t0 + l < g->tiles ? pad + ty * tile * pw + tx * tile : first;
          if (++tx == g->tiles_w) tx = 0, ty++;
        }
        size_t panel = at - j->first + (t0 - t_first) / LANES;
        input8(j, patch, pw, j->v + (panel * ic_n + ic) * LANES + t0 % LANES, vs);
      }
      at += p1 - p0;
    }
}

/* Phase 2, one task per (position, slice of output channels): the slice's products for
 * every panel of the block, its weights reused from L2. */
static void gemm_tasks(void *ctx, int worker, size_t begin, size_t end) {
  const wino_job *j = ctx;
  const conv2d_params *p = j->p;
  size_t ic_n = (size_t)p->in_channels, oc_n = (size_t)p->out_channels, tb = j->count * LANES;
  size_t per_matrix = gemm_packed_a_floats(oc_n, ic_n);
  (void)worker;
  for (size_t task = begin; task < end; task++) {
    size_t pos = task / j->slices, oc0 = task % j->slices * j->slice;
    size_t rows = oc_n - oc0 < j->slice ? oc_n - oc0 : j->slice;
    gemm_epilogue ep = {NULL, NULL, -INFINITY, INFINITY};
    if (pos == BIAS_POS && j->bias) ep.bias = j->bias + oc0;
    const float *a = p->packed + pos * per_matrix + oc0 * ic_n;
    for (size_t panel = 0; panel < j->count; panel++) {
      const float *b = j->v + pos * j->vs + panel * ic_n * LANES;
      float *c = j->m + (oc0 * POSITIONS + pos) * tb + panel * LANES;
#ifdef WINO_HAVE_AVX2
      size_t t0 = (j->first + panel) % j->g.panels * LANES, ncols = j->g.tiles - t0;
      if (j->avx2 && ncols <= NARROW_TILES) {
        winograd_gemm_narrow_avx2(a, rows, ic_n, b, ep.bias, c, POSITIONS * tb, ncols);
        continue;
      }
#endif
      gemm_panel(a, rows, ic_n, b, &ep, c, POSITIONS * tb, LANES);
    }
  }
}

/* Phase 3, one task per output channel: A^T m A of every tile of the block, clamped, stored
 * where the tile lies inside the output plane. */
static void output_tasks(void *ctx, int worker, size_t begin, size_t end) {
  const wino_job *j = ctx;
  const wino_geometry *g = &j->g;
  size_t oc_n = (size_t)j->p->out_channels, ohw = (size_t)(j->oh * j->ow);
  size_t tb = j->count * LANES;
  int64_t tile = (int64_t)g->tile;
  (void)worker;
  for (size_t oc = begin; oc < end; oc++)
    for (size_t panel = 0; panel < j->count; panel++) {
      size_t n = (j->first + panel) / g->panels, t_first = (j->first + panel) % g->panels * LANES;
      float *plane = j->output + (n * oc_n + oc) * ohw;
      int64_t y0 = (int64_t)(t_first / g->tiles_w) * tile;
      int64_t x0 = (int64_t)(t_first % g->tiles_w) * tile;
      for (size_t half = 0; half < LANES; half += GROUP) {
        float *dst[GROUP];
        int rows[GROUP], cols[GROUP], full = 1;
        for (size_t l = 0; l < GROUP; l++) {
          dst[l] = NULL, rows[l] = cols[l] = 0;
          if (t_first + half + l >= g->tiles) continue;
          dst[l] = plane + y0 * j->ow + x0;
          rows[l] = (int)(j->oh - y0 < tile ? j->oh - y0 : tile);
          cols[l] = (int)(j->ow - x0 < tile ? j->ow - x0 : tile);
          if ((x0 += tile) >= j->ow) x0 = 0, y0 += tile;
        }
        for (size_t l = 0; l < GROUP; l++) full &= rows[l] == tile && cols[l] == tile;
        output8(j, j->m + oc * POSITIONS * tb + panel * LANES + half, tb, dst, rows, cols, full);
      }
    }
}

void winograd_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                  size_t slot_bytes, threadpool *tp) {
  wino_job j = {.p = p,
                .input = in->data,
                .output = out->data,
                .g = geometry_of(p, out->shape.dim[2], out->shape.dim[3]),
                .h = (int64_t)in->shape.dim[2],
                .w = (int64_t)in->shape.dim[3],
                .oh = (int64_t)out->shape.dim[2],
                .ow = (int64_t)out->shape.dim[3],
                .bias = p->epilogue.bias};
#ifdef WINO_HAVE_AVX2
  j.avx2 = strcmp(gemm_kernel_name(), "avx2-fma") == 0;
#endif
  size_t ic_n = (size_t)p->in_channels, oc_n = (size_t)p->out_channels;
  size_t threads = (size_t)threadpool_size(tp), total = in->shape.dim[0] * j.g.panels;
  if (!total) return;
  /* the slots of all threads hold their padded planes, then one block shared by all */
  j.pad = scratch;
  j.v = j.pad + threads * j.g.pad_floats;
  memset(j.pad, 0, threads * j.g.pad_floats * sizeof(float));
  size_t block_floats = threads * (slot_bytes / sizeof(float) - j.g.pad_floats);
  size_t most = (block_floats - POSITIONS * LANES) / panel_floats(p);
  size_t blocks = (total + most - 1) / most;
  j.slice = A_SLICE_BYTES / sizeof(float) / ic_n / GEMM_MR * GEMM_MR;
  j.slice = j.slice < GEMM_MR ? GEMM_MR : j.slice;
  j.slices = (oc_n + j.slice - 1) / j.slice;
  for (size_t b = 0; b < blocks; b++) { /* blocks of equal size, give or take a panel */
    j.first = total * b / blocks;
    j.count = total * (b + 1) / blocks - j.first;
    j.vs = j.count * ic_n * LANES + LANES;
    j.m = j.v + POSITIONS * j.vs;
    threadpool_for_workers(tp, ic_n, input_tasks, &j);
    threadpool_for_workers(tp, POSITIONS * j.slices, gemm_tasks, &j);
    threadpool_for_workers(tp, oc_n, output_tasks, &j);
  }
}
