/* --summary: one row per node (op, shape, params, MACs, arena placement) and totals. */
#include <inttypes.h>
#include <stdio.h>
#include "cli.h"
#include "cli_text.h"

static void print_row(const cnnrt_model *m, const cnnrt_session *s, size_t i) {
  size_t dims[8], offset = 0, bytes = 0;
  int rank = 0;
  char shape_text[96], op_text[64];
  cnnrt_model_node_shape(m, i, dims, 8, &rank);
  cli_format_dims(dims, rank, shape_text, sizeof shape_text);
  cnnrt_session_node_arena(s, i, &offset, &bytes);
  cli_op_text(m, i, op_text, sizeof op_text);
  printf("%3zu  %-24s %-22s %-20s %10zu %14" PRIu64 " %12zu %12zu\n", i,
         cnnrt_model_node_name(m, i), op_text, shape_text, cnnrt_model_node_param_count(m, i),
         cnnrt_model_node_macs(m, i), offset, bytes);
}

int cli_summary(const cnnrt_model *m, const cli_options *o) {
  cnnrt_session *s = NULL;
  size_t batch = o->batch;
  if (!batch) {
    size_t dims[4];
    cnnrt_model_input_shape(m, dims);
    batch = dims[0];
  }
  if (cnnrt_session_create_batch(m, 1, batch, &s) != CNNRT_OK) return cli_fail();
  size_t in_dims[4], out_dims[8], params = 0;
  uint64_t macs = 0;
  int out_rank;
  char in_text[96], out_text[96];
  cnnrt_model_input_shape(m, in_dims);
  in_dims[0] = batch;
  cnnrt_model_output_shape(m, out_dims, 8, &out_rank);
  cli_format_dims(in_dims, 4, in_text, sizeof in_text);
  cli_format_dims(out_dims, out_rank, out_text, sizeof out_text);
  printf("model %s: input %s, output %s (declared batch), %zu nodes, summary at batch %zu\n",
         o->model, in_text, out_text, cnnrt_model_node_count(m), batch);
  printf("%3s  %-24s %-22s %-20s %10s %14s %12s %12s\n", "#", "name", "op", "output shape",
         "params", "MACs", "arena offset", "bytes");
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
    print_row(m, s, i);
    params += cnnrt_model_node_param_count(m, i);
    macs += cnnrt_model_node_macs(m, i);
  }
  size_t arena = cnnrt_session_arena_bytes(s), naive = cnnrt_session_naive_bytes(s);
  printf("total: %zu parameters (%.2f MB), %" PRIu64 " MACs at the declared batch\n", params,
         (double)params * 4 / 1e6, macs);
  printf("arena: %zu bytes, against %zu bytes if every intermediate tensor and scratch buffer "
         "had its own allocation (%.1f%% of it)\n",
         arena, naive, naive ? 100.0 * (double)arena / (double)naive : 0.0);
  cnnrt_session_free(s);
  return 0;
}
