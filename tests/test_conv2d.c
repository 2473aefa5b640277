/* Conv2d against PyTorch (tests/golden/golden_conv2d.h) and its bookkeeping. */
#include <stdlib.h>
#include <string.h>
#include "ops/gemm.h"
#include "tests/golden/golden_conv2d.h"
#include "tests/test_util.h"

ParameterizedTestParameters(conv2d, golden) {
  TU_ROW_PARAMS(golden_conv2d);
}

ParameterizedTest(size_t *row, conv2d, golden) {
  tu_check_golden(&golden_conv2d[*row], 1);
  tu_check_golden(&golden_conv2d[*row], 3);
  gemm_force_portable(true); /* the portable micro-kernel too, where SIMD is the default */
  tu_check_golden(&golden_conv2d[*row], 2);
}

static const golden_case *find_case(const char *name) {
  for (size_t i = 0; i < TU_COUNT(golden_conv2d); i++)
    if (strcmp(golden_conv2d[i].name, name) == 0) return &golden_conv2d[i];
  cr_assert_fail("no golden case %s", name);
  return NULL;
}

static cnnrt_model *load_case(const golden_case *c) {
  cnnrt_model *m = NULL;
  cr_assert_eq(cnnrt_model_load_memory(c->json, strlen(c->json), c->weights, c->weights_bytes, &m),
               CNNRT_OK, "%s: %s", c->name, cnnrt_last_error());
  return m;
}

typedef struct {
  const char *name;
  size_t params;  /* weight + bias floats */
  uint64_t macs;  /* output elements * in_channels/groups * kH * kW */
  int no_scratch; /* reads the input in place: 1x1 stride 1 unpadded, or depthwise */
} conv_count;

static const conv_count conv_counts[] = {
    {"conv_k3_s2_p1", 4 * 3 * 9 + 4, 4 * 5 * 5 * 3 * 9, 0},
    {"conv_groups2", 6 * 2 * 9 + 6, 6 * 6 * 6 * 2 * 9, 0},
    {"conv_depthwise_mult2", 6 * 9 + 6, 6 * 6 * 6 * 9, 1},
    {"conv_no_bias", 3 * 2 * 9, 3 * 3 * 3 * 2 * 9, 0},
    {"conv_pointwise", 3 * 4 + 3, 2 * 3 * 5 * 5 * 4, 1},
    {"conv_pointwise_stride2", 3 * 4 + 3, 3 * 3 * 3 * 4, 0},
};

ParameterizedTestParameters(conv2d, counts) {
  TU_ROW_PARAMS(conv_counts);
}

/* Parameter and MAC counts, and that the 1x1 and depthwise paths really skip the im2col
 * buffer. */
ParameterizedTest(size_t *row, conv2d, counts) {
  const conv_count *want = &conv_counts[*row];
  const golden_case *c = find_case(want->name);
  cnnrt_model *m = load_case(c);
  cr_assert_eq(cnnrt_model_node_param_count(m, 0), want->params, "%s: %zu params, want %zu",
               c->name, cnnrt_model_node_param_count(m, 0), want->params);
  cr_assert_eq(cnnrt_model_node_macs(m, 0), want->macs, "%s: %llu MACs, want %llu", c->name,
               (unsigned long long)cnnrt_model_node_macs(m, 0), (unsigned long long)want->macs);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK);
  size_t output_bytes = c->expected_count * sizeof(float);
  if (want->no_scratch)
    cr_assert_eq(cnnrt_session_naive_bytes(s), output_bytes,
                 "%s: this conv should need no scratch (naive %zu, output %zu)", c->name,
                 cnnrt_session_naive_bytes(s), output_bytes);
  else
    cr_assert_gt(cnnrt_session_naive_bytes(s), output_bytes, "%s: expected an im2col buffer",
                 c->name);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

/* A batch-3 session of a batch-1 model computes each sample like batch 1. */
Test(conv2d, batch_of_declared_batch1_model) {
  const golden_case *c = find_case("conv_dilation");
  cnnrt_model *m = load_case(c);
  float *input = malloc(3 * c->input_count * sizeof *input);
  cr_assert_not_null(input);
  for (size_t k = 0; k < 3; k++)
    memcpy(input + k * c->input_count, c->input, sizeof(float) * c->input_count);
  size_t n = 0;
  float *out = tu_run(m, 2, 3, input, &n);
  cr_assert_eq(n, 3 * c->expected_count);
  for (size_t k = 0; k < 3; k++)
    tu_assert_close(c->name, out + k * c->expected_count, c->expected, c->expected_count);
  free(out);
  free(input);
  cnnrt_model_free(m);
}
