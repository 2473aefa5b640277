/* cnnrt MODEL IMAGE...: decode, preprocess, run in batches, print the top classes. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

#define DEFAULT_CLASSIFY_BATCH 16

typedef struct {
  const cnnrt_model *model;
  const cli_options *opt;
  size_t features; /* output floats per image */
  size_t top;
  float *probs;
  size_t *ranked;
} printer;

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
  char *text = ok ? cJSON_PrintUnformatted(obj) : NULL;
  if (text) printf("%s\n", text);
  free(text);
  cJSON_Delete(obj);
  return text != NULL;
}

static bool print_result(const printer *p, const char *image, const float *row) {
  if (cnnrt_probabilities(p->model, row, p->probs, p->features) ||
      cnnrt_top_k(p->probs, p->features, p->top, p->ranked))
    return cli_fail(), false;
  if (p->opt->json) return print_json(p, image);
  print_text(p, image);
  return true;
}

/* Classifies images [first, first + count) with one run of s; returns failures. */
static int classify_chunk(cnnrt_session *s, const printer *p, int first, int count, float *in,
                          float *out, bool *ok) {
  size_t sample = cnnrt_session_input_count(s) / cnnrt_session_batch(s);
  int failures = 0;
  for (int i = 0; i < count; i++) {
    ok[i] = cnnrt_image_file_to_input(p->model, p->opt->images[first + i], in + (size_t)i * sample,
                                      sample) == CNNRT_OK;
    if (!ok[i]) failures += cli_fail();
  }
  if (cnnrt_run(s, in, cnnrt_session_input_count(s), out, cnnrt_session_output_count(s)))
    return cli_fail() + count;
  for (int i = 0; i < count; i++)
    if (ok[i] && !print_result(p, p->opt->images[first + i], out + (size_t)i * p->features))
      failures++;
  fflush(stdout);
  return failures;
}

int cli_classify(const cnnrt_model *m, const cli_options *o) {
  size_t batch = o->batch ? o->batch : DEFAULT_CLASSIFY_BATCH;
  if (batch > (size_t)o->image_count) batch = (size_t)o->image_count;
  cnnrt_session *s = NULL;
  if (cnnrt_session_create_batch(m, o->threads, batch, &s) != CNNRT_OK) return cli_fail();
  size_t n_in = cnnrt_session_input_count(s), n_out = cnnrt_session_output_count(s);
  printer p = {m, o, n_out / batch, 0, NULL, NULL};
  p.top = (size_t)o->top < p.features ? (size_t)o->top : p.features;
  float *in = calloc(n_in, sizeof *in), *out = calloc(n_out, sizeof *out);
  p.probs = calloc(p.features, sizeof *p.probs);
  p.ranked = calloc(p.features, sizeof *p.ranked);
  bool *ok = calloc(batch, sizeof *ok);
  bool allocated = in && out && p.probs && p.ranked && ok;
  int failures = allocated ? 0 : 1;
  if (!allocated) fprintf(stderr, "cnnrt: out of memory for a batch of %zu images\n", batch);
  for (int first = 0; allocated && first < o->image_count; first += (int)batch) {
    int count = o->image_count - first < (int)batch ? o->image_count - first : (int)batch;
    failures += classify_chunk(s, &p, first, count, in, out, ok);
  }
  free(in), free(out), free(p.probs), free(p.ranked), free(ok);
  cnnrt_session_free(s);
  return failures ? 1 : 0;
}
