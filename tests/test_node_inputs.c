/* cnnrt_model_node_input_count / cnnrt_model_node_input: the graph's edges as the file
 * declared them (default: the previous node), multi-input nodes, argument checks. */
#include "tests/test_util.h"

#define BRANCHY_MODEL                                                                              \
  "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [1, 1, 2, 2]},"               \
  " 'nodes': [{'name': 'a', 'op': 'ReLU'},"                                                        \
  "           {'name': 'b', 'op': 'Sigmoid', 'inputs': ['x']},"                                    \
  "           {'name': 'c', 'op': 'Tanh', 'inputs': ['a']}]}"

Test(node_inputs, fashion_chain_reads_the_previous_node) {
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  size_t producer = 0;
  cr_assert_eq(cnnrt_model_node_input_count(m, 0), 1);
  cr_assert_eq(cnnrt_model_node_input(m, 0, 0, &producer), CNNRT_OK);
  cr_assert_eq(producer, CNNRT_GRAPH_INPUT, "node 0 reads the graph input");
  for (size_t i = 1; i < cnnrt_model_node_count(m); i++) {
    cr_assert_eq(cnnrt_model_node_input_count(m, i), 1, "node %zu", i);
    cr_assert_eq(cnnrt_model_node_input(m, i, 0, &producer), CNNRT_OK);
    cr_assert_eq(producer, i - 1, "node %zu reads node %zu, not %zu", i, i - 1, producer);
  }
  cnnrt_model_free(m);
}

Test(node_inputs, explicit_inputs_name_the_producer) {
  cnnrt_model *m = tu_load(BRANCHY_MODEL, NULL, 0);
  size_t want[3] = {CNNRT_GRAPH_INPUT, CNNRT_GRAPH_INPUT, 0}, producer;
  for (size_t i = 0; i < 3; i++) {
    const char *name = cnnrt_model_node_name(m, i);
    size_t expect = want[name[0] - 'a'];
    cr_assert_eq(cnnrt_model_node_input(m, i, 0, &producer), CNNRT_OK);
    if (expect == CNNRT_GRAPH_INPUT)
      cr_assert_eq(producer, CNNRT_GRAPH_INPUT, "%s reads the graph input", name);
    else
      cr_assert_str_eq(cnnrt_model_node_name(m, producer), "a", "%s reads a", name);
  }
  cnnrt_model_free(m);
}

Test(node_inputs, bad_arguments) {
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  size_t producer = 7;
  cr_assert_eq(cnnrt_model_node_input_count(NULL, 0), 0);
  cr_assert_eq(cnnrt_model_node_input_count(m, 999), 0);
  tu_assert_error("NULL model", cnnrt_model_node_input(NULL, 0, 0, &producer), CNNRT_ERR_ARGUMENT,
                  "model", NULL);
  tu_assert_error("NULL producer", cnnrt_model_node_input(m, 0, 0, NULL), CNNRT_ERR_ARGUMENT,
                  "producer", NULL);
  tu_assert_error("node out of range", cnnrt_model_node_input(m, 999, 0, &producer),
                  CNNRT_ERR_ARGUMENT, "out of range", NULL);
  tu_assert_error("input out of range", cnnrt_model_node_input(m, 0, 1, &producer),
                  CNNRT_ERR_ARGUMENT, "out of range", NULL);
  cr_assert_eq(producer, 7, "untouched on failure");
  cnnrt_model_free(m);
}
