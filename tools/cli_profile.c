/* --profile: where a run's time goes, node by node. The observer is called after each
 * node, so the time between two calls is the node's time (fused nodes show ~0: their
 * work is done by the node they were fused into). The minimum is shown beside the median:
 * on a busy machine it is the steadier of the two. */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "cli_text.h"

typedef struct {
  double *stamps; /* runs x nodes: finish time of each node, ms since the run started */
  size_t nodes, run;
  double start;
} profile_state;

static void stamp_node(void *user, size_t node, const float *data, size_t count) {
  profile_state *p = user;
  (void)data, (void)count;
  p->stamps[p->run * p->nodes + node] = 1e3 * cli_seconds() - p->start;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_table(const cnnrt_model *m, const profile_state *p, size_t runs, double *tmp) {
  double *node_ms = tmp + runs, *node_min = node_ms + p->nodes, total = 0;
  for (size_t i = 0; i < p->nodes; i++) {
    for (size_t r = 0; r < runs; r++) {
      double before = i ? p->stamps[r * p->nodes + i - 1] : 0;
      tmp[r] = p->stamps[r * p->nodes + i] - before;
    }
    node_ms[i] = median(tmp, runs); /* sorts tmp */
    node_min[i] = tmp[0];
    total += node_ms[i];
  }
  printf("%4s  %-28s %-22s %-20s %10s %9s %6s\n", "node", "name", "op", "output", "median ms",
         "min ms", "share");
  for (size_t i = 0; i < p->nodes; i++) {
    size_t dims[8];
    int rank = 0;
    char shape[96] = "";
    if (cnnrt_model_node_shape(m, i, dims, 8, &rank) == CNNRT_OK)
      cli_format_dims(dims, rank, shape, sizeof shape);
    char op[64];
    cli_op_text(m, i, op, sizeof op);
    printf("%4zu  %-28.28s %-22.22s %-20s %10.4f %9.4f %5.1f%%\n", i, cnnrt_model_node_name(m, i),
           op, shape, node_ms[i], node_min[i], total > 0 ? 100 * node_ms[i] / total : 0);
  }
  printf("sum of node medians %.3f ms\n", total);
}

int cli_profile(cnnrt_session *s, const cnnrt_model *m, const float *in, size_t n_in, float *out,
                size_t n_out, const cli_options *o) {
  size_t runs = (size_t)o->bench_runs;
  profile_state p = {NULL, cnnrt_model_node_count(m), 0, 0};
  p.stamps = calloc(runs * p.nodes, sizeof *p.stamps);
  double *tmp = calloc(runs + 2 * p.nodes, sizeof *tmp);
  int status = 0;
  if (!p.stamps || !tmp) {
    fprintf(stderr, "cnnrt: out of memory for the profile\n");
    status = 1;
  }
  for (; status == 0 && p.run < runs; p.run++) {
    p.start = 1e3 * cli_seconds();
    if (cnnrt_run_observed(s, in, n_in, out, n_out, stamp_node, &p) != CNNRT_OK)
      status = cli_fail();
  }
  if (status == 0) print_table(m, &p, runs, tmp);
  free(p.stamps);
  free(tmp);
  return status;
}
