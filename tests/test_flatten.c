/* Flatten: output shapes against PyTorch (tests/golden/golden_flatten.h) and the view
 * (no copy, no buffer of its own). */
#include <stdlib.h>
#include "tests/golden/golden_flatten.h"
#include "tests/test_util.h"

ParameterizedTestParameters(flatten, golden) {
  TU_ROW_PARAMS(golden_flatten);
}

ParameterizedTest(size_t *row, flatten, golden) {
  tu_check_golden(&golden_flatten[*row], 1);
}

/* A view of the graph input has no arena bytes; a view of a node reports that node's
 * buffer. */
Test(flatten, is_a_view) {
  cnnrt_model *m =
      tu_load("{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': "
              "[2, 3, 2, 2]},"
              " 'nodes': [{'name': 'f0', 'op': 'Flatten'},"
              "           {'name': 'r', 'op': 'ReLU'},"
              "           {'name': 'f1', 'op': 'Flatten', 'params': {'start_dim': 0}}]}",
              NULL, 0);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK);
  size_t off[3], bytes[3];
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(cnnrt_session_node_arena(s, i, &off[i], &bytes[i]), CNNRT_OK);
  cr_assert_eq(bytes[0], 0, "Flatten of the graph input owns %zu bytes", bytes[0]);
  cr_assert_eq(bytes[1], 24 * sizeof(float));
  cr_assert(off[2] == off[1] && bytes[2] == bytes[1], "Flatten of ReLU: %zu+%zu vs %zu+%zu", off[2],
            bytes[2], off[1], bytes[1]);
  cr_assert_eq(cnnrt_session_naive_bytes(s), 24 * sizeof(float), "views allocate nothing");
  float *in = tu_random_floats(24, 3), out[24];
  cr_assert_eq(cnnrt_run(s, in, 24, out, 24), CNNRT_OK);
  for (int i = 0; i < 24; i++) cr_assert_eq(out[i], in[i] < 0 ? 0.0f : in[i]);
  size_t dims[6];
  int rank = 0;
  cr_assert_eq(cnnrt_model_output_shape(m, dims, 6, &rank), CNNRT_OK);
  cr_assert(rank == 1 && dims[0] == 24, "rank %d dims[0] %zu", rank, dims[0]);
  free(in);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

/* A model that is only a view copies the input to the output. */
Test(flatten, view_of_the_input_as_output) {
  cnnrt_model *m = tu_load("{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': "
                           "[1, 2, 2, 2]}, 'nodes': [{'name': 'f', 'op': 'Flatten'}]}",
                           NULL, 0);
  float *in = tu_random_floats(8, 5);
  float *out = tu_run(m, 3, 1, in, NULL);
  cr_assert_arr_eq(out, in, 8 * sizeof(float));
  free(out);
  free(in);
  cnnrt_model_free(m);
}
