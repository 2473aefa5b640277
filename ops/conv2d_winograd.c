/* Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray): each 4x4 output tile
 * comes from a 6x6 input tile as Y = A^T [(G g G^T) . (B^T d B)] A, so the 36 element-wise
 * products of all tiles become 36 GEMMs [OC x IC] x [IC x tiles] with 4x fewer
 * multiplications than direct convolution. Weights are transformed and packed at load.
 * Tiles are processed in blocks of whole GEMM_NR-wide panels, one block per task, with the
 * transformed input and the products in the worker's scratch slot. */
#include <math.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "runtime/checked.h"

#define TILE 4       /* output tile side */
#define TILE_IN 6    /* input tile side */
#define POSITIONS 36 /* TILE_IN * TILE_IN transformed positions */
#define LANES GEMM_NR
#define SLOT_TARGET_BYTES ((size_t)2 << 20)
#define MAX_PANELS_PER_BLOCK 4

/* G (6x3), applied to a kernel row or column g0..g2. */
static void g_transform(float g0, float g1, float g2, float *out) {
  out[0] = g0 / 4.0f;
  out[1] = -(g0 + g1 + g2) / 6.0f;
  out[2] = -(g0 - g1 + g2) / 6.0f;
  out[3] = g0 / 24.0f + g1 / 12.0f + g2 / 6.0f;
  out[4] = g0 / 24.0f - g1 / 12.0f + g2 / 6.0f;
  out[5] = g2;
}

/* B^T applied across 6 vectors of LANES floats x[k * xs], written to y[k * ys]. */
static void bt6(const float *x, size_t xs, float *y, size_t ys) {
  for (size_t j = 0; j < LANES; j++) {
    float d0 = x[j], d1 = x[xs + j], d2 = x[2 * xs + j], d3 = x[3 * xs + j];
    float d4 = x[4 * xs + j], d5 = x[5 * xs + j];
    y[j] = 4.0f * d0 - 5.0f * d2 + d4;
    y[ys + j] = -4.0f * d1 - 4.0f * d2 + d3 + d4;
    y[2 * ys + j] = 4.0f * d1 - 4.0f * d2 - d3 + d4;
    y[3 * ys + j] = -2.0f * d1 - d2 + 2.0f * d3 + d4;
    y[4 * ys + j] = 2.0f * d1 - d2 - 2.0f * d3 + d4;
    y[5 * ys + j] = 4.0f * d1 - 5.0f * d3 + d5;
  }
}

/* A^T (4x6) applied across 6 vectors of LANES floats. */
static void at6(const float *x, size_t xs, float *y, size_t ys) {
  for (size_t j = 0; j < LANES; j++) {
    float m0 = x[j], m1 = x[xs + j], m2 = x[2 * xs + j], m3 = x[3 * xs + j];
    float m4 = x[4 * xs + j], m5 = x[5 * xs + j];
    y[j] = m0 + m1 + m2 + m3 + m4;
    y[ys + j] = m1 - m2 + 2.0f * (m3 - m4);
    y[2 * ys + j] = m1 + m2 + 4.0f * (m3 + m4);
    y[3 * ys + j] = m1 - m2 + 8.0f * (m3 - m4) + m5;
  }
}

size_t winograd_packed_floats(const conv2d_params *p) {
  return POSITIONS * gemm_packed_a_floats((size_t)p->out_channels, (size_t)p->in_channels);
}

/* U = G g G^T for every (oc, ic), element (a, b) written straight into the packed layout
 * of matrix a * 6 + b (gemm_pack_a: panels of GEMM_MR rows, k-major inside a panel). */
void winograd_pack_weights(const conv2d_params *p, float *packed) {
  size_t oc_n = (size_t)p->out_channels, ic_n = (size_t)p->in_channels;
  size_t per_matrix = gemm_packed_a_floats(oc_n, ic_n);
  memset(packed, 0, POSITIONS * per_matrix * sizeof(float));
  for (size_t oc = 0; oc < oc_n; oc++)
    for (size_t ic = 0; ic < ic_n; ic++) {
      const float *g = p->weight.data + (oc * ic_n + ic) * 9;
      float rows[3][TILE_IN], u[TILE_IN][TILE_IN];
      for (int r = 0; r < 3; r++) g_transform(g[3 * r], g[3 * r + 1], g[3 * r + 2], rows[r]);
      for (int a = 0; a < TILE_IN; a++) g_transform(rows[0][a], rows[1][a], rows[2][a], u[a]);
      /* u[a][b] = (G (g G^T))^T: transpose back so that u[a][b] pairs with V[a][b] */
      size_t at = oc / GEMM_MR * GEMM_MR * ic_n + ic * GEMM_MR + oc % GEMM_MR;
      for (int a = 0; a < TILE_IN; a++)
        for (int b = 0; b < TILE_IN; b++)
          packed[(size_t)(a * TILE_IN + b) * per_matrix + at] = u[b][a];
    }
}

/* Panels of LANES tiles in an oh x ow output. */
static size_t panels_of(size_t oh, size_t ow) {
  size_t tiles = ((oh + TILE - 1) / TILE) * ((ow + TILE - 1) / TILE);
  return (tiles + LANES - 1) / LANES;
}

/* Panels per task block: as many as fit the slot target (at most 4), and no more than the
 * output has, so a small layer does not reserve a big slot. */
static size_t panels_per_block(const conv2d_params *p, size_t panels) {
  size_t per_panel = POSITIONS * LANES * (size_t)(p->in_channels + p->out_channels) * 4;
  size_t nb = SLOT_TARGET_BYTES / per_panel;
  nb = nb > MAX_PANELS_PER_BLOCK ? MAX_PANELS_PER_BLOCK : nb;
  nb = nb > panels ? panels : nb;
  return nb < 1 ? 1 : nb;
}

bool winograd_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes) {
  size_t floats;
  if (!mul_size(POSITIONS * LANES * panels_per_block(p, panels_of(oh, ow)),
                (size_t)(p->in_channels + p->out_channels), &floats))
    return false;
  return mul_size(floats, sizeof(float), bytes);
}

typedef struct {
  const conv2d_params *p;
  const float *input;
  float *output;
  char *scratch;
  size_t slot_bytes;
  int64_t h, w, oh, ow, tiles_w;
  size_t tiles, panels, blocks; /* per sample: tiles, panels of LANES tiles, task blocks */
} wino_job;

/* B^T d B of LANES tiles starting at tile t0 of channel plane: v[pos * vs + j]. */
static void transform_input(const wino_job *j, const float *plane, size_t t0, float *v, size_t vs) {
  float d[TILE_IN][TILE_IN][LANES], tmp[TILE_IN][TILE_IN][LANES];
  int64_t pt = j->p->axis[0].pad_begin, pl = j->p->axis[1].pad_begin;
  for (size_t lane = 0; lane < LANES; lane++) {
    size_t t = t0 + lane;
    int64_t y0 = (int64_t)(t / (size_t)j->tiles_w) * TILE - pt;
    int64_t x0 = (int64_t)(t % (size_t)j->tiles_w) * TILE - pl;
    for (int r = 0; r < TILE_IN; r++)
      for (int c = 0; c < TILE_IN; c++) {
        int64_t y = y0 + r, x = x0 + c;
        bool inside = t < j->tiles && y >= 0 && y < j->h && x >= 0 && x < j->w;
        d[r][c][lane] = inside ? plane[y * j->w + x] : 0.0f;
      }
  }
  for (int c = 0; c < TILE_IN; c++)
    bt6(&d[0][c][0], TILE_IN * LANES, &tmp[0][c][0], TILE_IN * LANES);
  for (int a = 0; a < TILE_IN; a++) bt6(&tmp[a][0][0], LANES, v + (size_t)a * TILE_IN * vs, vs);
}

/* A^T m A for LANES tiles of output channel oc (m[pos * ms + j]), plus bias and clamp,
 * stored where the tiles lie inside the output plane. */
static void transform_output(const wino_job *j, const float *m, size_t ms, size_t t0, size_t oc,
                             float *plane) {
  float mm[TILE_IN][TILE_IN][LANES], tmp[TILE][TILE_IN][LANES], y[TILE][TILE][LANES];
  for (int a = 0; a < TILE_IN; a++)
    for (int b = 0; b < TILE_IN; b++)
      memcpy(mm[a][b], m + (size_t)(a * TILE_IN + b) * ms, sizeof mm[a][b]);
  for (int b = 0; b < TILE_IN; b++)
    at6(&mm[0][b][0], TILE_IN * LANES, &tmp[0][b][0], TILE_IN * LANES);
  for (int a = 0; a < TILE; a++) at6(&tmp[a][0][0], LANES, &y[a][0][0], LANES);
  const gemm_epilogue *ep = &j->p->epilogue;
  float bias = ep->bias ? ep->bias[oc] : 0.0f;
  for (size_t lane = 0; lane < LANES && t0 + lane < j->tiles; lane++) {
    int64_t y0 = (int64_t)((t0 + lane) / (size_t)j->tiles_w) * TILE;
    int64_t x0 = (int64_t)((t0 + lane) % (size_t)j->tiles_w) * TILE;
    for (int r = 0; r < TILE && y0 + r < j->oh; r++)
      for (int c = 0; c < TILE && x0 + c < j->ow; c++) {
        float v = bias + y[r][c][lane];
        v = v < ep->min ? ep->min : v;
        plane[(y0 + r) * j->ow + x0 + c] = v > ep->max ? ep->max : v;
      }
  }
}

/* One block of panels of one sample: transform, 36 GEMMs per panel, transform back. */
static void run_block(const wino_job *j, float *slot, size_t n, size_t block) {
  const conv2d_params *p = j->p;
  size_t ic_n = (size_t)p->in_channels, oc_n = (size_t)p->out_channels;
  size_t nb = panels_per_block(p, j->panels), first = block * nb;
  size_t count = j->panels - first < nb ? j->panels - first : nb;
  size_t tb = nb * LANES; /* tiles of a full block: the row stride of the products */
  float *v = slot, *m = slot + POSITIONS * LANES * nb * ic_n;
  const float *image = j->input + n * ic_n * (size_t)(j->h * j->w);
  float *result = j->output + n * oc_n * (size_t)(j->oh * j->ow);
  size_t per_matrix = gemm_packed_a_floats(oc_n, ic_n);
  gemm_epilogue none = {NULL, NULL, -INFINITY, INFINITY};
  for (size_t pb = 0; pb < count; pb++) {
    size_t t0 = (first + pb) * LANES;
    /* v layout: [pos][panel][ic][lane], so each (pos, panel) is one GEMM B panel */
    for (size_t ic = 0; ic < ic_n; ic++)
      transform_input(j, image + ic * (size_t)(j->h * j->w), t0, v + (pb * ic_n + ic) * LANES,
                      nb * ic_n * LANES);
    for (size_t pos = 0; pos < POSITIONS; pos++)
      gemm_panel(p->packed + pos * per_matrix, oc_n, ic_n, v + (pos * nb + pb) * ic_n * LANES,
                 &none, m + pos * oc_n * tb + pb * LANES, tb, LANES);
  }
  for (size_t pb = 0; pb < count; pb++)
    for (size_t oc = 0; oc < oc_n; oc++)
      transform_output(j, m + oc * tb + pb * LANES, oc_n * tb, (first + pb) * LANES, oc,
                       result + oc * (size_t)(j->oh * j->ow));
}

static void wino_tasks(void *ctx, int worker, size_t begin, size_t end) {
  const wino_job *j = ctx;
  float *slot = (float *)(j->scratch + (size_t)worker * j->slot_bytes);
  for (size_t t = begin; t < end; t++) run_block(j, slot, t / j->blocks, t % j->blocks);
}

void winograd_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                  size_t slot_bytes, threadpool *tp) {
  wino_job j = {p,
                in->data,
                out->data,
                scratch,
                slot_bytes,
                (int64_t)in->shape.dim[2],
                (int64_t)in->shape.dim[3],
                (int64_t)out->shape.dim[2],
                (int64_t)out->shape.dim[3],
                0,
                0,
                0,
                0};
  size_t tiles_h = (out->shape.dim[2] + TILE - 1) / TILE;
  j.tiles_w = (int64_t)((out->shape.dim[3] + TILE - 1) / TILE);
  j.tiles = tiles_h * (size_t)j.tiles_w;
  j.panels = (j.tiles + LANES - 1) / LANES;
  size_t nb = panels_per_block(p, j.panels);
  j.blocks = (j.panels + nb - 1) / nb;
  threadpool_for_workers(tp, in->shape.dim[0] * j.blocks, wino_tasks, &j);
}
