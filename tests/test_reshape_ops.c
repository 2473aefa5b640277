/* Reshape, Unflatten, Identity and the Dropouts: PyTorch goldens
 * (tests/golden/pooling_golden.h), at other session batches, as views, and rejections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/golden/pooling_golden.h"
#include "tests/test_util.h"

ParameterizedTestParameters(reshape_ops, golden) {
  TU_ROW_PARAMS(golden_reshape);
}

ParameterizedTest(size_t *row, reshape_ops, golden) {
  tu_check_golden(&golden_reshape[*row], 1);
  tu_check_golden(&golden_reshape[*row], 2);
}

ParameterizedTestParameters(reshape_ops, golden_other_batch) {
  TU_ROW_PARAMS(golden_reshape_batch);
}

/* Reshape is evaluated at the session's batch: [-1, 3, 5, 5] of [5, 6, 5, 5] is
 * [10, 3, 5, 5] although the model declares batch 2. */
ParameterizedTest(size_t *row, reshape_ops, golden_other_batch) {
  const golden_batch_case *b = &golden_reshape_batch[*row];
  const golden_case *c = &b->c;
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_model_load_memory(c->json, strlen(c->json), NULL, 0, &m), CNNRT_OK, "%s: %s",
               c->name, cnnrt_last_error());
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create_batch(m, 1, b->batch, &s), CNNRT_OK, "%s: %s", c->name,
               cnnrt_last_error());
  cr_assert_eq(cnnrt_session_input_count(s), c->input_count, "%s: input count", c->name);
  cnnrt_session_free(s);
  size_t n = 0;
  float *out = tu_run(m, 2, b->batch, c->input, &n);
  cr_assert_eq(n, c->expected_count, "%s: %zu outputs, PyTorch %zu", c->name, n, c->expected_count);
  tu_assert_close(c->name, out, c->expected, n);
  free(out);
  cnnrt_model_free(m);
}

/* A hard-coded batch in shape works at the declared batch only, and says so elsewhere. */
Test(reshape_ops, hard_coded_batch_fails_at_other_batch) {
  cnnrt_model *m = tu_load("{'format': 'cnnrt', 'version': 1,"
                           " 'input': {'name': 'x', 'shape': [2, 6, 5, 5]},"
                           " 'nodes': [{'name': 'r', 'op': 'Reshape',"
                           "            'params': {'shape': [2, 150]}}]}",
                           NULL, 0);
  cnnrt_session *s = NULL;
  tu_assert_error("batch 3", cnnrt_session_create_batch(m, 1, 3, &s), CNNRT_ERR_SHAPE,
                  "shape [2, 150]", "[3, 6, 5, 5]");
  cr_assert_null(s);
  cnnrt_model_free(m);
}

/* Every op here is a view: it shares its input's buffer and costs no memory. */
Test(reshape_ops, views_share_the_buffer) {
  cnnrt_model *m = tu_load(
      "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [2, 4, 6, 6]},"
      " 'nodes': [{'name': 'id', 'op': 'Identity'},"
      "           {'name': 'pool', 'op': 'AvgPool2d', 'params': {'kernel_size': 2}},"
      "           {'name': 'd', 'op': 'Dropout', 'params': {'p': 0.2}},"
      "           {'name': 'd2', 'op': 'Dropout2d'},"
      "           {'name': 'ad', 'op': 'AlphaDropout', 'params': {'p': 0.5, 'inplace': true}},"
      "           {'name': 'r', 'op': 'Reshape', 'params': {'shape': [-1, 2, 9]}},"
      "           {'name': 'u', 'op': 'Unflatten', 'params': {'dim': 2, "
      "            'unflattened_size': [3, -1]}}]}",
      NULL, 0);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK, "%s", cnnrt_last_error());
  size_t offset, bytes, pool_offset, pool_bytes;
  cr_assert_eq(cnnrt_session_node_arena(s, 0, &offset, &bytes), CNNRT_OK);
  cr_assert_eq(bytes, 0, "Identity of the graph input should be the input itself");
  cr_assert_eq(cnnrt_session_node_arena(s, 1, &pool_offset, &pool_bytes), CNNRT_OK);
  cr_assert_eq(pool_bytes, 2 * 4 * 3 * 3 * sizeof(float));
  for (size_t node = 2; node < 7; node++) {
    cr_assert_eq(cnnrt_session_node_arena(s, node, &offset, &bytes), CNNRT_OK);
    cr_assert(offset == pool_offset && bytes == pool_bytes, "node %zu (%s) is not a view", node,
              cnnrt_model_node_op(m, node));
  }
  cr_assert_eq(cnnrt_session_naive_bytes(s), pool_bytes, "views should cost nothing");
  size_t dims[6];
  int rank = 0;
  cr_assert_eq(cnnrt_model_output_shape(m, dims, 6, &rank), CNNRT_OK);
  cr_assert(rank == 4 && dims[0] == 4 && dims[1] == 2 && dims[2] == 3 && dims[3] == 3,
            "output shape [%zu, %zu, %zu, %zu] (rank %d)", dims[0], dims[1], dims[2], dims[3],
            rank);
  float *in = tu_random_floats(2 * 4 * 36, 3);
  float *out = tu_run(m, 1, 2, in, NULL);
  for (size_t i = 0; i < 72; i++) {
    size_t plane = i / 9, y = i % 9 / 3, x = i % 3; /* the pool's output in NCHW order */
    const float *p = in + plane * 36 + 2 * y * 6 + 2 * x;
    float want = (p[0] + p[1] + p[6] + p[7]) / 4.0f;
    cr_assert_float_eq(out[i], want, 1e-6, "out[%zu] = %g, want %g", i, out[i], want);
  }
  free(out);
  free(in);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

typedef struct {
  const char *op, *params;
  cnnrt_status status;
  const char *text1, *text2; /* substrings of the message (NULL: none) */
} rejection;

/* All over an input of [2, 6, 5, 5] (300 elements). */
static const rejection rejections[] = {
    {"Reshape", "{'shape': [-1, 7]}", CNNRT_ERR_SHAPE, "shape [-1, 7]", "300 elements"},
    {"Reshape", "{'shape': [2, 3, 5, 5]}", CNNRT_ERR_SHAPE, "shape [2, 3, 5, 5]", "[2, 6, 5, 5]"},
    {"Reshape", "{'shape': [-1, 150, -1]}", CNNRT_ERR_FORMAT, "shape has -1 at [0] and [2]",
     "only one"},
    {"Reshape", "{'shape': [-1, 0]}", CNNRT_ERR_UNSUPPORTED, "shape[1] = 0", NULL},
    {"Reshape", "{'shape': [-2, 150]}", CNNRT_ERR_FORMAT, "shape[0]", "-2"},
    {"Reshape", "{'shape': [-1, null]}", CNNRT_ERR_FORMAT, "shape[1]", "null"},
    {"Reshape", "{'shape': [1, 1, 1, 1, 1, 1, -1]}", CNNRT_ERR_FORMAT, "shape", "1 to 6"},
    {"Reshape", "{'shape': []}", CNNRT_ERR_FORMAT, "shape", NULL},
    {"Reshape", "{}", CNNRT_ERR_FORMAT, "missing", "shape"},
    {"Reshape", "{'shape': [-1, 150], 'dim': 1}", CNNRT_ERR_FORMAT, "unknown parameter 'dim'",
     NULL},
    {"Unflatten", "{'dim': 1, 'unflattened_size': [4, -1]}", CNNRT_ERR_SHAPE,
     "unflattened_size [4, -1]", "dim 1 (6)"},
    {"Unflatten", "{'dim': 1, 'unflattened_size': [2, 2]}", CNNRT_ERR_SHAPE,
     "unflattened_size [2, 2]", "dim 1 (6)"},
    {"Unflatten", "{'dim': 1, 'unflattened_size': [-1, -1]}", CNNRT_ERR_FORMAT, "unflattened_size",
     "only one"},
    {"Unflatten", "{'dim': 1, 'unflattened_size': [0, -1]}", CNNRT_ERR_UNSUPPORTED,
     "unflattened_size[0]", NULL},
    {"Unflatten", "{'dim': 4, 'unflattened_size': [5, 1]}", CNNRT_ERR_SHAPE, "dim=4", NULL},
    {"Unflatten", "{'dim': -5, 'unflattened_size': [5, 1]}", CNNRT_ERR_SHAPE, "dim=-5", NULL},
    {"Unflatten", "{'unflattened_size': [2, 3]}", CNNRT_ERR_FORMAT, "missing", "dim"},
    {"Unflatten", "{'dim': 1}", CNNRT_ERR_FORMAT, "missing", "unflattened_size"},
    {"Unflatten", "{'dim': 1, 'unflattened_size': [1, 1, 2, 3]}", CNNRT_ERR_UNSUPPORTED, "7-D",
     NULL},
    {"Identity", "{'in_features': 3}", CNNRT_ERR_FORMAT, "unknown parameter 'in_features'", NULL},
    {"Dropout", "{'p': 1.5}", CNNRT_ERR_FORMAT, "p must be between 0 and 1", "1.5"},
    {"Dropout", "{'p': -0.1}", CNNRT_ERR_FORMAT, "p must be between 0 and 1", NULL},
    {"Dropout", "{'p': '0.5'}", CNNRT_ERR_FORMAT, "p must be a number", NULL},
    {"Dropout", "{'inplace': 1}", CNNRT_ERR_FORMAT, "inplace", NULL},
    {"Dropout2d", "{'p': 2}", CNNRT_ERR_FORMAT, "p must be between 0 and 1", NULL},
    {"AlphaDropout", "{'training': false}", CNNRT_ERR_FORMAT, "unknown parameter 'training'", NULL},
};

ParameterizedTestParameters(reshape_ops, rejects) {
  TU_ROW_PARAMS(rejections);
}

ParameterizedTest(size_t *row, reshape_ops, rejects) {
  const rejection *r = &rejections[*row];
  char json[512], what[256];
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [2, 6, 5, 5]},"
           " 'nodes': [{'name': 'view', 'op': '%s', 'params': %s}]}",
           r->op, r->params);
  snprintf(what, sizeof what, "%s %s", r->op, r->params);
  cnnrt_model *m = NULL;
  cnnrt_status st = tu_try_load(json, NULL, 0, &m);
  tu_assert_error(what, st, r->status, r->text1, r->text2);
  tu_assert_error(what, st, r->status, "node 0 'view'", r->op);
  cr_assert_null(m);
}
