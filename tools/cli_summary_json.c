/* --summary --json: the summary (nodes, arena plan, totals) as one JSON document. As in
 * the text summary, shapes and MACs are at the model's declared batch ("declared_batch"),
 * the arena plan at the summary's batch ("batch", --batch). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli_text.h"
#include "cli.h"

static cJSON *dims_array(const size_t *dims, int rank) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < rank; i++)
    if (!cJSON_AddItemToArray(a, cJSON_CreateNumber((double)dims[i]))) {
      cJSON_Delete(a);
      return NULL;
    }
  return a;
}

/* Names of the values node i reads ("input" style: the graph input is named by its role). */
static cJSON *inputs_array(const cnnrt_model *m, size_t i) {
  cJSON *a = cJSON_CreateArray();
  for (size_t k = 0; a && k < cnnrt_model_node_input_count(m, i); k++) {
    size_t p;
    if (cnnrt_model_node_input(m, i, k, &p) != CNNRT_OK) break;
    cJSON *v = p == CNNRT_GRAPH_INPUT ? cJSON_CreateNull()
                                      : cJSON_CreateString(cnnrt_model_node_name(m, p));
    if (!cJSON_AddItemToArray(a, v)) {
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

static bool add_node(cJSON *nodes, const cnnrt_model *m, const cnnrt_session *s, size_t i) {
  size_t dims[8], offset = 0, bytes = 0;
  int rank = 0;
  cnnrt_model_node_shape(m, i, dims, 8, &rank);
  cnnrt_session_node_arena(s, i, &offset, &bytes);
  cJSON *n = cJSON_CreateObject();
  if (!n || !cJSON_AddItemToArray(nodes, n)) return cJSON_Delete(n), false;
  return cJSON_AddNumberToObject(n, "index", (double)i) &&
         cJSON_AddStringToObject(n, "name", cnnrt_model_node_name(m, i)) &&
         cJSON_AddStringToObject(n, "op", cnnrt_model_node_op(m, i)) &&
         cJSON_AddStringToObject(n, "kernel", cnnrt_model_node_kernel(m, i)) &&
         cJSON_AddBoolToObject(n, "fused", cnnrt_model_node_is_fused(m, i)) &&
         cJSON_AddItemToObject(n, "inputs", inputs_array(m, i)) &&
         cJSON_AddItemToObject(n, "shape", dims_array(dims, rank)) &&
         cJSON_AddNumberToObject(n, "params", (double)cnnrt_model_node_param_count(m, i)) &&
         cJSON_AddNumberToObject(n, "macs", (double)cnnrt_model_node_macs(m, i)) &&
         cJSON_AddNumberToObject(n, "arena_offset", (double)offset) &&
         cJSON_AddNumberToObject(n, "arena_bytes", (double)bytes);
}

static bool add_header(cJSON *root, const cnnrt_model *m, const cli_options *o, size_t batch) {
  size_t in_dims[4], out_dims[8];
  int out_rank = 0;
  cnnrt_model_input_shape(m, in_dims);
  cnnrt_model_output_shape(m, out_dims, 8, &out_rank);
  cJSON *labels = cJSON_CreateArray();
  bool ok = labels && cJSON_AddItemToObject(root, "labels", labels);
  for (size_t i = 0; ok && i < cnnrt_model_label_count(m); i++)
    ok = cJSON_AddItemToArray(labels, cJSON_CreateString(cnnrt_model_label(m, i)));
  if (!labels) return false;
  return ok && cJSON_AddStringToObject(root, "model", o->model) &&
         cJSON_AddStringToObject(root, "cnnrt_version", cnnrt_version()) &&
         cJSON_AddNumberToObject(root, "declared_batch", (double)in_dims[0]) &&
         cJSON_AddNumberToObject(root, "batch", (double)batch) &&
         cJSON_AddItemToObject(root, "input_shape", dims_array(in_dims, 4)) &&
         cJSON_AddItemToObject(root, "output_shape", dims_array(out_dims, out_rank)) &&
         cJSON_AddBoolToObject(root, "output_is_probability", cnnrt_model_output_is_probability(m));
}

static bool add_totals(cJSON *root, const cnnrt_model *m, const cnnrt_session *s) {
  double params = 0, macs = 0;
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
    params += (double)cnnrt_model_node_param_count(m, i);
    macs += (double)cnnrt_model_node_macs(m, i);
  }
  cJSON *t = cJSON_AddObjectToObject(root, "total");
  return t && cJSON_AddNumberToObject(t, "params", params) &&
         cJSON_AddNumberToObject(t, "macs", macs) &&
         cJSON_AddNumberToObject(t, "arena_bytes", (double)cnnrt_session_arena_bytes(s)) &&
         cJSON_AddNumberToObject(t, "naive_bytes", (double)cnnrt_session_naive_bytes(s));
}

int cli_summary_json(const cnnrt_model *m, const cli_options *o) {
  size_t batch = o->batch;
  if (!batch) {
    size_t dims[4];
    cnnrt_model_input_shape(m, dims);
    batch = dims[0];
  }
  cnnrt_session *s = NULL;
  if (cnnrt_session_create_batch(m, 1, batch, &s) != CNNRT_OK) return cli_fail();
  cJSON *root = cJSON_CreateObject();
  cJSON *nodes = root ? cJSON_AddArrayToObject(root, "nodes") : NULL;
  bool ok = nodes && add_header(root, m, o, batch);
  for (size_t i = 0; ok && i < cnnrt_model_node_count(m); i++) ok = add_node(nodes, m, s, i);
  ok = ok && add_totals(root, m, s);
  cnnrt_session_free(s);
  return cli_print_json(root, ok, true, "summary") ? 0 : 1;
}
