#include "cli_grid.h"

#include <limits.h>
#include <math.h>

#define GAP 2              /* pixels between tiles and around them */
#define BACKGROUND 48      /* gray level between tiles */
#define TILE_MIN_SIDE 56   /* small maps are scaled up to about this many pixels */
#define GRID_MAX_SIDE 4096 /* ... unless the whole grid would get wider than this */
#define STRIP_COLUMNS 64   /* values per strip row */

/* A picture side as int (cli_canvas_init refuses anything this large). */
static int side_of(size_t pixels) {
  return pixels > INT_MAX / 2 ? INT_MAX / 2 : (int)pixels;
}

/* Range of finite values of data[0..n) (0, 0 when there is none). */
static void value_range(const float *data, size_t n, float *lo, float *hi) {
  bool any = false;
  *lo = *hi = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(data[i])) continue;
    if (!any || data[i] < *lo) *lo = data[i];
    if (!any || data[i] > *hi) *hi = data[i];
    any = true;
  }
}

/* v mapped from [lo, hi] to 0..255; a constant range draws black. */
static uint8_t level(float v, float lo, float hi) {
  if (!(hi > lo) || !isfinite(v)) return 0;
  float t = (v - lo) / (hi - lo) * 255.0f + 0.5f;
  return (uint8_t)(t < 0 ? 0 : t > 255 ? 255 : t);
}

/* Fills a scale x scale block at pixel (x, y) of a gray canvas. */
static void block(cli_canvas *c, size_t x, size_t y, int scale, uint8_t v) {
  for (int dy = 0; dy < scale; dy++)
    for (int dx = 0; dx < scale; dx++)
      c->pixels[(y + (size_t)dy) * (size_t)c->width + x + (size_t)dx] = v;
}

static bool draw_tiles(const float *data, size_t channels, size_t h, size_t w, cli_canvas *out,
                       cli_grid_layout *g) {
  g->strip = false;
  g->count = channels;
  g->cols = (size_t)ceil(sqrt((double)channels));
  g->rows = (channels + g->cols - 1) / g->cols;
  size_t side = h > w ? h : w;
  g->scale = side < TILE_MIN_SIDE ? (int)(TILE_MIN_SIDE / side) : 1;
  while (g->scale > 1 && g->cols * (w * (size_t)g->scale + GAP) > GRID_MAX_SIDE) g->scale--;
  size_t tw = w * (size_t)g->scale, th = h * (size_t)g->scale;
  size_t width = g->cols * (tw + GAP) + GAP, height = g->rows * (th + GAP) + GAP;
  if (!cli_canvas_init(out, side_of(width), side_of(height), 1, BACKGROUND)) return false;
  for (size_t ch = 0; ch < channels; ch++) {
    const float *plane = data + ch * h * w;
    float lo, hi;
    value_range(plane, h * w, &lo, &hi);
    size_t x0 = GAP + (ch % g->cols) * (tw + GAP), y0 = GAP + (ch / g->cols) * (th + GAP);
    for (size_t y = 0; y < h; y++)
      for (size_t x = 0; x < w; x++)
        block(out, x0 + x * (size_t)g->scale, y0 + y * (size_t)g->scale, g->scale,
              level(plane[y * w + x], lo, hi));
  }
  return true;
}

static bool draw_strip(const float *data, size_t n, cli_canvas *out, cli_grid_layout *g) {
  g->strip = true;
  g->count = n;
  g->cols = n < STRIP_COLUMNS ? n : STRIP_COLUMNS;
  g->rows = (n + g->cols - 1) / g->cols;
  g->scale = n <= 32 ? 24 : 10;
  size_t cell = (size_t)g->scale + 1; /* a one-pixel line between cells */
  size_t width = g->cols * cell + 1 + 2 * GAP, height = g->rows * cell + 1 + 2 * GAP;
  if (!cli_canvas_init(out, side_of(width), side_of(height), 1, BACKGROUND)) return false;
  float lo, hi;
  value_range(data, n, &lo, &hi);
  for (size_t i = 0; i < n; i++)
    block(out, GAP + 1 + (i % g->cols) * cell, GAP + 1 + (i / g->cols) * cell, g->scale,
          level(data[i], lo, hi));
  return true;
}

bool cli_grid_draw(const float *data, const size_t *dims, int rank, cli_canvas *out,
                   cli_grid_layout *layout) {
  size_t per_sample = 1;
  for (int i = 1; i < rank; i++) per_sample *= dims[i];
  if (rank == 4 && dims[2] * dims[3] > 1)
    return draw_tiles(data, dims[1], dims[2], dims[3], out, layout);
  return draw_strip(data, rank > 1 ? per_sample : dims[0], out, layout);
}

bool cli_grid_draw_rgb(const float *data, const size_t *dims, cli_canvas *out) {
  size_t h = dims[2], w = dims[3], plane = h * w;
  size_t side = h > w ? h : w;
  int scale = side < TILE_MIN_SIDE * 2 ? (int)(TILE_MIN_SIDE * 2 / side) : 1;
  if (!cli_canvas_init(out, side_of(w * (size_t)scale), side_of(h * (size_t)scale), 3, 0))
    return false;
  float lo, hi;
  value_range(data, 3 * plane, &lo, &hi);
  for (size_t y = 0; y < (size_t)out->height; y++)
    for (size_t x = 0; x < (size_t)out->width; x++) {
      size_t src = (y / (size_t)scale) * w + x / (size_t)scale;
      uint8_t *px = out->pixels + (y * (size_t)out->width + x) * 3;
      for (size_t c = 0; c < 3; c++) px[c] = level(data[c * plane + src], lo, hi);
    }
  return true;
}
