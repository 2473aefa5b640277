#include "runtime/graph.h"

#include <stdlib.h>
#include <stdio.h>
#include "runtime/big_alloc.h"
#include "runtime/checked.h"
#include "runtime/limits.h"

err_ctx graph_node_ctx(const cnnrt_model *m, size_t i) {
  const graph_node *n = &m->nodes[i];
  err_ctx e = {m->source, (long)n->json_index, n->name, n->op->name};
  return e;
}

cnnrt_status graph_infer(const cnnrt_model *m, size_t batch, shape *values, size_t *scratch) {
  values[GRAPH_INPUT_VALUE] = m->input_shape;
  values[GRAPH_INPUT_VALUE].dim[0] = batch;
  char what[64];
  err_ctx file = err_ctx_file(m->source);
  snprintf(what, sizeof what, "the input at batch %zu", batch);
  cnnrt_status input_st = limit_check_tensor(&values[GRAPH_INPUT_VALUE], &file, what);
  if (input_st != CNNRT_OK) return input_st;
  snprintf(what, sizeof what, "output at batch %zu", batch);
  for (size_t i = 0; i < m->node_count; i++) {
    const graph_node *n = &m->nodes[i];
    err_ctx e = graph_node_ctx(m, i);
    shape in[CNNRT_MAX_INPUTS];
    size_t scratch_bytes = 0, bytes;
    for (int k = 0; k < n->n_inputs; k++) in[k] = values[n->inputs[k]];
    cnnrt_status st = n->op->infer(n->params, in, n->n_inputs, &values[i + 1], &scratch_bytes, &e);
    if (st != CNNRT_OK) return st;
    if (!shape_count(&values[i + 1], &bytes) || !mul_size(bytes, sizeof(float), &bytes))
      return err_set(&e, CNNRT_ERR_MEMORY, "output size overflows");
    if ((st = limit_check_tensor(&values[i + 1], &e, what))) return st;
    if (scratch) scratch[i] = scratch_bytes;
  }
  return CNNRT_OK;
}

void graph_free(cnnrt_model *m) {
  if (!m) return;
  for (size_t i = 0; i < m->node_count; i++) {
    free(m->nodes[i].name);
    free(m->nodes[i].params);
  }
  free(m->nodes);
  for (size_t i = 0; i < m->label_count; i++) free(m->labels[i]);
  free(m->labels);
  for (size_t i = 0; i < m->owned_count; i++) free(m->owned[i]);
  free(m->owned);
  free(m->value_shapes);
  if (m->blob_mapped_bytes)
    big_unmap(m->blob, m->blob_mapped_bytes);
  else
    free((void *)m->blob);
  free(m->input_name);
  free(m->source);
  free(m);
}

float *graph_alloc_floats(cnnrt_model *m, size_t count) {
  float **grown = realloc(m->owned, (m->owned_count + 1) * sizeof *grown);
  if (!grown) return NULL;
  m->owned = grown;
  size_t bytes;
  if (!mul_size(count, sizeof(float), &bytes) || !align_size(bytes ? bytes : 1, 64, &bytes))
    return NULL;
  float *data = big_alloc(bytes);
  if (data) m->owned[m->owned_count++] = data;
  return data;
}

void cnnrt_model_free(cnnrt_model *m) {
  graph_free(m);
}
