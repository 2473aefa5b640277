/* The limits of cnnrt_set_limit: the API itself, and each limit enforced where it applies
 * (load, session creation, decode), with CNNRT_ERR_LIMIT and a message naming the limit.
 * Criterion runs each test in its own process, so limits set here do not leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/test_util.h"

Test(limits, api) {
  static const char *const names[CNNRT_LIMIT_COUNT] = {
      "CNNRT_LIMIT_TENSOR_BYTES",  "CNNRT_LIMIT_ARENA_BYTES", "CNNRT_LIMIT_IMAGE_PIXELS",
      "CNNRT_LIMIT_NODES",         "CNNRT_LIMIT_GRAPH_DEPTH", "CNNRT_LIMIT_MODEL_BYTES",
      "CNNRT_LIMIT_WEIGHTS_BYTES", "CNNRT_LIMIT_IMAGE_BYTES"};
  static const uint64_t defaults[CNNRT_LIMIT_COUNT] = {
      (uint64_t)1 << 30,  (uint64_t)4 << 30, (uint64_t)1 << 27,  10000, 4096,
      (uint64_t)16 << 20, (uint64_t)4 << 30, (uint64_t)256 << 20};
  for (int i = 0; i < CNNRT_LIMIT_COUNT; i++) {
    cnnrt_limit l = (cnnrt_limit)i;
    cr_assert_str_eq(cnnrt_limit_name(l), names[i]);
    cr_assert_eq(cnnrt_limit_default(l), defaults[i], "%s default", names[i]);
    cr_assert_eq(cnnrt_get_limit(l), defaults[i], "%s starts at its default", names[i]);
    cr_assert_geq(cnnrt_limit_max(l), defaults[i]);
    cr_assert_eq(cnnrt_set_limit(l, 12345), CNNRT_OK);
    cr_assert_eq(cnnrt_get_limit(l), 12345);
    cr_assert_eq(cnnrt_set_limit(l, cnnrt_limit_max(l)), CNNRT_OK);
    tu_assert_error(names[i], cnnrt_set_limit(l, cnnrt_limit_max(l) + 1), CNNRT_ERR_ARGUMENT,
                    names[i], "must be from 1 to");
    cr_assert_eq(cnnrt_get_limit(l), cnnrt_limit_max(l), "a refused value changed %s", names[i]);
    cr_assert_eq(cnnrt_set_limit(l, 0), CNNRT_OK);
    cr_assert_eq(cnnrt_get_limit(l), defaults[i], "0 restores %s's default", names[i]);
  }
  tu_assert_error("unknown", cnnrt_set_limit((cnnrt_limit)CNNRT_LIMIT_COUNT, 1), CNNRT_ERR_ARGUMENT,
                  "unknown limit 8", NULL);
  tu_assert_error("negative", cnnrt_set_limit((cnnrt_limit)-1, 1), CNNRT_ERR_ARGUMENT,
                  "unknown limit -1", NULL);
  cr_assert_eq(cnnrt_get_limit((cnnrt_limit)42), 0);
  cr_assert_eq(cnnrt_limit_default((cnnrt_limit)42), 0);
  cr_assert_eq(cnnrt_limit_max((cnnrt_limit)42), 0);
  cr_assert_str_eq(cnnrt_limit_name((cnnrt_limit)42), "CNNRT_LIMIT_UNKNOWN");
  cr_assert_str_eq(cnnrt_status_name(CNNRT_ERR_LIMIT), "CNNRT_ERR_LIMIT");
}

/* input [N, 2, 6, 6] -> conv 2 -> 4 (3x3, padding 1) -> flatten -> linear 144 -> 3 */
#define MODEL_FOR(batch)                                                                           \
  "{'format': 'cnnrt', 'version': 1, 'weights': 'm.bin', 'input': {'name': 'x', 'shape': "         \
  "[" batch ", 2, 6, 6]}, 'nodes': [{'name': 'c', 'op': 'Conv2d', 'params': {'in_channels': 2, "   \
  "'out_channels': 4, 'kernel_size': 3, 'padding': 1}, 'weights': {'weight': {'offset': 0, "       \
  "'shape': [4, 2, 3, 3]}, 'bias': {'offset': 320, 'shape': [4]}}}, {'name': 'f', 'op': "          \
  "'Flatten'}, {'name': 'l', 'op': 'Linear', 'params': {'in_features': 144, 'out_features': "      \
  "3}, 'weights': {'weight': {'offset': 384, 'shape': [3, 144]}, 'bias': {'offset': 2176, "        \
  "'shape': [3]}}}]}"
#define MODEL MODEL_FOR("1")
static float blob[2240 / 4];

/* The largest tensor of MODEL is the conv output (and Linear's weight): 4*36*4 = 576 and
 * 3*144*4 = 1728 bytes. */
Test(limits, tensor_bytes_at_load) {
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 1728), CNNRT_OK);
  cnnrt_model_free(tu_load(MODEL, blob, sizeof blob));
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 1727), CNNRT_OK);
  tu_assert_error("weight", tu_try_load(MODEL, blob, sizeof blob, &m), CNNRT_ERR_LIMIT,
                  "node 2 'l' (Linear): weights.weight [3, 144] is 1728 bytes",
                  "over CNNRT_LIMIT_TENSOR_BYTES = 1727 (raise it with cnnrt_set_limit)");
  cr_assert_null(m);
  /* weights are checked as they are read, outputs by shape inference after that */
  const char *conv_only = "{'format': 'cnnrt', 'version': 1, 'weights': 'm.bin', 'input': "
                          "{'name': 'x', 'shape': [1, 2, 6, 6]}, 'nodes': [{'name': 'c', 'op': "
                          "'Conv2d', 'params': {'in_channels': 2, 'out_channels': 4, "
                          "'kernel_size': 3, 'padding': 1}, 'weights': {'weight': {'offset': 0, "
                          "'shape': [4, 2, 3, 3]}, 'bias': {'offset': 320, 'shape': [4]}}}]}";
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 575), CNNRT_OK);
  tu_assert_error("output", tu_try_load(conv_only, blob, sizeof blob, &m), CNNRT_ERR_LIMIT,
                  "node 0 'c' (Conv2d): output at batch 1 [1, 4, 6, 6] is 576 bytes", NULL);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 287), CNNRT_OK);
  tu_assert_error("input",
                  tu_try_load("{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': "
                              "[1, 2, 6, 6]}, 'nodes': [{'name': 'f', 'op': 'Flatten'}]}",
                              NULL, 0, &m),
                  CNNRT_ERR_LIMIT, "<memory>: the input at batch 1 [1, 2, 6, 6] is 288 bytes",
                  NULL);
}

/* Packed weights are tensors a file makes cnnrt allocate too: F(6x6, 3x3) transforms a
 * 16->16 3x3 conv's 9216 bytes of weights into 64 matrices of 18 x 16 floats (73728 bytes),
 * refused under a limit that every tensor of the file itself passes. */
Test(limits, tensor_bytes_of_packed_weights) {
  const char *json = "{'format': 'cnnrt', 'version': 1, 'weights': 'm.bin', 'input': {'name': "
                     "'x', 'shape': [1, 16, 24, 24]}, 'nodes': [{'name': 'c', 'op': 'Conv2d', "
                     "'params': {'in_channels': 16, 'out_channels': 16, 'kernel_size': 3, "
                     "'padding': 1}, 'weights': {'weight': {'offset': 0, 'shape': [16, 16, 3, "
                     "3]}, 'bias': {'offset': 9216, 'shape': [16]}}}]}";
  float *weights = calloc(9280 / 4, sizeof(float));
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 73728), CNNRT_OK);
  cnnrt_model_free(tu_load(json, weights, 9280));
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 40000), CNNRT_OK);
  tu_assert_error("packed", tu_try_load(json, weights, 9280, &m), CNNRT_ERR_LIMIT,
                  "node 0 'c' (Conv2d): packed weights (winograd kernel) is 73728 bytes",
                  "over CNNRT_LIMIT_TENSOR_BYTES = 40000");
  cr_assert_null(m);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 0), CNNRT_OK);
  free(weights);
}

/* A model fine at its declared batch is refused at a session batch that makes a tensor too
 * large, before any planning or allocation. */
Test(limits, tensor_bytes_at_session_batch) {
  cnnrt_model *m = tu_load(MODEL, blob, sizeof blob);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 576 * 10), CNNRT_OK);
  cr_assert_eq(cnnrt_session_create_batch(m, 1, 10, &s), CNNRT_OK, "%s", cnnrt_last_error());
  cnnrt_session_free(s);
  s = (cnnrt_session *)&s;
  tu_assert_error("batch 11", cnnrt_session_create_batch(m, 1, 11, &s), CNNRT_ERR_LIMIT,
                  "node 0 'c' (Conv2d): output at batch 11 [11, 4, 6, 6] is 6336 bytes",
                  "CNNRT_LIMIT_TENSOR_BYTES = 5760");
  cr_assert_null(s);
  /* the input itself at the largest batch, even with the largest limit */
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, cnnrt_limit_max(CNNRT_LIMIT_TENSOR_BYTES)),
               CNNRT_OK);
  cnnrt_model *wide = tu_load("{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', "
                              "'shape': [1, 16777216, 16, 16]}, 'nodes': [{'name': 'f', "
                              "'op': 'Flatten'}]}",
                              NULL, 0);
  tu_assert_error("huge batch", cnnrt_session_create_batch(wide, 1, 16777216, &s), CNNRT_ERR_LIMIT,
                  "<memory>: the input at batch 16777216 [16777216, 16777216, 16, 16] is "
                  "288230376151711744 bytes",
                  "CNNRT_LIMIT_TENSOR_BYTES = 281474976710656");
  cnnrt_model_free(wide);
  cnnrt_model_free(m);
}

/* The planned arena: conv output 576 + packing scratch, Linear's packed input ... the
 * exact size comes from the session; one byte less is refused. */
Test(limits, arena_bytes) {
  cnnrt_model *m = tu_load(MODEL, blob, sizeof blob);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create_batch(m, 1, 4, &s), CNNRT_OK);
  size_t arena = cnnrt_session_arena_bytes(s);
  cnnrt_session_free(s);
  cr_assert_gt(arena, 0);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_ARENA_BYTES, arena), CNNRT_OK);
  cr_assert_eq(cnnrt_session_create_batch(m, 1, 4, &s), CNNRT_OK, "%s", cnnrt_last_error());
  cnnrt_session_free(s);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_ARENA_BYTES, arena - 1), CNNRT_OK);
  char text[160];
  snprintf(text, sizeof text,
           "<memory>: the arena at batch 4 is %zu bytes, over "
           "CNNRT_LIMIT_ARENA_BYTES = %zu",
           arena, arena - 1);
  s = (cnnrt_session *)&s;
  tu_assert_error("arena", cnnrt_session_create_batch(m, 1, 4, &s), CNNRT_ERR_LIMIT, text, NULL);
  cr_assert_null(s);
  cnnrt_model_free(m);
}

/* A chain of n ReLUs (n <= 64), or n ReLUs all reading the input (a wide graph). */
static char *relus(int n, bool wide) {
  size_t cap = 200 + (size_t)n * 80, used;
  char *json = malloc(cap);
  cr_assert_not_null(json);
  used = (size_t)snprintf(json, cap,
                          "{'format': 'cnnrt', 'version': 1, 'input': {'name': "
                          "'x', 'shape': [1, 1, 2, 2]}, 'nodes': [");
  for (int i = 0; i < n; i++)
    used += (size_t)snprintf(json + used, cap - used, "%s{'name': 'r%d', 'op': 'ReLU'%s}",
                             i ? ", " : "", i, wide ? ", 'inputs': ['x']" : "");
  snprintf(json + used, cap - used, "]}");
  return json;
}

Test(limits, nodes_and_depth) {
  char *chain = relus(40, false), *wide = relus(40, true);
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_NODES, 40), CNNRT_OK);
  cnnrt_model_free(tu_load(chain, NULL, 0));
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_NODES, 39), CNNRT_OK);
  tu_assert_error("nodes", tu_try_load(chain, NULL, 0, &m), CNNRT_ERR_LIMIT,
                  "<memory>: 'nodes' is 40 nodes, over CNNRT_LIMIT_NODES = 39", NULL);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_NODES, 0), CNNRT_OK);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 40), CNNRT_OK);
  cnnrt_model_free(tu_load(chain, NULL, 0));
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 39), CNNRT_OK);
  tu_assert_error("depth", tu_try_load(chain, NULL, 0, &m), CNNRT_ERR_LIMIT,
                  "node 39 'r39' (ReLU): the path from the graph input to this node is 40 nodes "
                  "deep, over CNNRT_LIMIT_GRAPH_DEPTH = 39",
                  NULL);
  cr_assert_null(m);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 1), CNNRT_OK);
  cnnrt_model_free(tu_load(wide, NULL, 0)); /* 40 nodes, each 1 deep */
  free(chain);
  free(wide);
}

/* The default limits load a 10000-node chain quickly (fusion and ordering are not
 * quadratic in the chain, and at most quadratic overall) and refuse 10001. */
Test(limits, default_node_limit_loads_fast, .timeout = 20) {
  size_t cap = 64 + 10001 * 40, used = 0;
  char *json = malloc(cap);
  cr_assert_not_null(json);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 20000), CNNRT_OK);
  used += (size_t)snprintf(json, cap,
                           "{'format': 'cnnrt', 'version': 1, 'input': {'name': "
                           "'x', 'shape': [1, 1, 2, 2]}, 'nodes': [");
  for (int i = 0; i < 10000; i++)
    used += (size_t)snprintf(json + used, cap - used, "%s{'name': 'n%d', 'op': '%s'}",
                             i ? ", " : "", i, i % 3 ? "ReLU" : "Sigmoid");
  strcpy(json + used, "]}");
  cnnrt_model *m = tu_load(json, NULL, 0);
  cr_assert_eq(cnnrt_model_node_count(m), 10000);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
  snprintf(json + used, cap - used, ", {'name': 'last', 'op': 'ReLU'}]}");
  m = NULL;
  tu_assert_error("10001", tu_try_load(json, NULL, 0, &m), CNNRT_ERR_LIMIT,
                  "'nodes' is 10001 nodes, over CNNRT_LIMIT_NODES = 10000", NULL);
  free(json);
}

/* File and memory sizes: model.json, the weight blob (file and memory). */
Test(limits, model_and_weight_bytes) {
  char *dir = tu_temp_dir(), *json = tu_json(MODEL);
  char *json_path = tu_write_file(dir, "model.json", json, strlen(json));
  free(tu_write_file(dir, "m.bin", blob, sizeof blob));
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_MODEL_BYTES, strlen(json)), CNNRT_OK);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_WEIGHTS_BYTES, sizeof blob), CNNRT_OK);
  cnnrt_model_free(tu_load_file(json_path));
  cnnrt_model_free(tu_load(MODEL, blob, sizeof blob));
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_MODEL_BYTES, strlen(json) - 1), CNNRT_OK);
  tu_assert_error("json file", cnnrt_model_load(json_path, &m), CNNRT_ERR_LIMIT, json_path,
                  "the model file is");
  tu_assert_error("json memory", cnnrt_model_load_memory(json, strlen(json), blob, sizeof blob, &m),
                  CNNRT_ERR_LIMIT, "<memory>: the model JSON is", "CNNRT_LIMIT_MODEL_BYTES");
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_MODEL_BYTES, 0), CNNRT_OK);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_WEIGHTS_BYTES, sizeof blob - 1), CNNRT_OK);
  tu_assert_error("blob file", cnnrt_model_load(json_path, &m), CNNRT_ERR_LIMIT,
                  "m.bin: the "
                  "weights file is 2240 bytes",
                  "CNNRT_LIMIT_WEIGHTS_BYTES = 2239");
  tu_assert_error("blob memory", tu_try_load(MODEL, blob, sizeof blob, &m), CNNRT_ERR_LIMIT,
                  "<memory>: the weight blob is 2240 bytes", NULL);
  cr_assert_null(m);
  free(json);
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}
