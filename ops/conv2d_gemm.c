/* The GEMM path of Conv2d: per group, C[oc][pixel] = packed weights x im2col columns,
 * cache-blocked (Goto-style). One task is (sample, group, block of output pixels, share of
 * the output channels):
 * 1. the input rows the block reads are copied into a "band" with the padding rule
 *    applied, so that building im2col panels is plain copies without bounds checks;
 * 2. for each block of KC im2col rows, the block's GEMM_NR-wide panels are multiplied by
 *    every row panel of the weights (MR x KC, kept in L1 across the panels), accumulating
 *    into the output. A panel whose pixels lie in one output row is read from the band
 *    in place (implicit im2col: its rows are runs of the band at listed offsets); one that
 *    spans rows is packed (KC x GEMM_NR floats) first.
 * A 1x1 stride-1 unpadded conv reads its input planes in place as B (no band), except the
 * last, partial panel and, where measured faster, maps under 128 pixels or tasks of 128+
 * output channels, which are packed. Every output element is summed in k order from its
 * start whatever the blocking, the kernel and the split across threads (gemm_kernels.h),
 * so results never depend on the thread count or the batch. */
#include <stdint.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "ops/simd.h"
#include "runtime/checked.h"

#define KC_TARGET 256                  /* im2col rows per k block */
#define PACK_TARGET_FLOATS (64 * 1024) /* packed panels of one k block: 256 KB, half of L2 */
#define BAND_TARGET_FLOATS (256 * 1024)
#define MAX_BLOCK_PANELS 16
#define TASKS_PER_THREAD 4 /* from this many tasks per thread, imbalance is small */
#define MIN_ROWS_PER_SHARE 24
/* A pointwise conv reads its input planes in place as B when they are this wide or wider
 * and it has fewer output channels (per task) than POINTWISE_PACK_ROWS. Narrower planes
 * (7 x 7), each B row's 16 floats straddle two cache lines of rows only a few lines
 * apart; with many output channels, the panel's kc scattered rows (two lines each) crowd
 * the weights out of L1 for every row panel: packing them first is faster (320->1280 at
 * 7x7: 0.56 -> 0.50 ms; 128->128 at 56x56 1.38 -> 1.24, 256->256 at 28x28 1.25 -> 1.11,
 * 512->512 at 14x14 1.18 -> 1.13); with few, the copy is not paid back (144->24 at 56x56:
 * 0.29 in place, 0.33 packed; 576->96 at 14x14 0.24 / 0.26). */
#define POINTWISE_IN_PLACE_PIXELS 128
#define POINTWISE_PACK_ROWS 128

typedef struct {
  size_t k, m, kc, pixels, ow;
  size_t block_panels, blocks; /* GEMM_NR-wide panels per task, pixel blocks per group */
  /* a band row holds the padded input row split into its sw column phases (phase x % sw
   * holds column x at x / sw), phase_width floats each, so that every im2col run is
   * contiguous at any stride */
  size_t band_rows, band_width, phase_width, row_stride, band_floats, pack_floats;
  bool pointwise;
} geometry;

static size_t div_up(size_t a, size_t b) {
  return (a + b - 1) / b;
}

static size_t gcd(size_t a, size_t b) {
  while (b) {
    size_t r = a % b;
    a = b, b = r;
  }
  return a;
}

/* Input rows (at most) that a block of `pixels` consecutive output pixels reads. */
static size_t band_rows_for(const conv2d_params *p, size_t oh, size_t ow, size_t pixels) {
  size_t out_rows = 1 + div_up(pixels - 1, ow); /* the block may start at a row's end */
  if (out_rows > oh) out_rows = oh;
  const window_axis *a = &p->axis[0];
  return (out_rows - 1) * (size_t)a->stride + (size_t)((a->kernel - 1) * a->dilation) + 1;
}

/* The band of a block of g->block_panels panels: g->band_rows and g->band_floats. */
static bool size_band(const conv2d_params *p, size_t oh, size_t ow, size_t channels, geometry *g) {
  g->band_rows = band_rows_for(p, oh, ow, g->block_panels * GEMM_NR);
  size_t floats;
  if (!mul_size(channels, g->band_rows, &floats) || !mul_size(floats, g->row_stride, &floats))
    return false;
  /* + GEMM_NR: pack_from_band copies whole panel rows and the kernels read whole ones
   * in place, past a short run (lanes never stored) */
  g->band_floats = g->pointwise ? 0 : floats + GEMM_NR;
  return true;
}

/* Blocking for an oh x ow output; false when a size overflows. */
static bool make_geometry(const conv2d_params *p, size_t oh, size_t ow, geometry *g) {
  const window_axis *aw = &p->axis[1];
  size_t channels = (size_t)(p->in_channels / p->groups);
  g->k = conv2d_group_k(p);
  g->m = (size_t)(p->out_channels / p->groups);
  g->kc = g->k <= KC_TARGET * 3 / 2 ? g->k : div_up(g->k, div_up(g->k, KC_TARGET));
  g->ow = ow;
  g->pointwise = conv2d_is_pointwise(p);
  if (!mul_size(oh, ow, &g->pixels) || g->pixels == 0) return false;
  size_t panels = div_up(g->pixels, GEMM_NR);
  g->block_panels = PACK_TARGET_FLOATS / (g->kc * GEMM_NR);
  if (g->block_panels > MAX_BLOCK_PANELS) g->block_panels = MAX_BLOCK_PANELS;
  if (g->block_panels < 1) g->block_panels = 1;
  if (g->block_panels > panels) g->block_panels = panels;
  g->band_width = (ow - 1) * (size_t)aw->stride + (size_t)((aw->kernel - 1) * aw->dilation) + 1;
  g->phase_width = div_up(g->band_width, (size_t)aw->stride);
  g->row_stride = g->phase_width * (size_t)aw->stride;
  for (;;) { /* fewer pixels per block while the band would not fit in L2 */
    if (!size_band(p, oh, ow, channels, g)) return false;
    if (g->band_floats <= BAND_TARGET_FLOATS || g->block_panels == 1) break;
    g->block_panels /= 2;
  }
  /* the same number of blocks, evened out: 49 panels (28 x 28) as 13 13 13 10, not 16 16 16
   * 1, which two threads split 32 / 17 */
  g->blocks = div_up(panels, g->block_panels);
  g->block_panels = div_up(panels, g->blocks);
  if (!size_band(p, oh, ow, channels, g)) return false;
  if (g->band_floats > UINT32_MAX) return false; /* offsets are 32-bit (conv2d.c says so) */
  /* + GEMM_NR: the last packed row's excess (see pack_from_band) */
  return mul_size(g->block_panels * GEMM_NR, g->kc, &g->pack_floats) &&
         add_size(g->pack_floats, GEMM_NR, &g->pack_floats);
}

bool conv_gemm_scratch_floats(const conv2d_params *p, size_t oh, size_t ow, size_t *floats) {
  geometry g;
  if (oh == 0 || ow == 0) return (*floats = 0, true);
  if (!make_geometry(p, oh, ow, &g)) return false;
  return add_size(g.band_floats, g.pack_floats, floats);
}

typedef struct {
  const conv2d_params *p;
  geometry g;
  const float *input; /* [N, C, H, W] */
  float *output;      /* [N, OC, OH, OW] */
  char *scratch;      /* one slot of slot_bytes per worker */
  size_t slot_bytes, shares, rows_per_share;
  int64_t h, w;
} gemm_job;

/* Padded column x of one input row (the padding rule outside the row). */
static float padded_value(const gemm_job *j, const float *row, size_t x) {
  int64_t sx = conv2d_source_index((int64_t)x - j->p->axis[1].pad_begin, j->w, j->p->mode);
  return sx < 0 ? 0.0f : row[sx];
}

/* even[i] = src[2i], odd[i] = src[2i + 1] for i < n. */
SIMD_CLONES static void split_pairs(const float *src, float *even, float *odd, size_t n) {
  for (size_t i = 0; i < n; i++) even[i] = src[2 * i], odd[i] = src[2 * i + 1];
}

/* Copies input rows [y0, y0 + rows) (y0 may be negative) of the group's channel planes into
 * the band: padded column x (input column x - pad_begin, padding rule applied) goes to
 * phase x % sw, index x / sw of the band row. */
static void fill_band(const gemm_job *j, const float *planes, int64_t y0, size_t rows,
                      float *band) {
  const conv2d_params *p = j->p;
  size_t channels = (size_t)(p->in_channels / p->groups), stride = j->g.row_stride;
  size_t sw = (size_t)p->axis[1].stride, pw = j->g.phase_width, pl = (size_t)p->axis[1].pad_begin;
  size_t lo = pl < stride ? pl : stride; /* padded columns [lo, hi) lie inside the row */
  size_t hi = pl + (size_t)j->w < stride ? pl + (size_t)j->w : stride;
  for (size_t c = 0; c < channels; c++) {
    const float *plane = planes + c * (size_t)(j->h * j->w);
    for (size_t r = 0; r < rows; r++) {
      float *dst = band + (c * j->g.band_rows + r) * stride;
      int64_t y = conv2d_source_index(y0 + (int64_t)r, j->h, p->mode);
      if (y < 0) {
        memset(dst, 0, stride * sizeof(float));
        continue;
      }
      const float *row = plane + y * j->w;
      if (sw == 1) {
        for (size_t x = 0; x < lo; x++) dst[x] = padded_value(j, row, x);
        memcpy(dst + lo, row + (lo - pl), (hi - lo) * sizeof(float));
        for (size_t x = hi; x < stride; x++) dst[x] = padded_value(j, row, x);
        continue;
      }
      size_t done = 0; /* sw 2: indices [0, done) of both phases filled below */
      if (sw == 2) {
        /* index i of phase 0 / 1 holds padded column 2i / 2i + 1: one pass over the pairs
         * inside the row (stride-2 stems spent a quarter of their time in the per-phase
         * strided copy) */
        size_t first = div_up(lo, 2), end = hi / 2; /* 2i and 2i + 1 in [lo, hi) */
        if (end > first) {
          for (size_t i = 0; i < first; i++)
            dst[i] = padded_value(j, row, 2 * i), dst[pw + i] = padded_value(j, row, 2 * i + 1);
          split_pairs(row + 2 * first - pl, dst + first, dst + pw + first, end - first);
          done = end;
        }
      }
      for (size_t phase = 0; phase < sw; phase++) { /* padded column i * sw + phase */
        float *to = dst + phase * pw;
        size_t first = lo > phase ? div_up(lo - phase, sw) : 0; /* inside: [first, end) */
        size_t end = hi > phase ? div_up(hi - phase, sw) : 0;
        if (first < done) first = done;
        if (end < first) end = first;
        for (size_t i = done; i < first; i++) to[i] = padded_value(j, row, i * sw + phase);
        for (size_t i = first; i < end; i++) to[i] = row[i * sw + phase - pl];
        for (size_t i = end; i < pw; i++) /* past the padded width: never read, zeroed */
          to[i] = i * sw + phase < j->g.band_width ? padded_value(j, row, i * sw + phase) : 0.0f;
      }
    }
  }
}

/* A run of a panel's columns that lies in one output row: panel columns [first, first +
 * count) read band offsets base + i (plus the im2col row's own offset). */
typedef struct {
  size_t first, count, base;
} segment;

/* Splits the panel of output pixels [col0, col0 + ncols) by output row. */
static size_t panel_segments(const gemm_job *j, size_t col0, size_t ncols, size_t oy_first,
                             segment *seg) {
  size_t n = 0, ow = j->g.ow, sh = (size_t)j->p->axis[0].stride;
  for (size_t c = 0; c < ncols;) {
    size_t col = col0 + c, oy = col / ow, ox = col % ow;
    size_t count = ow - ox < ncols - c ? ow - ox : ncols - c;
    segment s = {c, count, (oy - oy_first) * sh * j->g.row_stride + ox};
    seg[n++] = s;
    c += count;
  }
  return n;
}

/* dst[0..n) = src[0..n) for the short runs of a panel: fixed-size copies the compiler turns
 * into vector moves (a libc memcpy call per run cost as much as the copy). */
static inline void copy_run(float *dst, const float *src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) memcpy(dst + i, src + i, 8 * sizeof(float));
  if (i + 4 <= n) memcpy(dst + i, src + i, 4 * sizeof(float)), i += 4;
  for (; i < n; i++) dst[i] = src[i];
}

size_t conv_gemm_offset_count(const conv2d_params *p) {
  return conv2d_is_pointwise(p) ? 0 : conv2d_group_k(p);
}

/* Band offset of each im2col row r = (channel, ki, kj): band plane `channel`, ki rows down,
 * in the phase and at the offset of padded column kj * dw. They depend on the geometry
 * only, so they are computed once, at load. */
void conv_gemm_offsets(const conv2d_params *p, size_t oh, size_t ow, uint32_t *offs) {
  geometry g;
  if (!make_geometry(p, oh, ow, &g)) return; /* cannot happen: prepare checked the sizes */
  size_t kw = (size_t)p->axis[1].kernel, per_channel = (size_t)p->axis[0].kernel * kw;
  size_t dh = (size_t)p->axis[0].dilation, dw = (size_t)p->axis[1].dilation;
  size_t sw = (size_t)p->axis[1].stride, pw = g.phase_width;
  size_t plane = g.band_rows * g.row_stride;
  for (size_t r = 0; r < g.k; r++) {
    size_t c = r / per_channel, ki = r % per_channel / kw, kj = r % kw;
    offs[r] = (uint32_t)(c * plane + ki * dh * g.row_stride + kj * dw % sw * pw + kj * dw / sw);
  }
}

/* Packs im2col rows [k0, k0 + kc) (band offsets offs[0..kc)) of a panel whose output pixels
 * span several output rows (segments). Each run of a row is copied as a whole panel row
 * of GEMM_NR floats (two vector moves): what lands past the run is overwritten by the next
 * run, the zero tail or the next row, and reads and writes stay inside the slot thanks to
 * GEMM_NR floats of slack each. */
static void pack_from_band(const float *band, const uint32_t *offs, const segment *seg,
                           size_t n_seg, size_t ncols, size_t kc, float *dst) {
  for (size_t r = 0; r < kc; r++, dst += GEMM_NR) {
    const float *src = band + offs[r];
    for (size_t s = 0; s < n_seg; s++) /* in order: each overwrites the previous excess */
      memcpy(dst + seg[s].first, src + seg[s].base, GEMM_NR * sizeof(float));
    for (size_t i = ncols; i < GEMM_NR; i++) dst[i] = 0.0f;
  }
}

/* Packs rows [k0, k0 + kc) of a panel of a pointwise conv straight from the input. */
static void pack_pointwise(const float *b, size_t ldb, size_t ncols, size_t kc, float *dst) {
  for (size_t r = 0; r < kc; r++, b += ldb, dst += GEMM_NR) {
    copy_run(dst, b, ncols);
    for (size_t i = ncols; i < GEMM_NR; i++) dst[i] = 0.0f;
  }
}

/* Whether a task of `rows` output channels reads its (pointwise) input in place as B
 * rather than packing it (full panels only). */
static bool reads_in_place(const geometry *g, size_t rows) {
  return g->pointwise && g->pixels >= POINTWISE_IN_PLACE_PIXELS && rows < POINTWISE_PACK_ROWS;
}

/* The output channels split into about `shares` shares of whole row panels, at least
 * MIN_ROWS_PER_SHARE rows each. */
static void split_channels(gemm_job *j, size_t shares) {
  size_t max_shares = j->g.m / MIN_ROWS_PER_SHARE;
  if (shares > max_shares) shares = max_shares ? max_shares : 1;
  j->rows_per_share = div_up(div_up(j->g.m, shares), GEMM_MR) * GEMM_MR;
  j->shares = div_up(j->g.m, j->rows_per_share);
}

/* One task: sample n, group grp, pixel block blk, output channel share. */
static void run_task(const gemm_job *j, int worker, size_t t) {
  const conv2d_params *p = j->p;
  const geometry *g = &j->g;
  size_t share = t % j->shares, blk = t / j->shares % g->blocks;
  size_t grp = t / j->shares / g->blocks % (size_t)p->groups;
  size_t n = t / j->shares / g->blocks / (size_t)p->groups;
  size_t row0 = share * j->rows_per_share;
  size_t rows = g->m - row0 < j->rows_per_share ? g->m - row0 : j->rows_per_share;
  size_t col0 = blk * g->block_panels * GEMM_NR;
  size_t ncols =
      g->pixels - col0 < g->block_panels * GEMM_NR ? g->pixels - col0 : g->block_panels * GEMM_NR;
  size_t n_panels = div_up(ncols, GEMM_NR);
  size_t plane = (size_t)(j->h * j->w);
  size_t channels = (size_t)(p->in_channels / p->groups);
  const float *image = j->input + (n * (size_t)p->in_channels + grp * channels) * plane;
  float *slot = (float *)(j->scratch + (size_t)worker * j->slot_bytes);
  float *band = slot, *packed = slot + g->band_floats;
  const uint32_t *offs = p->im2col_offsets;
  size_t oy_first = col0 / g->ow;
  if (!g->pointwise) {
    size_t oy_last = (col0 + ncols - 1) / g->ow;
    int64_t y0 = (int64_t)oy_first * p->axis[0].stride - p->axis[0].pad_begin;
    size_t band_rows = (oy_last - oy_first) * (size_t)p->axis[0].stride +
                       (size_t)((p->axis[0].kernel - 1) * p->axis[0].dilation) + 1;
    fill_band(j, image, y0, band_rows, band);
  }
  gemm_epilogue ep = p->epilogue;
  if (ep.bias) ep.bias += grp * g->m + row0;
  float *c = j->output + (n * (size_t)p->out_channels + grp * g->m + row0) * g->pixels + col0;
  const float *a = p->packed + grp * gemm_packed_a_floats(g->m, g->k) + row0 * g->k;
  gemm_b_panel panels[MAX_BLOCK_PANELS];
  segment seg[MAX_BLOCK_PANELS][GEMM_NR];
  size_t n_seg[MAX_BLOCK_PANELS];
  for (size_t i = 0; i < n_panels; i++) {
    size_t pc = ncols - i * GEMM_NR < GEMM_NR ? ncols - i * GEMM_NR : GEMM_NR;
    gemm_b_panel b = {packed + i * g->kc * GEMM_NR, GEMM_NR, NULL, c + i * GEMM_NR, pc};
    panels[i] = b;
    if (g->pointwise) continue;
    n_seg[i] = panel_segments(j, col0 + i * GEMM_NR, pc, oy_first, seg[i]);
    if (n_seg[i] == 1) /* in one output row: the kernel reads the band in place */
      panels[i].b = band + seg[i][0].base;
  }
  for (size_t k0 = 0; k0 < g->k; k0 += g->kc) {
    size_t kc = g->k - k0 < g->kc ? g->k - k0 : g->kc;
    for (size_t i = 0; i < n_panels; i++) {
      float *dst = packed + i * g->kc * GEMM_NR;
      if (!g->pointwise) {
        if (n_seg[i] == 1)
          panels[i].offsets = offs + k0;
        else
          pack_from_band(band, offs + k0, seg[i], n_seg[i], panels[i].ncols, kc, dst);
        continue;
      }
      const float *b = image + k0 * g->pixels + col0 + i * GEMM_NR;
      if (panels[i].ncols == GEMM_NR && reads_in_place(g, rows)) {
        panels[i].b = b;
        panels[i].ldb = g->pixels;
      } else
        pack_pointwise(b, g->pixels, panels[i].ncols, kc, dst);
    }
    gemm_block(a + k0 * GEMM_MR, GEMM_MR * g->k, rows, kc, panels, n_panels, &ep, k0 == 0,
               k0 + kc == g->k, g->pixels);
  }
}

static void gemm_tasks(void *ctx, int worker, size_t begin, size_t end) {
  for (size_t t = begin; t < end; t++) run_task(ctx, worker, t);
}

void conv_gemm_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                   size_t slot_bytes, threadpool *tp) {
  gemm_job j = {.p = p,
                .input = in->data,
                .output = out->data,
                .scratch = scratch,
                .slot_bytes = slot_bytes,
                .h = (int64_t)in->shape.dim[2],
                .w = (int64_t)in->shape.dim[3]};
  if (!make_geometry(p, out->shape.dim[2], out->shape.dim[3], &j.g) ||
      (!j.g.pointwise && !p->im2col_offsets))
    return; /* cannot happen: infer and prepare checked these sizes and made the offsets */
  size_t tasks = in->shape.dim[0] * (size_t)p->groups * j.g.blocks;
  size_t threads = tp ? (size_t)threadpool_size(tp) : 1;
  /* Few pixel blocks (a small map): split the output channels too, in MR multiples. A
   * pointwise conv whose shares read their input in place: TASKS_PER_THREAD tasks per
   * thread, so that a worker that starts late costs little (its 14x14 layers at 2 threads:
   * 1.15-1.3x with 2 shares, ~1.8x with 4). Shares that pack their input (other convs,
   * pointwise ones on maps under POINTWISE_IN_PLACE_PIXELS or with POINTWISE_PACK_ROWS+
   * rows a share) each pack it again: just enough shares for the tasks to divide evenly
   * among the threads (a 512-channel 7x7 3x3 conv on 2 threads: 2.3-3.0 ms with 4 shares,
   * 1.8 ms with 2; mobilenet_v2's 7x7 projections 960->160 and 960->320: 0.154 -> 0.115
   * and 0.265 -> 0.23 ms, 6 shares -> 2). */
  size_t want = TASKS_PER_THREAD * threads;
  split_channels(&j, threads == 1 || tasks >= want ? 1 : div_up(want, tasks));
  if (j.shares > 1 && !reads_in_place(&j.g, j.rows_per_share))
    split_channels(&j, threads / gcd(tasks, threads));
  threadpool_for_workers(tp, tasks * j.shares, gemm_tasks, &j);
}
