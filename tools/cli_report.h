/* --labels-from-dirs: accuracy, per-class accuracy and the confusion matrix. */
#ifndef CNNRT_TOOLS_CLI_REPORT_H
#define CNNRT_TOOLS_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "cnnrt.h"

typedef struct {
  size_t classes;    /* the model's output features */
  size_t *confusion; /* classes x classes: [true][predicted] counts */
  size_t images, correct;
  size_t *shown; /* the classes some image truly belongs to, ascending */
  size_t shown_count;
} cli_report;

/* Throughput of the run, reported with the accuracy. */
typedef struct {
  size_t images;
  double seconds, decode_seconds, compute_seconds, wait_seconds;
  size_t batch;
  int threads, readers;
} cli_throughput;

bool cli_report_init(cli_report *r, size_t classes);
void cli_report_free(cli_report *r);
void cli_report_add(cli_report *r, size_t truth, size_t predicted);

/* Fills r->shown; call once after the last cli_report_add. */
bool cli_report_finish(cli_report *r);

/* Predictions of true class t that fell outside the shown classes. */
size_t cli_report_other(const cli_report *r, size_t t);

/* The report as text on stdout, or as one JSON line {"report": {...}}. */
void cli_report_print(const cli_report *r, const cnnrt_model *m);
bool cli_report_print_json(const cli_report *r, const cnnrt_model *m, const cli_throughput *t);

/* The confusion matrix as a PNG heat map (rows: true class, columns: predicted class,
 * each row coloured by its share). Prints the error on failure. */
bool cli_report_plot(const cli_report *r, const cnnrt_model *m, const char *path);

#endif
