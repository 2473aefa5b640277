/* Linear against PyTorch (tests/golden/golden_linear.h), counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/gemm.h"
#include "tests/golden/golden_linear.h"
#include "tests/test_util.h"

ParameterizedTestParameters(linear, golden) {
  TU_ROW_PARAMS(golden_linear);
}

ParameterizedTest(size_t *row, linear, golden) {
  tu_check_golden(&golden_linear[*row], 1);
  tu_check_golden(&golden_linear[*row], 4);
  gemm_force_portable(true); /* the portable micro-kernel too, where SIMD is the default */
  tu_check_golden(&golden_linear[*row], 2);
}

/* On a 4-D input the layer maps the last dimension: MACs count every row. */
Test(linear, counts_on_4d_input) {
  const golden_case *c = &golden_linear[2];
  cr_assert_str_eq(c->name, "linear_4d");
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_model_load_memory(c->json, strlen(c->json), c->weights, c->weights_bytes, &m),
               CNNRT_OK, "%s", cnnrt_last_error());
  cr_assert_eq(cnnrt_model_node_param_count(m, 0), 3 * 5 + 3);
  cr_assert_eq(cnnrt_model_node_macs(m, 0), 2 * 3 * 4 * 3 * 5);
  size_t dims[4];
  int rank = 0;
  cr_assert_eq(cnnrt_model_node_shape(m, 0, dims, 4, &rank), CNNRT_OK);
  cr_assert_eq(rank, 4);
  cr_assert(dims[0] == 2 && dims[1] == 3 && dims[2] == 4 && dims[3] == 3);
  cnnrt_model_free(m);
}

/* A batch of 1 takes gemm_one_row (4 weight panels at a time, then single panels): the
 * same sums as the 6-row tiles of a larger batch, so each sample's output is bit-identical
 * at batch 1 and batch 3, at any thread count, and matches a plain double-precision sum.
 * 150 outputs: two groups of 4 panels, a full panel and 6 columns; with and without
 * bias and fused ReLU; SIMD and portable kernels. */
Test(linear, batch_one_matches_larger_batches) {
  enum { IN = 37, OUT = 150 };
  for (int variant = 0; variant < 4; variant++) {
    bool bias = variant & 1, relu = variant & 2;
    size_t bias_at = (OUT * IN * 4 + 63) / 64 * 64 / 4, floats = bias_at + (bias ? OUT : 0);
    float *blob = tu_random_floats(floats, 77 + (uint64_t)variant);
    char json[1024];
    snprintf(json, sizeof json,
             "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin', 'input': {'name': 'x', "
             "'shape': [1, %d, 1, 1]}, 'nodes': [{'name': 'flat', 'op': 'Flatten'}, {'name': "
             "'fc', 'op': 'Linear', 'params': {'in_features': %d, 'out_features': %d, 'bias': "
             "%s}, 'weights': {'weight': {'offset': 0, 'shape': [%d, %d]}%s}}%s]}",
             IN, IN, OUT, bias ? "true" : "false", OUT, IN,
             bias ? ", 'bias': {'offset': 22208, 'shape': [150]}" : "",
             relu ? ", {'name': 'relu', 'op': 'ReLU'}" : "");
    cnnrt_model *m = tu_load(json, blob, floats * sizeof(float));
    float *x = tu_random_floats(3 * IN, 5);
    for (int pass = 0; pass < 2; pass++) {
      gemm_force_portable(pass == 1);
      float *three = tu_run(m, 2, 3, x, NULL);
      for (size_t s = 0; s < 3; s++) {
        float *one = tu_run(m, 1 + (int)s % 2, 1, x + s * IN, NULL), want[OUT];
        for (size_t o = 0; o < OUT; o++) {
          double sum = bias ? blob[bias_at + o] : 0.0;
          for (size_t i = 0; i < IN; i++) sum += (double)blob[o * IN + i] * x[s * IN + i];
          want[o] = relu && sum < 0 ? 0.0f : (float)sum;
        }
        char what[96];
        snprintf(what, sizeof what, "variant %d sample %zu (%s kernel)", variant, s,
                 pass ? "portable" : "default");
        tu_assert_close(what, one, want, OUT);
        cr_assert(memcmp(one, three + s * OUT, sizeof want) == 0, "%s: batch 1 != batch 3", what);
        free(one);
      }
      free(three);
    }
    gemm_force_portable(false);
    free(x), free(blob);
    cnnrt_model_free(m);
  }
}
