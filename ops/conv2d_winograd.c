/* Winograd convolution (Lavin & Gray) for 3x3 and 5x5 stride-1 convolutions: each output
 * tile comes from an input tile as Y = A^T [(G g G^T) . (B^T d B)] A, so the element-wise
 * products of all tiles become one GEMM [OC x IC] x [IC x tiles] per tile position. Five
 * variants (p->wino, chosen in conv2d_run.c): on 4x4 input tiles (points 0, +-1, inf; 16
 * GEMMs) F(2x2, 3x3), 2.25x fewer multiplications than direct convolution; on 6x6 input
 * tiles (points 0, +-1, +-2, inf; 36 GEMMs) F(4x4, 3x3) and F(2x2, 5x5), 4x and 2.78x
 * fewer; on 8x8 input tiles (points 0, +-1, +-2, +-1/2, inf; 64 GEMMs) F(6x6, 3x3) and
 * F(4x4, 5x5), 5.06x and 6.25x fewer. The variants on one tile size share B^T; only G, A^T
 * and the output tile side differ. Weights are transformed and packed at load.
 *
 * The tiles of the batch (GEMM_NR-wide panels of one sample each, or of several consecutive
 * samples when a sample has fewer tiles than a panel) run in blocks as large as the scratch
 * allows, each in three parallel phases: transform the input (one task per input channel),
 * the GEMMs (one task per position and slice of output channels, so a slice of transformed
 * weights is read from memory once per block and then from L2 for every panel of the
 * block), transform back (one task per output channel, with bias and clamp). Each output
 * element is computed the same way whatever the block size, batch or thread count (the
 * GEMM's kernels sum every column in the same order, whatever the panel's width). When the
 * GEMM runs its AVX2 kernel, the transforms (8 tiles per vector) are hand-written AVX2 + FMA
 * code (conv2d_winograd_avx2.c, conv2d_winograd8_avx2.c); otherwise (CNNRT_PORTABLE=1, other
 * CPUs) portable C (conv2d_winograd_portable.c). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE__) && !defined(CNNRT_GENERIC_CPU)
#include <xmmintrin.h>
#endif
#include "ops/conv2d_internal.h"
#include "ops/conv2d_winograd_avx2.h"
#include "ops/conv2d_winograd_portable.h"
#include "runtime/checked.h"

#define LANES GEMM_NR
#define GROUP WINO_GROUP
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
#define PACK_IC 16 /* input channels per step of the portable pack_panel */

/* A last panel with at most this many tiles computes only those columns (GEMM_NR / 2: the
 * half tile or the one-column kernel; with more, the full tile in place is cheaper). */
#define NARROW_TILES (GEMM_NR / 2)

size_t winograd_tile_in(wino_variant v) {
  return v == WINO_F2_3 ? 4 : v == WINO_F4_3 || v == WINO_F2_5 ? 6 : 8;
}

size_t winograd_tile_out(wino_variant v) {
  static const size_t tiles[] = {
      [WINO_F4_3] = 4, [WINO_F2_5] = 2, [WINO_F6_3] = 6, [WINO_F4_5] = 4, [WINO_F2_3] = 2};
  return tiles[v];
}

/* Transformed positions: one GEMM each. */
static size_t positions_of(const conv2d_params *p) {
  return winograd_tile_in(p->wino) * winograd_tile_in(p->wino);
}

/* memcpy of a run of packed weights, read much later: with SSE, non-temporal stores (no
 * read of the destination, no eviction of the caller's data). */
static void copy_out(float *restrict dst, const float *restrict src, size_t n) {
#if defined(__SSE__) && !defined(CNNRT_GENERIC_CPU)
  size_t i = 0;
  for (; i < n && (uintptr_t)(dst + i) % 16; i++) dst[i] = src[i];
  for (; i + 4 <= n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
  for (; i < n; i++) dst[i] = src[i];
#else
  memcpy(dst, src, n * sizeof(float));
#endif
}

size_t winograd_packed_floats(const conv2d_params *p) {
  return positions_of(p) * gemm_packed_a_floats((size_t)p->out_channels, (size_t)p->in_channels);
}

size_t winograd_pack_panels(const conv2d_params *p) {
  return ((size_t)p->out_channels + GEMM_MR - 1) / GEMM_MR;
}

/* U = G g G^T for every (oc, ic) of the panel of GEMM_MR output channels from oc0, U[a][b]
 * packed into matrix tile_in a + b (gemm_pack_a: panels of GEMM_MR rows, k-major inside a
 * panel), g scaled by a folded BatchNorm's factor of its output channel (the transform is
 * linear) as it is gathered. Portable: the filters are transformed PACK_IC input channels at
 * a time into a buffer laid out as the packed panel, then copied out as one contiguous run
 * per position; every packed float is written once. */
static void pack_panel(const conv2d_params *p, size_t oc0, float *packed) {
  enum { N = PACK_IC * GEMM_MR };
  size_t oc_n = (size_t)p->out_channels, ic_n = (size_t)p->in_channels;
  size_t per_matrix = gemm_packed_a_floats(oc_n, ic_n);
  size_t k = (size_t)p->axis[0].kernel, taps = k * k, tile_in = winograd_tile_in(p->wino);
  size_t rows = oc_n - oc0 < GEMM_MR ? oc_n - oc0 : GEMM_MR;
  const float *scale = p->weight_scale ? p->weight_scale + oc0 : NULL;
#ifdef WINO_HAVE_AVX2
  if (gemm_simd_active()) {
    winograd_pack_panel_avx2(p->weight.data + oc0 * ic_n * taps, scale, rows, ic_n, k, tile_in,
                             packed + oc0 * ic_n, per_matrix);
    return;
  }
#endif
  float g[WINO_MAX_K * WINO_MAX_K * N], t[WINO_MAX_TILE_IN * WINO_MAX_K * N];
  float u[WINO_MAX_POSITIONS * N];
  for (size_t ic0 = 0; ic0 < ic_n; ic0 += PACK_IC) {
    size_t ics = ic_n - ic0 < PACK_IC ? ic_n - ic0 : PACK_IC, n = ics * GEMM_MR;
    for (size_t r = 0; r < GEMM_MR; r++) {
      if (r >= rows) { /* the zero rows that pad the last panel */
        for (size_t i = 0; i < ics; i++)
          for (size_t q = 0; q < taps; q++) g[q * N + i * GEMM_MR + r] = 0.0f;
        continue;
      }
      const float *src = p->weight.data + ((oc0 + r) * ic_n + ic0) * taps;
      float sc = scale ? scale[r] : 1.0f;
      for (size_t i = 0; i < ics; i++)
        for (size_t q = 0; q < taps; q++) g[q * N + i * GEMM_MR + r] = src[i * taps + q] * sc;
    }
    winograd_weight_transform(g, t, u, n, N, k, tile_in);
    float *dst = packed + oc0 * ic_n + ic0 * GEMM_MR;
    for (size_t pos = 0; pos < tile_in * tile_in; pos++)
      copy_out(dst + pos * per_matrix, u + pos * N, n);
  }
#if defined(__SSE__) && !defined(CNNRT_GENERIC_CPU)
  _mm_sfence(); /* the streamed stores before anything that follows */
#endif
}

void winograd_pack_weights(const conv2d_params *p, float *packed, size_t first, size_t end) {
  for (size_t panel = first; panel < end; panel++) pack_panel(p, panel * GEMM_MR, packed);
}

/* The input and output tile sides, positions, the tiles of a sample along each axis, and its
 * panels of LANES tiles. A sample with fewer than LANES tiles spans: panels then hold the
 * tiles of consecutive samples (tile t of the batch in lane t % LANES of panel t / LANES). */
typedef struct {
  size_t tile_in, tile, positions, tiles_h, tiles_w, tiles, panels;
  bool span;
  size_t pad_planes; /* padded planes per worker: GROUP when spanning, else 1 */
  size_t bias_pos;   /* column (1, 1) of A is all ones: a bias added there reaches each output */
  size_t pad_w, pad_floats; /* zero-padded input plane: row length, floats (rounded up) */
} wino_geometry;

static wino_geometry geometry_of(const conv2d_params *p, size_t oh, size_t ow) {
  wino_geometry g;
  g.tile_in = winograd_tile_in(p->wino);
  g.tile = winograd_tile_out(p->wino);
  g.positions = g.tile_in * g.tile_in;
  g.bias_pos = g.tile_in + 1;
  g.tiles_h = (oh + g.tile - 1) / g.tile;
  g.tiles_w = (ow + g.tile - 1) / g.tile;
  g.tiles = g.tiles_h * g.tiles_w;
  g.panels = (g.tiles + LANES - 1) / LANES;
  g.span = g.tiles < LANES;
  g.pad_planes = g.span ? GROUP : 1;
  /* each patch row is read as 8 floats from column tile * tx (2 more than a 6x6 tile needs) */
  g.pad_w = g.tile * g.tiles_w + 8 - g.tile;
  g.pad_floats = ((g.tile * g.tiles_h + g.tile_in - g.tile) * g.pad_w + 15) / 16 * 16;
  return g;
}

/* Floats of one panel in the block: its transformed inputs and its products. */
static size_t panel_floats(const conv2d_params *p) {
  return positions_of(p) * LANES * (size_t)(p->in_channels + p->out_channels);
}

/* The scratch slot of one thread: its padded input planes, then its share of the block. */
bool winograd_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes) {
  wino_geometry g = geometry_of(p, oh, ow);
  size_t per_panel, panels, floats;
  if (!mul_size(panel_floats(p), sizeof(float), &per_panel)) return false;
  panels = SLOT_TARGET_BYTES / per_panel;
  if (panels > MAX_PANELS || winograd_packed_floats(p) > BIG_WEIGHTS_BYTES / sizeof(float))
    panels = MAX_PANELS;
  if (!g.span) panels = panels > g.panels ? g.panels : panels;
  panels = panels < 1 ? 1 : panels;
  if (!mul_size(panels, panel_floats(p), &floats) ||
      !add_size(floats, g.pad_planes * g.pad_floats, &floats) ||
      !add_size(floats, positions_of(p) * LANES, &floats))
    return false;
  return mul_size(floats, sizeof(float), bytes);
}

typedef struct {
  const conv2d_params *p;
  const float *input;
  float *output;
  wino_geometry g;
  int64_t h, w, oh, ow;
  size_t batch;
  float *pad;           /* padded planes, pad_planes * pad_floats per worker */
  float *v, *m;         /* the block's V [pos][panel][ic][LANES], M [oc][pos][tile] */
  size_t vs;            /* floats per position of V: one panel row more than it holds,
                         * so that the rows of a tile do not share a cache set */
  size_t first, count;  /* the block: panels [first, first + count) of the batch */
  size_t slice, slices; /* output channels per GEMM task, tasks per position */
  const float *bias;    /* added by the GEMM of g.bias_pos, or NULL */
  bool avx2;
} wino_job;

static void input8(const wino_job *j, const float *const *patch, size_t stride, float *v,
                   size_t vs) {
#ifdef WINO_HAVE_AVX2
  if (j->avx2) {
    (j->g.tile_in == 4   ? winograd_input4x4_avx2
     : j->g.tile_in == 6 ? winograd_input8_avx2
                         : winograd_input8x8_avx2)(patch, stride, v, vs);
    return;
  }
#endif
  winograd_input8_portable(patch, stride, v, vs, j->g.tile_in);
}

static void output8(const wino_job *j, const float *m, size_t ms, float *const *dst,
                    const int *rows, const int *cols, int full) {
  float lo = j->p->epilogue.min, hi = j->p->epilogue.max;
#ifdef WINO_HAVE_AVX2
  if (j->avx2 && j->g.tile_in == 4) {
    winograd_output4x4_avx2(m, ms, lo, hi, dst, rows, cols, (size_t)j->ow, full);
    return;
  }
  if (j->avx2) {
    (j->g.tile_in == 6 ? winograd_output8_avx2 : winograd_output8x8_avx2)(
        m, ms, lo, hi, dst, rows, cols, (size_t)j->ow, full, (int)j->g.tile);
    return;
  }
#endif
  (void)full;
  winograd_output8_portable(m, ms, lo, hi, dst, rows, cols, (size_t)j->ow, j->g.tile_in, j->g.tile);
}

/* Copies the input rows of tile rows [ty0, ty1] of plane into the padded plane pad (whose
 * padding winograd_run zeroed: only the input's part of a row is ever written). */
static void fill_pad(const wino_job *j, const float *plane, float *pad, size_t ty0, size_t ty1) {
  size_t pw = j->g.pad_w, w = (size_t)j->w, pl = (size_t)j->p->axis[1].pad_begin, t = j->g.tile;
  int64_t pt = j->p->axis[0].pad_begin;
  int64_t y0 = (int64_t)(t * ty0) - pt, y1 = (int64_t)(t * ty1 + j->g.tile_in) - pt;
  for (int64_t y = y0 < 0 ? 0 : y0; y < y1 && y < j->h; y++) {
    float *restrict dst = pad + (size_t)(y + pt) * pw + pl;
    const float *restrict src = plane + (size_t)y * w;
    size_t x = 0; /* inline copies: a call to memcpy per short row costs more than the row */
    for (; x + 8 <= w; x += 8) memcpy(dst + x, src + x, 8 * sizeof(float));
    for (; x < w; x++) dst[x] = src[x];
  }
}

/* input_tasks for input channel ic when panels span samples: each sample's plane is padded
 * whole into one of the worker's GROUP planes (sample n into plane n % GROUP, so the samples
 * of one group of tiles never share one), when its first tile comes. */
static void input_span(const wino_job *j, size_t ic, float *pad) {
  const wino_geometry *g = &j->g;
  size_t ic_n = (size_t)j->p->in_channels, hw = (size_t)(j->h * j->w), tile = g->tile;
  size_t t_first = j->first * LANES, t_end = (j->first + j->count) * LANES;
  size_t n = t_first / g->tiles, t = t_first % g->tiles, ty = t / g->tiles_w, tx = t % g->tiles_w;
  const float *last = NULL;
  for (size_t t0 = t_first; t0 < t_end; t0 += GROUP) {
    const float *patch[GROUP];
    for (size_t l = 0; l < GROUP; l++) {
      if (n == j->batch) { /* past the last tile: the last one */
        patch[l] = last;
        continue;
      }
      float *plane = pad + n % GROUP * g->pad_floats;
      if (t == 0 || t0 + l == t_first)
        fill_pad(j, j->input + (n * ic_n + ic) * hw, plane, 0, g->tiles_h - 1);
      patch[l] = last = plane + ty * tile * g->pad_w + tx * tile;
      if (++tx == g->tiles_w) tx = 0, ty++;
      if (++t == g->tiles) t = tx = ty = 0, n++;
    }
    input8(j, patch, g->pad_w, j->v + ((t0 - t_first) / LANES * ic_n + ic) * LANES + t0 % LANES,
           j->vs);
  }
}

/* Phase 1, one task per input channel: B^T d B of every tile of the block. */
static void input_tasks(void *ctx, int worker, size_t begin, size_t end) {
  const wino_job *j = ctx;
  const wino_geometry *g = &j->g;
  size_t ic_n = (size_t)j->p->in_channels, hw = (size_t)(j->h * j->w), pw = g->pad_w;
  size_t vs = j->vs, last = j->first + j->count, tile = g->tile;
  float *pad = j->pad + (size_t)worker * g->pad_planes * g->pad_floats;
  for (size_t ic = begin; ic < end; ic++)
    if (g->span)
      input_span(j, ic, pad);
    else
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
  size_t per_matrix = gemm_packed_a_floats(oc_n, ic_n), positions = j->g.positions;
  (void)worker;
  for (size_t task = begin; task < end; task++) {
    size_t pos = task / j->slices, oc0 = task % j->slices * j->slice;
    size_t rows = oc_n - oc0 < j->slice ? oc_n - oc0 : j->slice;
    gemm_epilogue ep = {NULL, NULL, -INFINITY, INFINITY};
    if (pos == j->g.bias_pos && j->bias) ep.bias = j->bias + oc0;
    const float *a = p->packed + pos * per_matrix + oc0 * ic_n;
    for (size_t panel = 0; panel < j->count; panel++) {
      const float *b = j->v + pos * j->vs + panel * ic_n * LANES;
      float *c = j->m + (oc0 * positions + pos) * tb + panel * LANES;
      /* a sample's last panel of at most 8 tiles: only those columns (the GEMM's narrow
       * kernels, which sum every column as the full tile does); otherwise all 16, the
       * unused ones landing in the panel's own columns of m */
      size_t t0 = (j->first + panel) % j->g.panels * LANES, ncols = j->g.tiles - t0;
      gemm_panel(a, rows, ic_n, b, &ep, c, positions * tb,
                 !j->g.span && ncols <= NARROW_TILES ? ncols : LANES);
    }
  }
}

/* Where the tiles of one panel go: lane l's tile starts at offset[l] from output channel
 * 0's plane of its sample (rows[l] x cols[l] of it inside the output, 0 x 0 for no tile);
 * full[h]: the 8 tiles of half h are whole. */
typedef struct {
  size_t offset[LANES];
  int rows[LANES], cols[LANES], full[LANES / GROUP];
} panel_map;

static void map_panel(const wino_job *j, size_t panel, panel_map *map) {
  const wino_geometry *g = &j->g;
  size_t n, t, tile = g->tile, oh = (size_t)j->oh, ow = (size_t)j->ow;
  if (g->span)
    n = panel * LANES / g->tiles, t = panel * LANES % g->tiles;
  else
    n = panel / g->panels, t = panel % g->panels * LANES;
  size_t ty = t / g->tiles_w, tx = t % g->tiles_w;
  for (size_t h = 0; h < LANES / GROUP; h++) map->full[h] = 1;
  for (size_t l = 0; l < LANES; l++) {
    map->offset[l] = 0, map->rows[l] = map->cols[l] = 0;
    if (n >= j->batch || (!g->span && t >= g->tiles)) {
      map->full[l / GROUP] = 0;
      continue;
    }
    size_t y0 = ty * tile, x0 = tx * tile;
    map->offset[l] = n * (size_t)j->p->out_channels * oh * ow + y0 * ow + x0;
    map->rows[l] = (int)(oh - y0 < tile ? oh - y0 : tile);
    map->cols[l] = (int)(ow - x0 < tile ? ow - x0 : tile);
    map->full[l / GROUP] &= map->rows[l] == (int)tile && map->cols[l] == (int)tile;
    if (++tx == g->tiles_w) tx = 0, ty++;
    if (++t == g->tiles && g->span) t = tx = ty = 0, n++;
  }
}

/* Phase 3, one task per output channel: A^T m A of every tile of the block, clamped, stored
 * where the tile lies inside the output plane. */
static void output_tasks(void *ctx, int worker, size_t begin, size_t end) {
  const wino_job *j = ctx;
  size_t ohw = (size_t)(j->oh * j->ow), tb = j->count * LANES;
  (void)worker;
  for (size_t panel = 0; panel < j->count; panel++) {
    panel_map map;
    map_panel(j, j->first + panel, &map);
    for (size_t oc = begin; oc < end; oc++)
      for (size_t half = 0; half < LANES; half += GROUP) {
        float *dst[GROUP];
        for (size_t l = 0; l < GROUP; l++)
          dst[l] = map.rows[half + l] ? j->output + oc * ohw + map.offset[half + l] : NULL;
        output8(j, j->m + oc * j->g.positions * tb + panel * LANES + half, tb, dst, map.rows + half,
                map.cols + half, map.full[half / GROUP]);
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
                .batch = in->shape.dim[0],
                .bias = p->epilogue.bias};
#ifdef WINO_HAVE_AVX2
  j.avx2 = gemm_simd_active();
#endif
  size_t ic_n = (size_t)p->in_channels, oc_n = (size_t)p->out_channels;
  size_t threads = (size_t)threadpool_size(tp), total = j.batch * j.g.panels;
  if (j.g.span) total = (j.batch * j.g.tiles + LANES - 1) / LANES;
  if (!total) return;
  /* the slots of all threads hold their padded planes, then one block shared by all */
  size_t pad_floats = j.g.pad_planes * j.g.pad_floats;
  j.pad = scratch;
  j.v = j.pad + threads * pad_floats;
  memset(j.pad, 0, threads * pad_floats * sizeof(float));
  size_t block_floats = threads * (slot_bytes / sizeof(float) - pad_floats);
  size_t most = (block_floats - j.g.positions * LANES) / panel_floats(p);
  size_t blocks = (total + most - 1) / most;
  j.slice = A_SLICE_BYTES / sizeof(float) / ic_n / GEMM_MR * GEMM_MR;
  j.slice = j.slice < GEMM_MR ? GEMM_MR : j.slice;
  j.slices = (oc_n + j.slice - 1) / j.slice;
  for (size_t b = 0; b < blocks; b++) { /* blocks of equal size, give or take a panel */
    j.first = total * b / blocks;
    j.count = total * (b + 1) / blocks - j.first;
    j.vs = j.count * ic_n * LANES + LANES;
    j.m = j.v + j.g.positions * j.vs;
    threadpool_for_workers(tp, ic_n, input_tasks, &j);
    threadpool_for_workers(tp, j.g.positions * j.slices, gemm_tasks, &j);
    threadpool_for_workers(tp, oc_n, output_tasks, &j);
  }
}
