/* cnnrt MODEL IMAGE --dump-features DIR: every node's output as a PNG picture, the input,
 * and an index.html showing them in order. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "cli.h"
#include "cli_features.h"
#include "cli_files.h"
#include "cli_text.h"

typedef struct {
  cli_feature_dump *dump;
  bool failed;
} observer_state;

/* Shape of node i for one sample: the declared shape with its batch dim set to 1, or a
 * plain vector of count values when that does not account for count. */
static void sample_shape(const cnnrt_model *m, size_t node, size_t count, cli_feature_picture *p) {
  size_t numel = 1;
  if (cnnrt_model_node_shape(m, node, p->dims, CLI_FEATURE_MAX_RANK, &p->rank) != CNNRT_OK)
    p->rank = 0;
  for (int i = 1; i < p->rank; i++) numel *= p->dims[i];
  if (p->rank >= 2 && numel == count)
    p->dims[0] = 1;
  else
    p->rank = 1, p->dims[0] = count;
}

static void statistics(const float *data, size_t n, cli_feature_picture *p) {
  double sum = 0;
  size_t finite = 0;
  p->lo = p->hi = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(data[i])) continue;
    if (!finite || data[i] < p->lo) p->lo = data[i];
    if (!finite || data[i] > p->hi) p->hi = data[i];
    sum += data[i], finite++;
  }
  p->mean = finite ? (float)(sum / (double)finite) : 0.0f;
}

/* Draws data as p's picture into DIR/file (gray grid, or RGB when rgb is set). */
static bool write_picture(const char *dir, const char *file, const float *data, bool rgb,
                          cli_feature_picture *p) {
  cli_canvas c;
  size_t count = 1;
  for (int i = 0; i < p->rank; i++) count *= p->dims[i];
  statistics(data, count, p);
  bool ok = rgb ? cli_grid_draw_rgb(data, p->dims, &c)
                : cli_grid_draw(data, p->dims, p->rank, &c, &p->layout);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  ok = ok && cli_png_write(path, &c);
  p->width = c.width, p->height = c.height;
  cli_canvas_free(&c);
  if (ok) snprintf(p->file, sizeof p->file, "%s", file);
  return ok;
}

static void observe(void *user, size_t node, const float *data, size_t count) {
  observer_state *st = user;
  cli_feature_picture *p = &st->dump->nodes[node];
  char name[200], file[CLI_FEATURE_FILE];
  sample_shape(st->dump->model, node, count, p);
  cli_safe_name(cnnrt_model_node_name(st->dump->model, node), name, sizeof name);
  snprintf(file, sizeof file, "%03zu_%s.png", node, name);
  if (!write_picture(st->dump->dir, file, data, false, p)) st->failed = true;
}

/* Copies the original image into the folder as image.jpg / image.png (by its extension). */
static bool copy_image(cli_feature_dump *d) {
  const char *dot = strrchr(d->image_path, '.');
  const char *ext = dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) ? "jpg"
                    : dot && !strcasecmp(dot, ".png")                              ? "png"
                                                                                   : NULL;
  if (!ext) return true; /* the browser might not show it; the input tensor is drawn anyway */
  char path[4096];
  snprintf(d->image_copy, sizeof d->image_copy, "image.%s", ext);
  snprintf(path, sizeof path, "%s/%s", d->dir, d->image_copy);
  /* read whole (the image decoded above, so its size is within the image limit), then
   * written through a temporary file like every other file the command writes */
  FILE *in = fopen(d->image_path, "rb");
  long size = -1;
  char *data = NULL;
  bool ok = in && fseek(in, 0, SEEK_END) == 0 && (size = ftell(in)) >= 0 &&
            fseek(in, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)) &&
            fread(data, 1, (size_t)size, in) == (size_t)size;
  if (in) fclose(in);
  if (!ok)
    fprintf(stderr, "cnnrt: %s: cannot copy the image: %s\n", path, strerror(errno));
  else
    ok = cli_write_bytes(path, data, (size_t)size);
  free(data);
  if (!ok) d->image_copy[0] = '\0';
  return ok;
}

static bool make_dir(const char *dir) {
  struct stat st;
  if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
    return true;
  fprintf(stderr, "cnnrt: %s: cannot create directory: %s\n", dir,
          errno == EEXIST ? "a file of that name exists" : strerror(errno));
  return false;
}

/* Runs the image through s with the observer, then draws the input and the result. */
static int dump(cli_feature_dump *d, cnnrt_session *s, float *in, float *out, float *probs,
                size_t *ranked) {
  size_t n_in = cnnrt_session_input_count(s), n_out = cnnrt_session_output_count(s);
  if (cnnrt_image_file_to_input(d->model, d->image_path, in, n_in) != CNNRT_OK) return cli_fail();
  if (!make_dir(d->dir)) return 1;
  observer_state st = {d, false};
  if (cnnrt_run_observed(s, in, n_in, out, n_out, observe, &st) != CNNRT_OK) return cli_fail();
  d->input.rank = 4;
  cnnrt_model_input_shape(d->model, d->input.dims);
  d->input.dims[0] = 1;
  bool ok = !st.failed && copy_image(d) &&
            write_picture(d->dir, "input.png", in, d->input.dims[1] == 3, &d->input);
  if (cnnrt_probabilities(d->model, out, probs, n_out) != CNNRT_OK ||
      cnnrt_top_k(probs, n_out, d->top, ranked) != CNNRT_OK)
    return cli_fail();
  d->probs = probs, d->ranked = ranked;
  if (!ok || !cli_features_write_html(d)) return 1;
  printf("%s\n", d->image_path);
  for (size_t k = 0; k < d->top; k++) {
    const char *label = cnnrt_model_label(d->model, ranked[k]);
    printf("  %8.4f%%  %s (%zu)\n", 100.0 * probs[ranked[k]], label ? label : "class", ranked[k]);
  }
  printf("feature maps of %zu nodes: %s/index.html\n", cnnrt_model_node_count(d->model), d->dir);
  return 0;
}

int cli_dump_features(const cnnrt_model *m, const cli_options *o) {
  cnnrt_session *s = NULL;
  if (cnnrt_session_create_batch(m, o->threads, 1, &s) != CNNRT_OK) return cli_fail();
  size_t n_in = cnnrt_session_input_count(s), n_out = cnnrt_session_output_count(s);
  cli_feature_dump d = {
      .model = m, .model_path = o->model, .image_path = o->images[0], .dir = o->dump_features};
  d.top = (size_t)o->top < n_out ? (size_t)o->top : n_out;
  d.nodes = calloc(cnnrt_model_node_count(m), sizeof *d.nodes);
  float *in = calloc(n_in, sizeof *in), *out = calloc(n_out, sizeof *out);
  float *probs = calloc(n_out, sizeof *probs);
  size_t *ranked = calloc(n_out, sizeof *ranked);
  int status = 1;
  if (d.nodes && in && out && probs && ranked)
    status = dump(&d, s, in, out, probs, ranked);
  else
    fprintf(stderr, "cnnrt: out of memory\n");
  free(d.nodes), free(in), free(out), free(probs), free(ranked);
  cnnrt_session_free(s);
  return status;
}
