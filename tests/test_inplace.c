/* In-place execution and fusion: when the planner lets an element-wise op overwrite its
 * input, and when it must not; ReLU and Sigmoid against PyTorch
 * (tests/golden/golden_activation.h; the other activations are in test_activations.c) and
 * their NaN propagation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tests/golden/golden_activation.h"
#include "tests/test_util.h"

ParameterizedTestParameters(activation, golden) {
  TU_ROW_PARAMS(golden_activation);
}

ParameterizedTest(size_t *row, activation, golden) {
  tu_check_golden(&golden_activation[*row], 1);
  tu_check_golden(&golden_activation[*row], 2);
}

#define ONE_OP_MODEL(op)                                                                           \
  "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [1, 1, 1, 6]},"               \
  " 'nodes': [{'name': 'a', 'op': '" op "'}]}"

/* torch.relu(nan) and torch.sigmoid(nan) are nan; relu(-0.0) is -0.0 or 0.0 (sign free). */
Test(activation, nan_propagates) {
  const float in[6] = {NAN, -1.0f, 0.0f, 2.0f, -NAN, INFINITY};
  const char *models[2] = {ONE_OP_MODEL("ReLU"), ONE_OP_MODEL("Sigmoid")};
  for (int k = 0; k < 2; k++) {
    cnnrt_model *m = tu_load(models[k], NULL, 0);
    float *out = tu_run(m, 1, 1, in, NULL);
    cr_assert(isnan(out[0]) && isnan(out[4]), "%s: NaN in gave %g, %g", cnnrt_model_node_op(m, 0),
              out[0], out[4]);
    cr_assert(!isnan(out[1]) && !isnan(out[2]) && !isnan(out[3]) && !isnan(out[5]));
    cr_assert_eq(out[5], k == 0 ? INFINITY : 1.0f);
    cr_assert_eq(out[1], k == 0 ? 0.0f : 1.0f / (1.0f + expf(1.0f)));
    free(out);
    cnnrt_model_free(m);
  }
}

/* An op reading the graph input never writes into the caller's buffer. */
Test(activation, graph_input_is_not_modified) {
  cnnrt_model *m = tu_load(ONE_OP_MODEL("ReLU"), NULL, 0);
  const float in[6] = {-1, 2, -3, 4, -5, 6};
  float copy[6];
  memcpy(copy, in, sizeof copy);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK);
  size_t offset, bytes;
  cr_assert_eq(cnnrt_session_node_arena(s, 0, &offset, &bytes), CNNRT_OK);
  cr_assert_eq(bytes, sizeof in, "ReLU of the graph input needs its own buffer");
  float out[6];
  cr_assert_eq(cnnrt_run(s, copy, 6, out, 6), CNNRT_OK);
  cr_assert_arr_eq(copy, in, sizeof in, "the input was modified");
  for (int i = 0; i < 6; i++) cr_assert_eq(out[i], in[i] < 0 ? 0.0f : in[i]);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

/* conv -> ReLU -> Sigmoid: both activations run in place in the conv's buffer (the golden
 * case checks the values). */
Test(activation, in_place_shares_the_buffer) {
  const golden_case *c = &golden_activation[2];
  cr_assert_str_eq(c->name, "conv_relu_inplace");
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_model_load_memory(c->json, strlen(c->json), c->weights, c->weights_bytes, &m),
               CNNRT_OK, "%s", cnnrt_last_error());
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK);
  size_t off[3], bytes[3];
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(cnnrt_session_node_arena(s, i, &off[i], &bytes[i]), CNNRT_OK);
  cr_assert(off[0] == off[1] && off[1] == off[2] && bytes[0] == bytes[2],
            "offsets %zu %zu %zu: the activations should reuse the conv's buffer", off[0], off[1],
            off[2]);
  cr_assert(!cnnrt_model_node_is_fused(m, 0) && cnnrt_model_node_is_fused(m, 1) &&
                !cnnrt_model_node_is_fused(m, 2),
            "the ReLU (only) should be fused into the conv");
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

typedef struct {
  float conv[2 * 4 * 4];
  float sigmoid[2 * 4 * 4];
  int seen;
} branch_capture;

static void capture(void *user, size_t node, const float *data, size_t count) {
  branch_capture *b = user;
  cr_assert_eq(count, 32, "node %zu: %zu floats", node, count);
  if (node == 0) memcpy(b->conv, data, sizeof b->conv);
  if (node == 2) memcpy(b->sigmoid, data, sizeof b->sigmoid);
  b->seen++;
}

/* conv feeds both ReLU (the output) and Sigmoid (run after it): ReLU must not overwrite the
 * conv's output in place, or Sigmoid would see rectified values. */
Test(activation, no_in_place_when_the_input_is_read_later) {
  static const float weights[16] = {1.0f, -1.0f, 0.5f, 2.0f, 0.25f, -0.5f};
  cnnrt_model *m =
      tu_load("{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin', 'output': 'relu',"
              " 'input': {'name': 'x', 'shape': [1, 1, 4, 4]},"
              " 'nodes': [{'name': 'conv', 'op': 'Conv2d',"
              "            'params': {'in_channels': 1, 'out_channels': 2, 'kernel_size': 1},"
              "            'weights': {'weight': {'offset': 0, 'shape': [2, 1, 1, 1]},"
              "                        'bias': {'offset': 0, 'shape': [2]}}},"
              "           {'name': 'relu', 'op': 'ReLU', 'inputs': ['conv']},"
              "           {'name': 'sig', 'op': 'Sigmoid', 'inputs': ['conv']}]}",
              weights, sizeof weights);
  float *in = tu_random_floats(16, 7), out[32];
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 2, &s), CNNRT_OK);
  branch_capture b = {{0}, {0}, 0};
  cr_assert_eq(cnnrt_run_observed(s, in, 16, out, 32, capture, &b), CNNRT_OK);
  cr_assert_eq(b.seen, 3);
  cr_assert_not(cnnrt_model_node_is_fused(m, 1), "ReLU fused into a conv that Sigmoid reads");
  for (int i = 0; i < 32; i++) {
    float conv = in[i % 16] * weights[i / 16] + weights[i / 16]; /* bias shares the weights */
    cr_assert_float_eq(b.conv[i], conv, 1e-6, "conv[%d]", i);
    cr_assert_float_eq(out[i], conv < 0 ? 0.0f : conv, 1e-6, "relu[%d]", i);
    cr_assert_float_eq(b.sigmoid[i], 1.0f / (1.0f + expf(-conv)), 1e-6, "sigmoid[%d] = %g", i,
                       b.sigmoid[i]);
  }
  cnnrt_session_free(s);
  free(in);
  cnnrt_model_free(m);
}

/* conv is the model output and ReLU reads it: the ReLU must not be fused into the conv
 * (the output would come back rectified). */
Test(activation, no_fusion_into_the_model_output) {
  static const float weights[32] = {[0] = 1.0f, [16] = -1.0f}; /* weight 1, bias -1 */
  cnnrt_model *m =
      tu_load("{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin', 'output': 'conv',"
              " 'input': {'name': 'x', 'shape': [1, 1, 2, 2]},"
              " 'nodes': [{'name': 'conv', 'op': 'Conv2d',"
              "            'params': {'in_channels': 1, 'out_channels': 1, 'kernel_size': 1},"
              "            'weights': {'weight': {'offset': 0, 'shape': [1, 1, 1, 1]},"
              "                        'bias': {'offset': 64, 'shape': [1]}}},"
              "           {'name': 'relu', 'op': 'ReLU'}]}",
              weights, sizeof weights);
  cr_assert_not(cnnrt_model_node_is_fused(m, 1));
  const float in[4] = {-3, 2, 0.5f, 1};
  float *out = tu_run(m, 1, 1, in, NULL);
  for (int i = 0; i < 4; i++) cr_assert_eq(out[i], in[i] - 1.0f, "out[%d] = %g", i, out[i]);
  free(out);
  cnnrt_model_free(m);
}

/* The output is a middle node: the element-wise op after it must not run in place over it. */
Test(activation, later_nodes_keep_the_output) {
  cnnrt_model *m = tu_load("{'format': 'cnnrt', 'version': 1, 'output': 'relu',"
                           " 'input': {'name': 'x', 'shape': [1, 1, 1, 4]},"
                           " 'nodes': [{'name': 'relu', 'op': 'ReLU'},"
                           "           {'name': 'sig', 'op': 'Sigmoid'},"
                           "           {'name': 'sig2', 'op': 'Sigmoid'}]}",
                           NULL, 0);
  const float in[4] = {-1, 2, -3, 4};
  float *out = tu_run(m, 1, 1, in, NULL);
  for (int i = 0; i < 4; i++) cr_assert_eq(out[i], in[i] < 0 ? 0.0f : in[i], "out[%d]", i);
  free(out);
  cnnrt_model_free(m);
}
