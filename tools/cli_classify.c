/* cnnrt MODEL IMAGE|DIR...: images decoded by reader threads (cli_pipeline) while the
 * previous batch runs; the top classes per image; with --labels-from-dirs an accuracy
 * report; for folders a progress bar (on a terminal) and the throughput at the end. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "cli_pipeline.h"
#include "cli_progress.h"
#include "cli_report.h"
#include "cli_scan.h"
#include "cli_text.h"

#define DEFAULT_CLASSIFY_BATCH 16

typedef struct {
  const cnnrt_model *model;
  const cli_options *opt;
  size_t features; /* output floats per image */
  size_t top;
  float *probs;
  size_t *ranked;
} printer;

typedef struct {
  const cli_image_list *list;
  cli_report report; /* with --labels-from-dirs */
  cli_throughput speed;
  int failures;
} run_state;

static void print_text(const printer *p, const char *image) {
  printf("%s\n", image);
  for (size_t k = 0; k < p->top; k++) {
    size_t c = p->ranked[k];
    const char *label = cnnrt_model_label(p->model, c);
    printf("  %8.4f%%  %s (%zu)\n", 100.0 * p->probs[c], label ? label : "class", c);
  }
}

static bool print_json(const printer *p, const char *image) {
  cJSON *obj = cJSON_CreateObject(), *top = cJSON_AddArrayToObject(obj, "top");
  bool ok = obj && top && cJSON_AddStringToObject(obj, "image", image);
  for (size_t k = 0; ok && k < p->top; k++) {
    size_t c = p->ranked[k];
    const char *label = cnnrt_model_label(p->model, c);
    cJSON *entry = cJSON_CreateObject();
    ok = entry && cJSON_AddItemToArray(top, entry) &&
         cJSON_AddNumberToObject(entry, "index", (double)c) &&
         (label ? cJSON_AddStringToObject(entry, "label", label)
                : cJSON_AddNullToObject(entry, "label")) &&
         cJSON_AddNumberToObject(entry, "prob", (double)p->probs[c]);
  }
  return cli_print_json(obj, ok, false, "result");
}

/* Ranks one output row and prints it (unless --quiet); false on failure. */
static bool handle_result(const printer *p, const char *image, const float *row) {
  if (cnnrt_probabilities(p->model, row, p->probs, p->features) ||
      cnnrt_top_k(p->probs, p->features, p->top, p->ranked))
    return cli_fail(), false;
  if (p->opt->quiet) return true;
  if (p->opt->json) return print_json(p, image);
  print_text(p, image);
  return true;
}

/* Runs one decoded batch and reports each of its images. */
static void run_batch(cnnrt_session *s, const printer *p, run_state *st, const cli_batch *b,
                      float *out) {
  double t0 = cli_seconds();
  if (cnnrt_run(s, b->input, cnnrt_session_input_count(s), out, cnnrt_session_output_count(s))) {
    st->failures += cli_fail() * (int)b->count;
    return;
  }
  st->speed.compute_seconds += cli_seconds() - t0;
  for (size_t i = 0; i < b->count; i++) {
    size_t image = b->first + i;
    if (!b->ok[i]) {
      fprintf(stderr, "cnnrt: %s\n", b->error[i] ? b->error[i] : st->list->paths[image]);
      st->failures++;
    } else if (!handle_result(p, st->list->paths[image], out + i * p->features))
      st->failures++;
    else if (st->list->truth)
      cli_report_add(&st->report, st->list->truth[image], p->ranked[0]);
  }
  fflush(stdout);
}

/* Decodes (reader threads) and runs every image of the list in batches. */
static bool run_all(cnnrt_session *s, const printer *p, run_state *st, float *out) {
  size_t batch = cnnrt_session_batch(s);
  size_t sample = cnnrt_session_input_count(s) / batch;
  cli_pipeline *pipe = cli_pipeline_start(p->model, st->list->paths, st->list->count, batch, sample,
                                          st->speed.readers);
  if (!pipe) return false;
  cli_progress bar;
  cli_progress_start(&bar, st->list->count, st->list->any_dir);
  double t0 = cli_seconds();
  for (const cli_batch *b; (b = cli_pipeline_next(pipe, &st->speed.wait_seconds));) {
    run_batch(s, p, st, b, out);
    cli_progress_update(&bar, b->first + b->count);
    cli_pipeline_release(pipe);
  }
  st->speed.decode_seconds = cli_pipeline_stop(pipe);
  st->speed.seconds = cli_seconds() - t0;
  cli_progress_end(&bar);
  return true;
}

static void print_throughput(const cli_throughput *t) {
  fprintf(stderr,
          "%zu images in %.3f s: %.1f images/s (batch %zu, %d threads); decoding %.3f s on %d "
          "reader thread%s, compute %.3f s, compute waiting for images %.3f s\n",
          t->images, t->seconds, t->seconds > 0 ? (double)t->images / t->seconds : 0.0, t->batch,
          t->threads, t->decode_seconds, t->readers, t->readers == 1 ? "" : "s", t->compute_seconds,
          t->wait_seconds);
}

/* The accuracy report and the heat map, after the run. */
static int report(run_state *st, const cnnrt_model *m, const cli_options *o) {
  if (!cli_report_finish(&st->report)) return fprintf(stderr, "cnnrt: out of memory\n"), 1;
  if (o->json) {
    if (!cli_report_print_json(&st->report, m, &st->speed)) return 1;
  } else
    cli_report_print(&st->report, m);
  if (o->plot && !cli_report_plot(&st->report, m, o->plot)) return 1;
  return 0;
}

static int classify_list(const cnnrt_model *m, const cli_options *o, const cli_image_list *list) {
  size_t batch = o->batch ? o->batch : DEFAULT_CLASSIFY_BATCH;
  if (batch > list->count) batch = list->count;
  cnnrt_session *s = NULL;
  if (cnnrt_session_create_batch(m, o->threads, batch, &s) != CNNRT_OK) return cli_fail();
  size_t n_out = cnnrt_session_output_count(s);
  printer p = {m, o, n_out / batch, 0, NULL, NULL};
  p.top = (size_t)o->top < p.features ? (size_t)o->top : p.features;
  size_t batches = (list->count + batch - 1) / batch;
  int readers = (size_t)o->readers < batches ? o->readers : (int)batches;
  run_state st = {list, {0}, {list->count, 0, 0, 0, 0, batch, o->threads, readers}, 0};
  float *out = calloc(n_out, sizeof *out);
  p.probs = calloc(p.features, sizeof *p.probs);
  p.ranked = calloc(p.features, sizeof *p.ranked);
  bool ok = out && p.probs && p.ranked;
  if (!ok) fprintf(stderr, "cnnrt: out of memory for a batch of %zu images\n", batch);
  if (ok && list->truth) ok = cli_report_init(&st.report, p.features);
  int status = ok && run_all(s, &p, &st, out) ? 0 : 1;
  if (status == 0 && list->any_dir) print_throughput(&st.speed);
  if (status == 0 && list->truth) status = report(&st, m, o);
  cli_report_free(&st.report);
  free(out), free(p.probs), free(p.ranked);
  cnnrt_session_free(s);
  return status || st.failures ? 1 : 0;
}

int cli_classify(const cnnrt_model *m, const cli_options *o) {
  cli_image_list list;
  if (!cli_scan(m, o, &list)) return 1;
  int status = 1;
  if (list.count == 0)
    fprintf(stderr, "cnnrt: no images (.jpg, .jpeg, .png) found in the folder%s given\n",
            o->image_count > 1 ? "s" : "");
  else
    status = classify_list(m, o, &list);
  cli_image_list_free(&list);
  return status;
}
