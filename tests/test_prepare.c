/* Load-time preparation of a model big enough (> 4 MB of weights) for graph_prepare to pack
 * on two threads: a Winograd conv with a folded BatchNorm, a GEMM conv (stride 2) and a
 * pointwise conv. The result must not depend on which thread packed what (two loads give
 * the same bits) and must match the direct path, which packs nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "runtime/graph.h"
#include "tests/test_util.h"

#define C 256

static const char *json_of(char *buf, size_t size) {
  size_t w = (size_t)C * C * 9 * 4, p = (size_t)C * C * 4, b = C * 4;
  size_t w1 = 0, w2 = w, w3 = 2 * w, bias = 2 * w + p, bn = bias + b;
  snprintf(buf, size,
           "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin', 'input': {'name': 'x', "
           "'shape': [1, %d, 14, 14]}, 'nodes': ["
           "{'name': 'wino', 'op': 'Conv2d', 'params': {'in_channels': %d, 'out_channels': %d, "
           "'kernel_size': 3, 'padding': 1, 'bias': false}, 'weights': {'weight': {'offset': %zu, "
           "'shape': [%d, %d, 3, 3]}}},"
           "{'name': 'bn', 'op': 'BatchNorm2d', 'params': {'num_features': %d}, 'weights': "
           "{'weight': {'offset': %zu, 'shape': [%d]}, 'bias': {'offset': %zu, 'shape': [%d]}, "
           "'running_mean': {'offset': %zu, 'shape': [%d]}, 'running_var': {'offset': %zu, "
           "'shape': [%d]}}},"
           "{'name': 'gemm', 'op': 'Conv2d', 'params': {'in_channels': %d, 'out_channels': %d, "
           "'kernel_size': 3, 'stride': 2, 'padding': 1}, 'weights': {'weight': {'offset': %zu, "
           "'shape': [%d, %d, 3, 3]}, 'bias': {'offset': %zu, 'shape': [%d]}}},"
           "{'name': 'pointwise', 'op': 'Conv2d', 'params': {'in_channels': %d, 'out_channels': "
           "%d, 'kernel_size': 1, 'bias': false}, 'weights': {'weight': {'offset': %zu, 'shape': "
           "[%d, %d, 1, 1]}}}]}",
           C, C, C, w1, C, C, C, bn, C, bn + b, C, bn + 2 * b, C, bn + 3 * b, C, C, C, w2, C, C,
           bias, C, C, C, w3, C, C);
  return buf;
}

/* Weights in [-1, 1) scaled down so activations stay near 1; BatchNorm variances > 0. */
static float *blob_of(size_t *bytes) {
  size_t w = (size_t)C * C * 9, p = (size_t)C * C, floats = 2 * w + p + 5 * C;
  float *blob = tu_random_floats(floats, 99);
  for (size_t i = 0; i < 2 * w + p; i++) blob[i] *= 0.05f;
  for (size_t i = 2 * w + p + 4 * C; i < floats; i++) blob[i] = 0.5f + blob[i] * blob[i];
  *bytes = floats * sizeof(float);
  return blob;
}

Test(prepare, two_threads_pack_the_same_model) {
  char json[4096];
  size_t bytes, n_a, n_b, n_d;
  float *blob = blob_of(&bytes), *input = tu_random_floats((size_t)C * 14 * 14, 5);
  cr_assert_gt(bytes, (size_t)4 << 20, "the model must be big enough to prepare in parallel");
  cnnrt_model *a = tu_load(json_of(json, sizeof json), blob, bytes);
  cnnrt_model *b = tu_load(json, blob, bytes);
  setenv("CNNRT_CONV_PATH", "direct", 1);
  cnnrt_model *direct = tu_load(json, blob, bytes);
  unsetenv("CNNRT_CONV_PATH");
  const char *want_kernels[] = {"winograd", "", "gemm", "gemm"};
  for (size_t i = 0; i < 4; i++)
    cr_assert_str_eq(cnnrt_model_node_kernel(a, i), want_kernels[i], "node %zu", i);
  float *out_a = tu_run(a, 1, 1, input, &n_a), *out_b = tu_run(b, 2, 1, input, &n_b);
  float *out_d = tu_run(direct, 1, 1, input, &n_d);
  cr_assert(n_a == n_b && n_a == n_d);
  cr_assert(memcmp(out_a, out_b, n_a * sizeof(float)) == 0, "two loads differ");
  tu_assert_close("parallel-prepared model vs direct path", out_a, out_d, n_a);
  free(out_a), free(out_b), free(out_d), free(blob), free(input);
  cnnrt_model_free(a), cnnrt_model_free(b), cnnrt_model_free(direct);
}
