/* Read-only accessors of a loaded model. */
#include <string.h>
#include "runtime/graph.h"

size_t cnnrt_model_input_count(const cnnrt_model *m) {
  return m ? shape_numel(&m->input_shape) : 0;
}

size_t cnnrt_model_output_count(const cnnrt_model *m) {
  return m ? shape_numel(&m->value_shapes[m->output_value]) : 0;
}

/* Copies a shape out through the public (dims, max_dims, rank) convention. */
static cnnrt_status export_shape(const shape *s, size_t *dims, int max_dims, int *rank,
                                 const char *fn) {
  if (!dims || !rank) return err_set(NULL, CNNRT_ERR_ARGUMENT, "%s: NULL argument", fn);
  if (max_dims < s->rank)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "%s: the shape has %d dims, max_dims is %d", fn,
                   s->rank, max_dims);
  for (int i = 0; i < s->rank; i++) dims[i] = s->dim[i];
  *rank = s->rank;
  return CNNRT_OK;
}

cnnrt_status cnnrt_model_input_shape(const cnnrt_model *m, size_t dims[4]) {
  int rank;
  if (!m) return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_model_input_shape: model is NULL");
  return export_shape(&m->input_shape, dims, 4, &rank, "cnnrt_model_input_shape");
}

cnnrt_status cnnrt_model_output_shape(const cnnrt_model *m, size_t *dims, int max_dims, int *rank) {
  if (!m) return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_model_output_shape: model is NULL");
  return export_shape(&m->value_shapes[m->output_value], dims, max_dims, rank,
                      "cnnrt_model_output_shape");
}

size_t cnnrt_model_label_count(const cnnrt_model *m) {
  return m ? m->label_count : 0;
}

const char *cnnrt_model_label(const cnnrt_model *m, size_t i) {
  return m && i < m->label_count ? m->labels[i] : NULL;
}

int cnnrt_model_output_is_probability(const cnnrt_model *m) {
  if (!m || m->output_value == GRAPH_INPUT_VALUE) return 0;
  const char *op = m->nodes[m->output_value - 1].op->name;
  return strcmp(op, "Softmax") == 0 || strcmp(op, "Softmin") == 0;
}

size_t cnnrt_model_node_count(const cnnrt_model *m) {
  return m ? m->node_count : 0;
}

const char *cnnrt_model_node_name(const cnnrt_model *m, size_t node) {
  return m && node < m->node_count ? m->nodes[node].name : NULL;
}

const char *cnnrt_model_node_op(const cnnrt_model *m, size_t node) {
  return m && node < m->node_count ? m->nodes[node].op->name : NULL;
}

const char *cnnrt_model_node_kernel(const cnnrt_model *m, size_t node) {
  if (!m || node >= m->node_count) return NULL;
  const graph_node *n = &m->nodes[node];
  return n->fused || !n->op->kernel ? "" : n->op->kernel(n->params);
}

cnnrt_status cnnrt_model_node_shape(const cnnrt_model *m, size_t node, size_t *dims, int max_dims,
                                    int *rank) {
  if (!m || node >= cnnrt_model_node_count(m))
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_model_node_shape: %s",
                   m ? "node index out of range" : "model is NULL");
  return export_shape(&m->value_shapes[node + 1], dims, max_dims, rank, "cnnrt_model_node_shape");
}

int cnnrt_model_node_is_fused(const cnnrt_model *m, size_t node) {
  return m && node < m->node_count && m->nodes[node].fused;
}

size_t cnnrt_model_node_param_count(const cnnrt_model *m, size_t node) {
  return m && node < m->node_count ? m->nodes[node].param_count : 0;
}

uint64_t cnnrt_model_node_macs(const cnnrt_model *m, size_t node) {
  if (!m || node >= m->node_count || !m->nodes[node].op->macs) return 0;
  const graph_node *n = &m->nodes[node];
  shape in[CNNRT_MAX_INPUTS];
  for (int k = 0; k < n->n_inputs; k++) in[k] = m->value_shapes[n->inputs[k]];
  return n->op->macs(n->params, in, n->n_inputs, &m->value_shapes[node + 1]);
}
