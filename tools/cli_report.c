#include "cli_report.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli_text.h"

#define MAX_TEXT_MATRIX 40 /* larger confusion matrices only in --json and --plot */

bool cli_report_init(cli_report *r, size_t classes) {
  *r = (cli_report){classes, calloc(classes * classes, sizeof(size_t)), 0, 0, NULL, 0};
  if (!r->confusion) fprintf(stderr, "cnnrt: out of memory for the confusion matrix\n");
  return r->confusion != NULL;
}

void cli_report_free(cli_report *r) {
  free(r->confusion);
  free(r->shown);
  r->confusion = NULL, r->shown = NULL;
}

void cli_report_add(cli_report *r, size_t truth, size_t predicted) {
  if (truth >= r->classes || predicted >= r->classes) return;
  r->confusion[truth * r->classes + predicted]++;
  r->images++;
  r->correct += truth == predicted;
}

static size_t row_total(const cli_report *r, size_t t) {
  size_t n = 0;
  for (size_t p = 0; p < r->classes; p++) n += r->confusion[t * r->classes + p];
  return n;
}

bool cli_report_finish(cli_report *r) {
  free(r->shown);
  r->shown = calloc(r->classes ? r->classes : 1, sizeof *r->shown);
  r->shown_count = 0;
  if (!r->shown) return false;
  for (size_t t = 0; t < r->classes; t++)
    if (row_total(r, t)) r->shown[r->shown_count++] = t;
  return true;
}

size_t cli_report_other(const cli_report *r, size_t t) {
  size_t n = row_total(r, t);
  for (size_t j = 0; j < r->shown_count; j++) n -= r->confusion[t * r->classes + r->shown[j]];
  return n;
}

static const char *label_of(const cnnrt_model *m, size_t c) {
  const char *label = cnnrt_model_label(m, c);
  return label ? label : "class";
}

static void print_matrix(const cli_report *r, const cnnrt_model *m) {
  bool other = false;
  for (size_t i = 0; i < r->shown_count; i++) other |= cli_report_other(r, r->shown[i]) > 0;
  printf("confusion matrix (rows: true class, columns: predicted class):\n%24s", "");
  for (size_t j = 0; j < r->shown_count; j++) printf(" %6zu", r->shown[j]);
  printf("%s\n", other ? "   other" : "");
  for (size_t i = 0; i < r->shown_count; i++) {
    size_t t = r->shown[i];
    printf("  %4zu %-18.18s", t, label_of(m, t));
    for (size_t j = 0; j < r->shown_count; j++)
      printf(" %6zu", r->confusion[t * r->classes + r->shown[j]]);
    if (other) printf(" %7zu", cli_report_other(r, t));
    printf("\n");
  }
}

void cli_report_print(const cli_report *r, const cnnrt_model *m) {
  printf("accuracy: %.4f (%zu of %zu images, %zu classes)\n",
         r->images ? (double)r->correct / (double)r->images : 0.0, r->correct, r->images,
         r->shown_count);
  printf("per-class accuracy:\n");
  for (size_t i = 0; i < r->shown_count; i++) {
    size_t t = r->shown[i], n = row_total(r, t), ok = r->confusion[t * r->classes + t];
    printf("  %4zu %-18.18s %.4f (%zu/%zu)\n", t, label_of(m, t), (double)ok / (double)n, ok, n);
  }
  if (r->shown_count <= MAX_TEXT_MATRIX)
    print_matrix(r, m);
  else
    printf("confusion matrix: %zu classes, see --json or --plot\n", r->shown_count);
}

static bool add_classes(cJSON *report, const cli_report *r, const cnnrt_model *m) {
  cJSON *classes = cJSON_AddArrayToObject(report, "classes");
  cJSON *conf = cJSON_AddObjectToObject(report, "confusion");
  cJSON *index = conf ? cJSON_AddArrayToObject(conf, "classes") : NULL;
  cJSON *matrix = conf ? cJSON_AddArrayToObject(conf, "matrix") : NULL;
  cJSON *other = conf ? cJSON_AddArrayToObject(conf, "other") : NULL;
  bool ok = classes && index && matrix && other;
  for (size_t i = 0; ok && i < r->shown_count; i++) {
    size_t t = r->shown[i], n = row_total(r, t), right = r->confusion[t * r->classes + t];
    cJSON *c = cJSON_CreateObject(), *row = cJSON_CreateArray();
    ok = c && cJSON_AddItemToArray(classes, c) && row && cJSON_AddItemToArray(matrix, row) &&
         cJSON_AddNumberToObject(c, "index", (double)t) &&
         cJSON_AddStringToObject(c, "label", label_of(m, t)) &&
         cJSON_AddNumberToObject(c, "images", (double)n) &&
         cJSON_AddNumberToObject(c, "correct", (double)right) &&
         cJSON_AddNumberToObject(c, "accuracy", (double)right / (double)n) &&
         cJSON_AddItemToArray(index, cJSON_CreateNumber((double)t)) &&
         cJSON_AddItemToArray(other, cJSON_CreateNumber((double)cli_report_other(r, t)));
    for (size_t j = 0; ok && j < r->shown_count; j++)
      ok = cJSON_AddItemToArray(
          row, cJSON_CreateNumber((double)r->confusion[t * r->classes + r->shown[j]]));
  }
  return ok;
}

static bool add_throughput(cJSON *report, const cli_throughput *t) {
  cJSON *o = cJSON_AddObjectToObject(report, "throughput");
  return o && cJSON_AddNumberToObject(o, "seconds", t->seconds) &&
         cJSON_AddNumberToObject(o, "images_per_second",
                                 t->seconds > 0 ? (double)t->images / t->seconds : 0) &&
         cJSON_AddNumberToObject(o, "decode_seconds", t->decode_seconds) &&
         cJSON_AddNumberToObject(o, "compute_seconds", t->compute_seconds) &&
         cJSON_AddNumberToObject(o, "wait_seconds", t->wait_seconds) &&
         cJSON_AddNumberToObject(o, "batch", (double)t->batch) &&
         cJSON_AddNumberToObject(o, "threads", t->threads) &&
         cJSON_AddNumberToObject(o, "readers", t->readers);
}

bool cli_report_print_json(const cli_report *r, const cnnrt_model *m, const cli_throughput *t) {
  cJSON *root = cJSON_CreateObject(),
        *report = root ? cJSON_AddObjectToObject(root, "report") : NULL;
  bool ok = report && cJSON_AddNumberToObject(report, "images", (double)r->images) &&
            cJSON_AddNumberToObject(report, "correct", (double)r->correct) &&
            cJSON_AddNumberToObject(report, "accuracy",
                                    r->images ? (double)r->correct / (double)r->images : 0) &&
            add_classes(report, r, m) && add_throughput(report, t);
  return cli_print_json(root, ok, false, "report");
}
