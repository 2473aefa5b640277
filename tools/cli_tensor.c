/* --input-f32 / --output-f32 / --dump-tensors / --bench: raw tensors through a session. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "cli_files.h"
#include "cli_text.h"

typedef struct {
  const cnnrt_model *model;
  const char *dir;
  bool failed;
} dump_state;

/* Observer: writes node i's output as DIR/NNN_NAME.f32 ('/' in names becomes '_'). */
static void dump_node(void *user, size_t node, const float *data, size_t count) {
  dump_state *d = user;
  char name[256], path[4096];
  snprintf(name, sizeof name, "%s", cnnrt_model_node_name(d->model, node));
  for (char *c = name; *c; c++)
    if (*c == '/' || *c == '\\') *c = '_';
  snprintf(path, sizeof path, "%s/%03zu_%s.f32", d->dir, node, name);
  if (!cli_write_f32(path, data, count)) d->failed = true;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

static int bench(cnnrt_session *s, const float *in, size_t n_in, float *out, size_t n_out,
                 const cli_options *o, double session_ms) {
  double *times = malloc((size_t)o->bench_runs * sizeof *times);
  if (!times) return 1;
  for (int i = 0; i < 3; i++) cnnrt_run(s, in, n_in, out, n_out); /* warm-up */
  for (int i = 0; i < o->bench_runs; i++) {
    double t0 = cli_seconds();
    cnnrt_run(s, in, n_in, out, n_out);
    times[i] = 1e3 * (cli_seconds() - t0);
  }
  qsort(times, (size_t)o->bench_runs, sizeof *times, compare_doubles);
  double median = o->bench_runs % 2 ? times[o->bench_runs / 2]
                                    : (times[o->bench_runs / 2 - 1] + times[o->bench_runs / 2]) / 2;
  printf("median %.3f ms, min %.3f ms, max %.3f ms (%d runs, batch %zu, %d threads, arena "
         "%zu bytes)\n",
         median, times[0], times[o->bench_runs - 1], o->bench_runs, cnnrt_session_batch(s),
         o->threads, cnnrt_session_arena_bytes(s));
  printf("model loaded in %.2f ms, session created in %.2f ms\n", o->load_ms, session_ms);
  free(times);
  return 0;
}

static int run_session(cnnrt_session *s, const cnnrt_model *m, const cli_options *o,
                       double session_ms) {
  size_t n_in = cnnrt_session_input_count(s), n_out = cnnrt_session_output_count(s);
  float *in = calloc(n_in, sizeof *in), *out = calloc(n_out, sizeof *out);
  int status = 0;
  if (!in || !out) {
    fprintf(stderr, "cnnrt: out of memory for the input and output tensors\n");
    status = 1;
  } else if (o->input_f32 && !cli_read_f32(o->input_f32, in, n_in))
    status = 1;
  if (status == 0 && o->dump_tensors && mkdir(o->dump_tensors, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "cnnrt: %s: cannot create directory: %s\n", o->dump_tensors, strerror(errno));
    status = 1;
  }
  if (status == 0 && o->input_f32) {
    dump_state d = {m, o->dump_tensors, false};
    if (cnnrt_run_observed(s, in, n_in, out, n_out, o->dump_tensors ? dump_node : NULL, &d))
      status = cli_fail();
    else if (d.failed || (o->output_f32 && !cli_write_f32(o->output_f32, out, n_out)))
      status = 1;
  }
  if (status == 0 && o->bench_runs) status = bench(s, in, n_in, out, n_out, o, session_ms);
  if (status == 0 && o->profile) status = cli_profile(s, m, in, n_in, out, n_out, o);
  free(in);
  free(out);
  return status;
}

int cli_tensor(const cnnrt_model *m, const cli_options *o) {
  cnnrt_session *s = NULL;
  double t0 = cli_seconds();
  cnnrt_status st = o->batch ? cnnrt_session_create_batch(m, o->threads, o->batch, &s)
                             : cnnrt_session_create(m, o->threads, &s);
  if (st != CNNRT_OK) return cli_fail();
  int status = run_session(s, m, o, 1e3 * (cli_seconds() - t0));
  cnnrt_session_free(s);
  return status;
}
