/* --plot: the confusion matrix as a PNG heat map with the accuracy, class names and
 * counts written in. */
#include <stdio.h>
#include "cli_font.h"
#include "cli_report.h"

#define PAD 16
#define TEXT 2         /* font scale of titles and headers */
#define LABEL_CHARS 20 /* row labels are cut to this many characters */
#define LEGEND_HEIGHT 14
#define LEGEND_LOW "0%"
#define LEGEND_HIGH "100% OF THE ROW"

static const uint8_t INK[3] = {30, 30, 30}, WHITE[3] = {255, 255, 255}, LINE[3] = {210, 210, 210};

typedef struct {
  int cell, cols, x0, y0, label_scale, count_scale, header_scale;
} layout;

/* White for 0, dark blue for 1 (a row's share). */
static void shade(double f, uint8_t rgb[3]) {
  static const double dark[3] = {8, 48, 107};
  for (int i = 0; i < 3; i++) rgb[i] = (uint8_t)(255.0 - f * (255.0 - dark[i]) + 0.5);
}

static void fill(cli_canvas *c, int x, int y, int w, int h, const uint8_t rgb[3]) {
  for (int j = y; j < y + h && j < c->height; j++)
    for (int i = x; i < x + w && i < c->width; i++) {
      uint8_t *p = c->pixels + ((size_t)j * (size_t)c->width + (size_t)i) * 3;
      p[0] = rgb[0], p[1] = rgb[1], p[2] = rgb[2];
    }
}

/* The largest scale (2, 1 or 0 = do not draw) at which text fits in width pixels. */
static int fitting_scale(const char *text, int width) {
  return cli_text_width(text, 2) <= width ? 2 : cli_text_width(text, 1) <= width ? 1 : 0;
}

static void row_label(const cli_report *r, const cnnrt_model *m, size_t i, char *buf, size_t n) {
  const char *label = cnnrt_model_label(m, r->shown[i]);
  snprintf(buf, n, "%zu %.*s", r->shown[i], LABEL_CHARS, label ? label : "");
}

static layout plan(const cli_report *r, const cnnrt_model *m, bool other) {
  layout L;
  size_t k = r->shown_count;
  L.cols = (int)k + (other ? 1 : 0);
  L.cell = k <= 12 ? 48 : k <= 25 ? 32 : (int)(800 / k) > 6 ? (int)(800 / k) : 6;
  L.label_scale = L.cell >= 16 ? 2 : L.cell >= 8 ? 1 : 0;
  size_t most = 0; /* counts share one font scale: the one the largest fits at */
  for (size_t i = 0; i < r->classes * r->classes; i++)
    if (r->confusion[i] > most) most = r->confusion[i];
  char widest[24];
  snprintf(widest, sizeof widest, "%zu", most);
  L.count_scale = fitting_scale(widest, L.cell - 4);
  L.header_scale = fitting_scale("000", L.cell - 2);
  int label_w = 0;
  for (size_t i = 0; L.label_scale && i < k; i++) {
    char buf[64];
    row_label(r, m, i, buf, sizeof buf);
    int w = cli_text_width(buf, L.label_scale);
    if (w > label_w) label_w = w;
  }
  L.x0 = PAD + label_w + PAD / 2;
  L.y0 = PAD + 2 * (CLI_FONT_H * TEXT + 8) + (L.header_scale ? CLI_FONT_H * 2 + 6 : 0);
  return L;
}

static void draw_cells(cli_canvas *c, const cli_report *r, const layout *L) {
  for (size_t i = 0; i < r->shown_count; i++) {
    size_t t = r->shown[i], total = 0;
    for (size_t p = 0; p < r->classes; p++) total += r->confusion[t * r->classes + p];
    for (int j = 0; j < L->cols; j++) {
      size_t n = j < (int)r->shown_count ? r->confusion[t * r->classes + r->shown[j]]
                                         : cli_report_other(r, t);
      double f = total ? (double)n / (double)total : 0;
      uint8_t rgb[3];
      shade(f, rgb);
      int x = L->x0 + j * L->cell, y = L->y0 + (int)i * L->cell;
      fill(c, x + 1, y + 1, L->cell - 1, L->cell - 1, rgb);
      char text[24];
      snprintf(text, sizeof text, "%zu", n);
      int s = L->count_scale;
      if (s && n)
        cli_draw_text(c, x + (L->cell - cli_text_width(text, s)) / 2,
                      y + (L->cell - CLI_FONT_H * s) / 2, text, s, f > 0.5 ? WHITE : INK);
    }
  }
}

static void draw_headers(cli_canvas *c, const cli_report *r, const cnnrt_model *m,
                         const layout *L) {
  char text[64];
  for (int j = 0; L->header_scale && j < L->cols; j++) {
    if (j < (int)r->shown_count)
      snprintf(text, sizeof text, "%zu", r->shown[j]);
    else
      snprintf(text, sizeof text, "%s", L->cell >= 40 ? "OTHER" : "*");
    int s = fitting_scale(text, L->cell - 2);
    if (s)
      cli_draw_text(c, L->x0 + j * L->cell + (L->cell - cli_text_width(text, s)) / 2,
                    L->y0 - CLI_FONT_H * s - 6, text, s, INK);
  }
  for (size_t i = 0; L->label_scale && i < r->shown_count; i++) {
    row_label(r, m, i, text, sizeof text);
    cli_draw_text(c, PAD, L->y0 + (int)i * L->cell + (L->cell - CLI_FONT_H * L->label_scale) / 2,
                  text, L->label_scale, INK);
  }
}

/* The colour legend spans the grid, and at least its two captions. */
static int legend_width(const layout *L) {
  int captions = cli_text_width(LEGEND_LOW, 1) + cli_text_width(LEGEND_HIGH, 1) + 16;
  return L->cols * L->cell > captions ? L->cols * L->cell : captions;
}

static void draw_titles_and_legend(cli_canvas *c, const cli_report *r, const layout *L) {
  char text[128];
  snprintf(text, sizeof text, "ACCURACY %.2f%% (%zu OF %zu IMAGES)",
           r->images ? 100.0 * (double)r->correct / (double)r->images : 0.0, r->correct, r->images);
  cli_draw_text(c, PAD, PAD, text, TEXT, INK);
  cli_draw_text(c, PAD, PAD + CLI_FONT_H * TEXT + 8, "ROWS: TRUE CLASS, COLUMNS: PREDICTED", TEXT,
                INK);
  int y = L->y0 + (int)r->shown_count * L->cell + PAD, w = legend_width(L);
  for (int x = 0; x < w; x++) {
    uint8_t rgb[3];
    shade((double)x / (w > 1 ? w - 1 : 1), rgb);
    fill(c, L->x0 + x, y, 1, LEGEND_HEIGHT, rgb);
  }
  int ty = y + LEGEND_HEIGHT + 4;
  cli_draw_text(c, L->x0, ty, LEGEND_LOW, 1, INK);
  cli_draw_text(c, L->x0 + w - cli_text_width(LEGEND_HIGH, 1), ty, LEGEND_HIGH, 1, INK);
}

bool cli_report_plot(const cli_report *r, const cnnrt_model *m, const char *path) {
  bool other = false;
  for (size_t i = 0; i < r->shown_count; i++) other |= cli_report_other(r, r->shown[i]) > 0;
  layout L = plan(r, m, other);
  int grid_w = L.cols * L.cell + 1, grid_h = (int)r->shown_count * L.cell + 1;
  int title_w = PAD + cli_text_width("ROWS: TRUE CLASS, COLUMNS: PREDICTED", TEXT) + PAD;
  int right = L.x0 + (grid_w > legend_width(&L) ? grid_w : legend_width(&L)) + PAD;
  int width = right > title_w ? right : title_w;
  int height = L.y0 + grid_h + PAD + LEGEND_HEIGHT + 4 + CLI_FONT_H + PAD;
  cli_canvas c;
  if (!cli_canvas_init(&c, width, height, 3, 255)) return false;
  fill(&c, L.x0, L.y0, grid_w, grid_h, LINE);
  draw_cells(&c, r, &L);
  draw_headers(&c, r, m, &L);
  draw_titles_and_legend(&c, r, &L);
  bool ok = cli_png_write(path, &c);
  cli_canvas_free(&c);
  return ok;
}
