/* Graph edges of a loaded model: which values each node reads. */
#include "runtime/error.h"
#include "runtime/graph.h"

size_t cnnrt_model_node_input_count(const cnnrt_model *m, size_t node) {
  return m && node < m->node_count ? (size_t)m->nodes[node].n_inputs : 0;
}

cnnrt_status cnnrt_model_node_input(const cnnrt_model *m, size_t node, size_t i, size_t *producer) {
  if (!m || !producer)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_model_node_input: %s is NULL",
                   m ? "producer" : "model");
  if (node >= m->node_count || i >= (size_t)m->nodes[node].n_inputs)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "cnnrt_model_node_input: node %zu input %zu out of range (%zu nodes)", node, i,
                   m->node_count);
  size_t value = m->nodes[node].inputs[i];
  *producer = value == GRAPH_INPUT_VALUE ? CNNRT_GRAPH_INPUT : value - 1;
  return CNNRT_OK;
}
