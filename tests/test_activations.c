/* Every activation and the softmax family (Softmax, LogSoftmax, Softmin) against PyTorch
 * (tests/golden/activation_golden.h: each op / parameter combination on branch points,
 * overflow edges, +-1e4, NaN and infinities), the same outputs for any thread count and
 * batch size, and the parameter values PyTorch rejects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/golden/activation_golden.h"
#include "tests/test_util.h"

/* Where PyTorch has NaN we need NaN, where it has an infinity the same one; elsewhere
 * |got - want| <= tol * max(1, |want|) (per element: the inputs hold 3e38, so a tolerance
 * scaled by the largest output would accept anything). */
static void assert_matches(const char *what, const float *got, const float *want, size_t n,
                           double tol) {
  double worst = 0.0, worst_abs = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]) || isinf(want[i])) {
      cr_assert(isnan(want[i]) ? isnan(got[i]) : got[i] == want[i],
                "%s: element %zu is %.9g, PyTorch %.9g", what, i, got[i], want[i]);
      continue;
    }
    double err = fabs((double)got[i] - (double)want[i]);
    double scaled = err / fmax(1.0, fabs((double)want[i]));
    cr_assert(scaled <= tol,
              "%s: element %zu is %.9g, PyTorch %.9g (error %g > %g * max(1, |ref|))", what, i,
              got[i], want[i], err, tol);
    if (scaled > worst) worst = scaled;
    if (err > worst_abs) worst_abs = err;
  }
  cr_log_info("%s: worst abs error %g, worst error / max(1, |ref|) %g", what, worst_abs, worst);
}

ParameterizedTestParameters(activations, golden) {
  TU_ROW_PARAMS(activation_golden);
}

/* Loads the case, checks the output shape, runs it with 1 and 2 threads (bit-identical),
 * and at batch 1 when the op never mixes samples. */
ParameterizedTest(size_t *row, activations, golden) {
  const activation_case *ac = &activation_golden[*row];
  const golden_case *c = &ac->c;
  cnnrt_model *m = NULL;
  cnnrt_status st =
      cnnrt_model_load_memory(c->json, strlen(c->json), c->weights, c->weights_bytes, &m);
  cr_assert_eq(st, CNNRT_OK, "%s: load failed: %s", c->name, cnnrt_last_error());
  size_t dims[6], in_dims[4];
  int rank = 0;
  cr_assert_eq(cnnrt_model_output_shape(m, dims, 6, &rank), CNNRT_OK);
  cr_assert_eq(rank, c->rank, "%s: output rank %d, PyTorch %d", c->name, rank, c->rank);
  for (int i = 0; i < rank; i++)
    cr_assert_eq(dims[i], c->shape[i], "%s: output dim %d is %zu, PyTorch %zu", c->name, i, dims[i],
                 c->shape[i]);
  cr_assert_eq(cnnrt_model_input_shape(m, in_dims), CNNRT_OK);
  cr_assert_eq(cnnrt_model_input_count(m), c->input_count);

  size_t n = 0;
  float *one = tu_run(m, 1, in_dims[0], c->input, &n);
  cr_assert_eq(n, c->expected_count, "%s: %zu outputs, PyTorch %zu", c->name, n, c->expected_count);
  assert_matches(c->name, one, c->expected, n, ac->tol);
  float *two = tu_run(m, 2, in_dims[0], c->input, NULL);
  cr_assert(memcmp(one, two, n * sizeof *one) == 0, "%s: 2 threads differ from 1", c->name);
  if (ac->per_sample) {
    size_t n1 = 0;
    float *first = tu_run(m, 1, 1, c->input, &n1);
    char what[160];
    snprintf(what, sizeof what, "%s (batch 1)", c->name);
    cr_assert_eq(n1 * in_dims[0], n, "%s: %zu outputs", what, n1);
    assert_matches(what, first, c->expected, n1, ac->tol);
    free(first);
  }
  free(one);
  free(two);
  cnnrt_model_free(m);
}

/* One node 'act' of every op on a tensor big enough to be split into several parallel
 * blocks (element-wise) / planes (PReLU) / lines (softmax): any thread count gives the same
 * bits. */
Test(activations, threads_give_identical_bits) {
  static const char *const nodes[] = {
      "'op': 'ReLU6'",
      "'op': 'Tanh'",
      "'op': 'LeakyReLU', 'params': {'negative_slope': 0.1}",
      "'op': 'PReLU', 'params': {'num_parameters': 3}, "
      "'weights': {'weight': {'offset': 0, 'shape': [3]}}",
      "'op': 'PReLU', 'weights': {'weight': {'offset': 0, 'shape': [1]}}",
      "'op': 'ELU', 'params': {'alpha': 0.5}",
      "'op': 'CELU', 'params': {'alpha': 2.0}",
      "'op': 'SELU'",
      "'op': 'GELU'",
      "'op': 'GELU', 'params': {'approximate': 'tanh'}",
      "'op': 'SiLU'",
      "'op': 'Mish'",
      "'op': 'Hardswish'",
      "'op': 'Hardsigmoid'",
      "'op': 'Hardtanh', 'params': {'min_val': -0.5, 'max_val': 0.25}",
      "'op': 'Softplus', 'params': {'beta': 3.0, 'threshold': 2.0}",
      "'op': 'Softsign'",
      "'op': 'Threshold', 'params': {'threshold': 0.1, 'value': 7.0}",
      "'op': 'Softmax', 'params': {'dim': 1}",
      "'op': 'LogSoftmax', 'params': {'dim': -1}",
      "'op': 'Softmin', 'params': {'dim': 0}",
  };
  static const float weights[16] = {0.25f, -0.5f, 2.0f};
  const size_t count = 2 * 3 * 96 * 96; /* > 2 * ELEMENTWISE_BLOCK */
  float *in = tu_random_floats(count, 42);
  for (size_t i = 0; i < count; i++) in[i] *= 8.0f;
  for (size_t k = 0; k < TU_COUNT(nodes); k++) {
    char json[512];
    snprintf(json, sizeof json,
             "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin',"
             " 'input': {'name': 'x', 'shape': [2, 3, 96, 96]},"
             " 'nodes': [{'name': 'act', %s}]}",
             nodes[k]);
    cnnrt_model *m = tu_load(json, weights, sizeof weights);
    size_t n = 0;
    float *one = tu_run(m, 1, 2, in, &n);
    float *three = tu_run(m, 3, 2, in, NULL);
    cr_assert_eq(n, count);
    cr_assert(memcmp(one, three, n * sizeof *one) == 0, "%s: 3 threads differ from 1", nodes[k]);
    free(one);
    free(three);
    cnnrt_model_free(m);
  }
  free(in);
}

typedef struct {
  const char *node; /* the node's JSON after "'name': 'act', " (' for ") */
  cnnrt_status status;
  const char *text; /* must appear in the message */
} rejection;

/* What PyTorch refuses (or cnnrt cannot tell apart), with the field the message names. */
static const rejection rejections[] = {
    {"'op': 'Hardtanh', 'params': {'min_val': 1, 'max_val': 1}", CNNRT_ERR_FORMAT,
     "max_val must be greater than min_val"},
    {"'op': 'Hardtanh', 'params': {'min_val': 2.0}", CNNRT_ERR_FORMAT, "min_val=2, max_val=1"},
    {"'op': 'Hardtanh', 'params': {'max_value': -2.0}", CNNRT_ERR_FORMAT,
     "max_val must be greater than min_val"},
    {"'op': 'Hardtanh', 'params': {'min_val': 'a'}", CNNRT_ERR_FORMAT, "min_val must be a number"},
    {"'op': 'CELU', 'params': {'alpha': 0}", CNNRT_ERR_FORMAT, "alpha must not be 0"},
    {"'op': 'CELU', 'params': {'alpha': -0.0}", CNNRT_ERR_FORMAT, "alpha must not be 0"},
    {"'op': 'PReLU', 'params': {'num_parameters': 4}, "
     "'weights': {'weight': {'offset': 0, 'shape': [4]}}",
     CNNRT_ERR_SHAPE, "num_parameters=4 must be 1 or the input's channel count"},
    {"'op': 'PReLU', 'params': {'num_parameters': 0}, "
     "'weights': {'weight': {'offset': 0, 'shape': [1]}}",
     CNNRT_ERR_FORMAT, "num_parameters must be positive"},
    {"'op': 'PReLU', 'params': {'num_parameters': 1.5}, "
     "'weights': {'weight': {'offset': 0, 'shape': [1]}}",
     CNNRT_ERR_FORMAT, "num_parameters must be an integer"},
    {"'op': 'PReLU', 'weights': {'weight': {'offset': 0, 'shape': [3]}}", CNNRT_ERR_SHAPE,
     "weight 'weight' has shape [3], expected [1]"},
    {"'op': 'PReLU', 'params': {'num_parameters': 3}", CNNRT_ERR_FORMAT, "missing weight 'weight'"},
    {"'op': 'PReLU', 'params': {'init': 0.1}, 'weights': {'weight': {'offset': 0, 'shape': [1]},"
     " 'bias': {'offset': 0, 'shape': [1]}}",
     CNNRT_ERR_FORMAT, "unknown weight 'bias'"},
    {"'op': 'Threshold', 'params': {'threshold': 0.5}", CNNRT_ERR_FORMAT,
     "missing required parameter value"},
    {"'op': 'Threshold', 'params': {'threshold': 0.5, 'value': null}", CNNRT_ERR_FORMAT,
     "missing required parameter value"},
    {"'op': 'Threshold', 'params': {'value': 0.5}", CNNRT_ERR_FORMAT,
     "missing required parameter threshold"},
    {"'op': 'ELU', 'params': {'alpah': 1.0}", CNNRT_ERR_FORMAT, "unknown parameter 'alpah'"},
    {"'op': 'SELU', 'params': {'alpha': 1.0}", CNNRT_ERR_FORMAT, "unknown parameter 'alpha'"},
    {"'op': 'Sigmoid', 'params': {'inplace': true}", CNNRT_ERR_FORMAT,
     "unknown parameter 'inplace'"},
    {"'op': 'Tanh', 'params': {'inplace': false}", CNNRT_ERR_FORMAT, "unknown parameter 'inplace'"},
    {"'op': 'GELU', 'params': {'inplace': false}", CNNRT_ERR_FORMAT, "unknown parameter 'inplace'"},
    {"'op': 'Softplus', 'params': {'inplace': false}", CNNRT_ERR_FORMAT,
     "unknown parameter 'inplace'"},
    {"'op': 'Softsign', 'params': {'inplace': false}", CNNRT_ERR_FORMAT,
     "unknown parameter 'inplace'"},
    {"'op': 'GELU', 'params': {'approximate': 'erf'}", CNNRT_ERR_FORMAT,
     "approximate must be \"none\" or \"tanh\", got \"erf\""},
    {"'op': 'GELU', 'params': {'approximate': true}", CNNRT_ERR_FORMAT,
     "approximate must be a string"},
    {"'op': 'LeakyReLU', 'params': {'negative_slope': '0.1'}", CNNRT_ERR_FORMAT,
     "negative_slope must be a number"},
    {"'op': 'ReLU6', 'params': {'inplace': 1}", CNNRT_ERR_FORMAT, "inplace must be true or false"},
    {"'op': 'Softplus', 'params': {'beta': [1]}", CNNRT_ERR_FORMAT, "beta must be a number"},
    {"'op': 'Softmax', 'params': {'dim': 4}", CNNRT_ERR_SHAPE, "dim=4 is out of range"},
    {"'op': 'LogSoftmax', 'params': {'dim': -5}", CNNRT_ERR_SHAPE, "dim=-5 is out of range"},
    {"'op': 'Softmin', 'params': {'dim': 4}", CNNRT_ERR_SHAPE, "dim=4 is out of range"},
    {"'op': 'Softmin'", CNNRT_ERR_FORMAT, "missing required parameter dim"},
    {"'op': 'LogSoftmax', 'params': {'dim': null}", CNNRT_ERR_FORMAT,
     "missing required parameter dim"},
    {"'op': 'LogSoftmax', 'params': {'dim': 1.5}", CNNRT_ERR_FORMAT, "dim must be an integer"},
    {"'op': 'Softmin', 'params': {'dim': [1, 2]}", CNNRT_ERR_FORMAT, "dim must be one integer"},
};

ParameterizedTestParameters(activations, rejected) {
  TU_ROW_PARAMS(rejections);
}

ParameterizedTest(size_t *row, activations, rejected) {
  static const float weights[16] = {0.25f};
  const rejection *r = &rejections[*row];
  char json[512], op[64] = "(";
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin',"
           " 'input': {'name': 'x', 'shape': [1, 3, 4, 4]}, 'nodes': [{'name': 'act', %s}]}",
           r->node);
  /* The message names the node and its op: "... 'act' (Hardtanh): ..." */
  sscanf(r->node, "'op': '%60[A-Za-z0-9]", op + 1);
  strcat(op, ")");
  cnnrt_model *m = NULL;
  cnnrt_status st = tu_try_load(json, weights, sizeof weights, &m);
  tu_assert_error(r->node, st, r->status, r->text, op);
  cr_assert_null(m);
}

/* PReLU's channel dim is dim 1 of any rank: after Flatten that is the feature count. */
Test(activations, prelu_after_flatten_matches_features) {
  static const float weights[16] = {0.5f};
  const char *ok = "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin',"
                   " 'input': {'name': 'x', 'shape': [1, 1, 2, 2]},"
                   " 'nodes': [{'name': 'f', 'op': 'Flatten'}, {'name': 'act', 'op': 'PReLU',"
                   " 'params': {'num_parameters': 4},"
                   " 'weights': {'weight': {'offset': 0, 'shape': [4]}}}]}";
  const char *bad = "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin',"
                    " 'input': {'name': 'x', 'shape': [1, 4, 1, 1]},"
                    " 'nodes': [{'name': 'f', 'op': 'Flatten', 'params': {'start_dim': 0}},"
                    " {'name': 'act', 'op': 'PReLU', 'params': {'num_parameters': 4},"
                    " 'weights': {'weight': {'offset': 0, 'shape': [4]}}}]}";
  cnnrt_model *m = tu_load(ok, weights, sizeof weights);
  const float in[4] = {-1.0f, -2.0f, 3.0f, -4.0f};
  float *out = tu_run(m, 1, 1, in, NULL);
  const float want[4] = {-0.5f, 0.0f, 3.0f, 0.0f}; /* weights 0.5, 0, 0, 0 */
  for (int i = 0; i < 4; i++) cr_assert_eq(out[i], want[i], "out[%d] = %g", i, out[i]);
  free(out);
  cnnrt_model_free(m);
  /* A 1-D input has one channel in PyTorch, so only num_parameters=1 fits it. */
  m = NULL;
  tu_assert_error("PReLU(4) on a 1-D input", tu_try_load(bad, weights, sizeof weights, &m),
                  CNNRT_ERR_SHAPE, "channel count (dim 1 of [4]: 1)", NULL);
}
