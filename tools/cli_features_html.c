/* index.html of a --dump-features folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli_features.h"
#include "cli_files.h"
#include "cli_text.h"

static const char STYLE[] =
    "body{font-family:sans-serif;margin:1.5em;background:#f6f6f6;color:#222}\n"
    "section{margin:1em 0;padding:.6em 1em;background:#fff;border:1px solid #ddd;"
    "border-radius:6px}\n"
    "h2{font-size:1.05em;margin:.2em 0}\n"
    "h2 .op{color:#555;font-weight:normal}\n"
    ".meta{color:#555;font-size:.9em;margin:.2em 0}\n"
    ".fused{color:#9a5a00}\n"
    "img{image-rendering:pixelated;max-width:100%;height:auto;display:block;margin-top:.4em}\n"
    "img.photo{min-width:168px;max-width:480px}\n"
    "table{border-collapse:collapse}td{padding:0 .8em 0 0}\n";

/* Checks, once the page has loaded, that every picture did: the body records how many
 * there are and how many loaded, and #status says it in words. */
static const char SCRIPT[] =
    "window.addEventListener('load', function () {\n"
    "  var imgs = document.images, loaded = 0;\n"
    "  for (var i = 0; i < imgs.length; i++)\n"
    "    if (imgs[i].complete && imgs[i].naturalWidth > 0) loaded++;\n"
    "  document.body.dataset.images = imgs.length;\n"
    "  document.body.dataset.loaded = loaded;\n"
    "  document.getElementById('status').textContent = loaded === imgs.length ?\n"
    "    'all ' + loaded + ' pictures loaded' : (imgs.length - loaded) + ' of ' +\n"
    "    imgs.length + ' pictures failed to load';\n"
    "});\n";

/* An <img> of a picture, shown larger (pixels kept sharp) when it is small. */
static void img(FILE *f, const char *file, const char *alt, int width) {
  int zoom = width > 0 && width < 480 ? 480 / width : 1;
  fprintf(f, "<img src=\"%s\"", file); /* file names are cli_safe_name'd */
  if (width > 0) fprintf(f, " width=\"%d\"", width * (zoom < 4 ? zoom : 4));
  fputs(" alt=\"", f);
  cli_html_escape(f, alt);
  fputs("\" onload=\"this.dataset.state='loaded'\" onerror=\"this.dataset.state='error'\">\n", f);
}

static void describe(FILE *f, const cli_feature_picture *p) {
  const cli_grid_layout *g = &p->layout;
  if (g->strip)
    fprintf(f, "%zu values in %zu row%s of %zu, normalised together", g->count, g->rows,
            g->rows == 1 ? "" : "s", g->cols);
  else
    fprintf(f, "%zu channel%s in a %zu &times; %zu grid, each normalised to its own range",
            g->count, g->count == 1 ? "" : "s", g->rows, g->cols);
  fprintf(f, "; values %.4g to %.4g, mean %.4g", (double)p->lo, (double)p->hi, (double)p->mean);
}

/* The node whose computation node i's output really is: follow fused nodes upwards. */
static size_t computed_by(const cnnrt_model *m, size_t i) {
  size_t producer;
  while (cnnrt_model_node_is_fused(m, i) && cnnrt_model_node_input(m, i, 0, &producer) == 0 &&
         producer != CNNRT_GRAPH_INPUT)
    i = producer;
  return i;
}

static void fused_note(FILE *f, const cnnrt_model *m, size_t i) {
  size_t n = cnnrt_model_node_count(m), root = computed_by(m, i);
  if (root != i) {
    fputs("<p class=\"meta fused\">fused at load into ", f);
    cli_html_escape(f, cnnrt_model_node_name(m, root));
    fputs(": this is that node's output, which already includes this node's operation</p>\n", f);
    return;
  }
  bool any = false;
  for (size_t j = i + 1; j < n; j++) {
    if (!cnnrt_model_node_is_fused(m, j) || computed_by(m, j) != i) continue;
    fputs(any ? ", " : "<p class=\"meta fused\">includes the fused ", f);
    cli_html_escape(f, cnnrt_model_node_name(m, j));
    fprintf(f, " (%s)", cnnrt_model_node_op(m, j));
    any = true;
  }
  if (any) fputs(": the picture is after them</p>\n", f);
}

static void node_section(FILE *f, const cli_feature_dump *d, size_t i) {
  const cli_feature_picture *p = &d->nodes[i];
  char shape[128];
  cli_format_dims(p->dims, p->rank, shape, sizeof shape);
  fprintf(f, "<section id=\"node-%zu\">\n<h2>%zu &middot; ", i, i);
  cli_html_escape(f, cnnrt_model_node_name(d->model, i));
  fputs(" <span class=\"op\">", f);
  cli_html_escape(f, cnnrt_model_node_op(d->model, i));
  fprintf(f, " %s</span></h2>\n<p class=\"meta\">", shape);
  describe(f, p);
  fputs("</p>\n", f);
  fused_note(f, d->model, i);
  img(f, p->file, cnnrt_model_node_name(d->model, i), p->width);
  fputs("</section>\n", f);
}

static void header(FILE *f, const cli_feature_dump *d) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
  cli_html_escape(f, d->image_path);
  fprintf(f, " &mdash; cnnrt feature maps</title>\n<style>\n%s</style>\n</head>\n<body>\n", STYLE);
  fputs("<h1>Feature maps</h1>\n<p>model <code>", f);
  cli_html_escape(f, d->model_path);
  fputs("</code>, image <code>", f);
  cli_html_escape(f, d->image_path);
  fprintf(f,
          "</code>, %zu nodes in execution order (cnnrt %s)</p>\n<p id=\"status\">loading"
          "&hellip;</p>\n<table>\n",
          cnnrt_model_node_count(d->model), cnnrt_version());
  for (size_t k = 0; k < d->top; k++) {
    const char *label = cnnrt_model_label(d->model, d->ranked[k]);
    fprintf(f, "<tr><td>%.2f%%</td><td>", 100.0 * d->probs[d->ranked[k]]);
    cli_html_escape(f, label ? label : "class");
    fprintf(f, " (%zu)</td></tr>\n", d->ranked[k]);
  }
  fputs("</table>\n", f);
}

static void inputs(FILE *f, const cli_feature_dump *d) {
  char shape[128];
  if (d->image_copy[0]) {
    fputs("<section id=\"image\">\n<h2>image <span class=\"op\">as given</span></h2>\n", f);
    fputs("<p class=\"meta\">the file, as the browser shows it</p>\n", f);
    fprintf(f,
            "<img class=\"photo\" src=\"%s\" alt=\"the image\" onload=\"this.dataset.state="
            "'loaded'\" onerror=\"this.dataset.state='error'\">\n",
            d->image_copy);
    fputs("</section>\n", f);
  }
  cli_format_dims(d->input.dims, d->input.rank, shape, sizeof shape);
  fprintf(f, "<section id=\"input\">\n<h2>input <span class=\"op\">%s</span></h2>\n", shape);
  fputs("<p class=\"meta\">after preprocessing (resize, scale, normalise): what the network "
        "sees",
        f);
  fprintf(f, "; values %.4g to %.4g</p>\n", (double)d->input.lo, (double)d->input.hi);
  img(f, d->input.file, "input tensor", d->input.width);
  fputs("</section>\n", f);
}

bool cli_features_write_html(const cli_feature_dump *d) {
  char path[4096];
  cli_out o;
  snprintf(path, sizeof path, "%s/index.html", d->dir);
  if (!cli_out_open(&o, path)) return false;
  header(o.f, d);
  inputs(o.f, d);
  for (size_t i = 0; i < cnnrt_model_node_count(d->model); i++) node_section(o.f, d, i);
  fprintf(o.f, "<script>\n%s</script>\n</body>\n</html>\n", SCRIPT);
  return cli_out_close(&o, true);
}
