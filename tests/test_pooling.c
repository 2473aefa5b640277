/* AvgPool2d, AdaptiveAvgPool2d and AdaptiveMaxPool2d against PyTorch
 * (tests/golden/pooling_golden.h), thread determinism, NaN, and every rejection. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/golden/pooling_golden.h"
#include "tests/test_util.h"

ParameterizedTestParameters(pooling, golden) {
  TU_ROW_PARAMS(golden_pooling);
}

ParameterizedTest(size_t *row, pooling, golden) {
  tu_check_golden(&golden_pooling[*row], 1);
  tu_check_golden(&golden_pooling[*row], 3);
}

/* A one-node model over an [N, C, H, W] input (JSON with ' for "); caller frees. */
static char *one_node(const char *input_shape, const char *op, const char *params) {
  static const char fmt[] = "{'format': 'cnnrt', 'version': 1,"
                            " 'input': {'name': 'x', 'shape': %s},"
                            " 'nodes': [{'name': 'pool', 'op': '%s', 'params': %s}]}";
  size_t size = sizeof fmt + strlen(input_shape) + strlen(op) + strlen(params);
  char *text = malloc(size);
  cr_assert_not_null(text);
  snprintf(text, size, fmt, input_shape, op, params);
  return text;
}

/* Larger random inputs: 1 thread and 4 threads give bit-identical outputs. */
Test(pooling, threads_bit_identical) {
  static const char *const cases[][2] = {
      {"AvgPool2d", "{'kernel_size': 3, 'stride': 2, 'padding': 1, 'ceil_mode': true}"},
      {"AvgPool2d", "{'kernel_size': [2, 3], 'count_include_pad': false, 'divisor_override': 3}"},
      {"AdaptiveAvgPool2d", "{'output_size': [5, 3]}"},
      {"AdaptiveMaxPool2d", "{'output_size': [null, 4]}"}};
  float *in = tu_random_floats(3 * 7 * 17 * 13, 42);
  for (size_t i = 0; i < TU_COUNT(cases); i++) {
    char *json = one_node("[3, 7, 17, 13]", cases[i][0], cases[i][1]);
    cnnrt_model *m = tu_load(json, NULL, 0);
    size_t n1 = 0, n4 = 0;
    float *one = tu_run(m, 1, 3, in, &n1), *four = tu_run(m, 4, 3, in, &n4);
    cr_assert_eq(n1, n4);
    cr_assert(memcmp(one, four, n1 * sizeof *one) == 0, "%s %s: threads change the output",
              cases[i][0], cases[i][1]);
    free(one);
    free(four);
    cnnrt_model_free(m);
    free(json);
  }
  free(in);
}

/* Batch 3 of a batch-1 model is three independent samples. */
Test(pooling, batch_of_batch1_model) {
  char *json = one_node("[1, 2, 6, 5]", "AvgPool2d",
                        "{'kernel_size': 3, 'stride': 2, 'padding': 1, 'ceil_mode': true}");
  cnnrt_model *m = tu_load(json, NULL, 0);
  float *in = tu_random_floats(3 * 60, 7);
  size_t n = 0, n1 = 0;
  float *all = tu_run(m, 2, 3, in, &n);
  for (size_t k = 0; k < 3; k++) {
    float *one = tu_run(m, 1, 1, in + k * 60, &n1);
    cr_assert_eq(n, 3 * n1);
    cr_assert(memcmp(one, all + k * n1, n1 * sizeof *one) == 0, "sample %zu differs", k);
    free(one);
  }
  free(all);
  free(in);
  cnnrt_model_free(m);
  free(json);
}

/* AdaptiveMaxPool2d propagates NaN like torch; AdaptiveAvgPool2d sums it in. */
Test(pooling, adaptive_nan) {
  float in[16];
  for (int i = 0; i < 16; i++) in[i] = (float)i;
  in[5] = NAN; /* row 1, column 1: only in output (0, 0) of a 2x2 pooling */
  static const char *const ops[] = {"AdaptiveMaxPool2d", "AdaptiveAvgPool2d"};
  for (int k = 0; k < 2; k++) {
    char *json = one_node("[1, 1, 4, 4]", ops[k], "{'output_size': 2}");
    cnnrt_model *m = tu_load(json, NULL, 0);
    float *out = tu_run(m, 1, 1, in, NULL);
    cr_assert(isnan(out[0]), "%s: window with NaN gave %g", ops[k], out[0]);
    for (int i = 1; i < 4; i++) cr_assert(!isnan(out[i]), "%s: out[%d] is NaN", ops[k], i);
    cr_assert_eq(out[3], k == 0 ? 15.0f : 12.5f);
    free(out);
    cnnrt_model_free(m);
    free(json);
  }
}

typedef struct {
  const char *input_shape, *op, *params;
  cnnrt_status status;
  const char *text1, *text2; /* substrings of the message (NULL: none) */
} rejection;

static const rejection rejections[] = {
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 0}", CNNRT_ERR_FORMAT, "kernel_size", NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{}", CNNRT_ERR_FORMAT, "missing", "kernel_size"},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': [3, null]}", CNNRT_ERR_FORMAT, "kernel_size[1]",
     "null"},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': [2, 2, 2]}", CNNRT_ERR_FORMAT, "kernel_size",
     NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'stride': 0}", CNNRT_ERR_FORMAT, "stride",
     NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 3, 'padding': 2}", CNNRT_ERR_FORMAT, "padding 2",
     "kernel_size 3"},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': [4, 3], 'padding': [1, 2]}", CNNRT_ERR_FORMAT,
     "padding 2", "kernel_size 3"},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 3, 'padding': -1}", CNNRT_ERR_FORMAT, "padding",
     NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'divisor_override': 0}", CNNRT_ERR_FORMAT,
     "divisor_override", NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'divisor_override': [2]}", CNNRT_ERR_FORMAT,
     "divisor_override", NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'divisor_override': 1.5}", CNNRT_ERR_FORMAT,
     "divisor_override", NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'count_include_pad': 1}", CNNRT_ERR_FORMAT,
     "count_include_pad", NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'ceil_mode': 'yes'}", CNNRT_ERR_FORMAT,
     "ceil_mode", NULL},
    {"[1, 2, 5, 5]", "AvgPool2d", "{'kernel_size': 2, 'dilation': 1}", CNNRT_ERR_FORMAT,
     "unknown parameter 'dilation'", NULL},
    /* kernel 8 > padded height 5 + 2*1 */
    {"[1, 2, 5, 9]", "AvgPool2d", "{'kernel_size': 8, 'padding': 1}", CNNRT_ERR_SHAPE,
     "input height 5", "kernel_size 8"},
    {"[1, 2, 9, 4]", "AvgPool2d", "{'kernel_size': [3, 7], 'padding': [0, 1]}", CNNRT_ERR_SHAPE,
     "input width 4", "kernel_size 7"},
    {"[1, 2, 5, 5]", "MaxPool2d", "{'kernel_size': 3, 'padding': 2}", CNNRT_ERR_FORMAT, "padding 2",
     "kernel_size 3"},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{}", CNNRT_ERR_FORMAT, "missing", "output_size"},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': null}", CNNRT_ERR_FORMAT, "missing",
     "output_size"},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': -1}", CNNRT_ERR_FORMAT, "output_size[0]",
     NULL},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': [2, 0]}", CNNRT_ERR_UNSUPPORTED,
     "output_size[1]", "empty"},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': [1, 2, 3]}", CNNRT_ERR_FORMAT,
     "output_size", NULL},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': [null]}", CNNRT_ERR_FORMAT,
     "output_size", NULL},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': '7'}", CNNRT_ERR_FORMAT, "output_size",
     NULL},
    {"[1, 2, 5, 5]", "AdaptiveAvgPool2d", "{'output_size': 2, 'return_indices': false}",
     CNNRT_ERR_FORMAT, "unknown parameter 'return_indices'", NULL},
    {"[1, 2, 5, 5]", "AdaptiveMaxPool2d", "{'output_size': 2, 'return_indices': true}",
     CNNRT_ERR_UNSUPPORTED, "return_indices", NULL},
    {"[1, 2, 5, 5]", "AdaptiveMaxPool2d", "{'output_size': [3, -2]}", CNNRT_ERR_FORMAT,
     "output_size[1]", NULL},
};

ParameterizedTestParameters(pooling, rejects) {
  TU_ROW_PARAMS(rejections);
}

ParameterizedTest(size_t *row, pooling, rejects) {
  const rejection *r = &rejections[*row];
  char *json = one_node(r->input_shape, r->op, r->params);
  cnnrt_model *m = NULL;
  cnnrt_status st = tu_try_load(json, NULL, 0, &m);
  char what[256];
  snprintf(what, sizeof what, "%s %s", r->op, r->params);
  tu_assert_error(what, st, r->status, r->text1, r->text2);
  cr_assert_null(m);
  tu_assert_error(what, st, r->status, "node 0 'pool'", r->op);
  free(json);
}

/* Pooling needs [N, C, H, W]: a 2-D input (after Flatten) is rejected by every pool op. */
Test(pooling, rejects_non_4d_input) {
  static const char *const ops[][2] = {{"AvgPool2d", "{'kernel_size': 1}"},
                                       {"AdaptiveAvgPool2d", "{'output_size': 1}"},
                                       {"AdaptiveMaxPool2d", "{'output_size': 1}"}};
  for (size_t i = 0; i < TU_COUNT(ops); i++) {
    char json[512];
    snprintf(json, sizeof json,
             "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [1, 2, 3, 3]},"
             " 'nodes': [{'name': 'f', 'op': 'Flatten'},"
             "           {'name': 'pool', 'op': '%s', 'params': %s}]}",
             ops[i][0], ops[i][1]);
    cnnrt_model *m = NULL;
    tu_assert_error(ops[i][0], tu_try_load(json, NULL, 0, &m), CNNRT_ERR_SHAPE, "4-D", "2-D");
  }
}
