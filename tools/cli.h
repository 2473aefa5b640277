/* The cnnrt command: options and the handlers of its modes. */
#ifndef CNNRT_TOOLS_CLI_H
#define CNNRT_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include "cnnrt.h"

typedef struct {
  const char *model;
  const char **images; /* image files and folders, as given */
  int image_count;
  int top;
  int threads;
  int readers;  /* image decoding threads of a classification run */
  size_t batch; /* 0 = default */
  bool json;
  bool summary;
  bool quiet;            /* no per-image results */
  bool labels_from_dirs; /* sub-folder names are the true labels */
  const char *plot;      /* confusion matrix heat map (PNG) */
  const char *dump_features;
  const char *input_f32;
  const char *output_f32;
  const char *dump_tensors;
  int bench_runs;          /* 0 = no benchmark */
  bool profile;            /* per-node times of the benchmark runs */
  double load_ms;          /* wall time of cnnrt_model_load (printed by --bench) */
  const char **owned_args; /* what cli_parse allocated */
} cli_options;

/* Parses argv; on error prints a message and the usage to stderr and returns false.
 * *exit_now is set (with *status) for --help and --version. */
bool cli_parse(int argc, char **argv, cli_options *o, bool *exit_now, int *status);

/* Frees what cli_parse allocated. */
void cli_options_free(cli_options *o);

/* Mode handlers; each returns the process exit status and reports its own errors. */
int cli_summary(const cnnrt_model *m, const cli_options *o);
int cli_summary_json(const cnnrt_model *m, const cli_options *o);
int cli_classify(const cnnrt_model *m, const cli_options *o);
int cli_dump_features(const cnnrt_model *m, const cli_options *o);
int cli_tensor(const cnnrt_model *m, const cli_options *o);
/* --profile: runs the session o->bench_runs times and prints each node's median time. */
int cli_profile(cnnrt_session *s, const cnnrt_model *m, const float *in, size_t n_in, float *out,
                size_t n_out, const cli_options *o);

/* Prints "cnnrt: MESSAGE" for the last failed library call to stderr; returns 1. */
int cli_fail(void);

#endif
