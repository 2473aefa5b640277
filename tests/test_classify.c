/* Ranking and probabilities: cnnrt_top_k (ties, NaN, k edge cases) and
 * cnnrt_probabilities for logit and Softmax-ended models. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/test_util.h"

typedef struct {
  const char *name;
  float scores[8];
  size_t n, k;
  size_t want[8];
} top_k_case;

static const top_k_case top_k_cases[] = {
    {"descending", {0.1f, 0.5f, 0.2f, 0.9f, -1.0f}, 5, 5, {3, 1, 2, 0, 4}},
    {"k = 1", {0.1f, 0.5f, 0.2f, 0.9f, -1.0f}, 5, 1, {3}},
    {"k = 0", {1.0f}, 1, 0, {0}},
    {"n = k = 0", {0}, 0, 0, {0}},
    {"ties keep the lower index first", {2, 1, 2, 3, 2, 1}, 6, 6, {3, 0, 2, 4, 1, 5}},
    {"all equal", {7, 7, 7, 7}, 4, 3, {0, 1, 2}},
    {"NaN ranks last", {NAN, 1.0f, NAN, -INFINITY, 2.0f}, 5, 5, {4, 1, 3, 0, 2}},
    {"NaN dropped when k is small", {NAN, 1.0f, NAN, 0.0f}, 4, 2, {1, 3}},
    {"infinities", {-INFINITY, INFINITY, 0.0f, INFINITY}, 4, 3, {1, 3, 2}},
    {"negative zero ties zero", {-0.0f, 0.0f, -1.0f}, 3, 3, {0, 1, 2}},
    {"last element wins", {1, 2, 3, 4, 5, 6, 7, 8}, 8, 2, {7, 6}},
};

ParameterizedTestParameters(classify, top_k) {
  TU_ROW_PARAMS(top_k_cases);
}

ParameterizedTest(size_t *row, classify, top_k) {
  const top_k_case *c = &top_k_cases[*row];
  size_t got[8] = {99, 99, 99, 99, 99, 99, 99, 99};
  cr_assert_eq(cnnrt_top_k(c->scores, c->n, c->k, got), CNNRT_OK, "%s: %s", c->name,
               cnnrt_last_error());
  for (size_t i = 0; i < c->k; i++)
    cr_assert_eq(got[i], c->want[i], "%s: rank %zu is index %zu, want %zu", c->name, i, got[i],
                 c->want[i]);
  for (size_t i = c->k; i < 8; i++) cr_assert_eq(got[i], 99, "%s: wrote past k at %zu", c->name, i);
}

static cnnrt_model *model_ending_in(const char *last_op) {
  char json[512];
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [1, 1, 1, 4]},"
           " 'nodes': [{'name': 'last', 'op': '%s'%s}]}",
           last_op, strcmp(last_op, "Softmax") == 0 ? ", 'params': {'dim': -1}" : "");
  return tu_load(json, NULL, 0);
}

Test(classify, probabilities_of_logits) {
  cnnrt_model *m = model_ending_in("ReLU");
  cr_assert_eq(cnnrt_model_output_is_probability(m), 0);
  const float logits[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  float p[4];
  cr_assert_eq(cnnrt_probabilities(m, logits, p, 4), CNNRT_OK);
  double sum = 0, denom = 0;
  for (int i = 0; i < 4; i++) denom += exp(logits[i]);
  for (int i = 0; i < 4; i++) {
    cr_assert_float_eq(p[i], exp(logits[i]) / denom, 1e-6, "p[%d] = %g", i, p[i]);
    sum += p[i];
  }
  cr_assert_float_eq(sum, 1.0, 1e-6);
  const float huge[4] = {1e4f, -1e4f, 1e4f, 0.0f};
  cr_assert_eq(cnnrt_probabilities(m, huge, p, 4), CNNRT_OK);
  cr_assert(p[0] == 0.5f && p[1] == 0.0f && p[2] == 0.5f && p[3] == 0.0f,
            "huge logits: %g %g %g %g", p[0], p[1], p[2], p[3]);
  /* in place */
  float row[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  cr_assert_eq(cnnrt_probabilities(m, row, row, 4), CNNRT_OK);
  for (int i = 0; i < 4; i++) cr_assert_float_eq(row[i], 0.25f, 1e-7);
  cnnrt_model_free(m);
}

Test(classify, probabilities_of_a_softmax_model_are_copied) {
  cnnrt_model *m = model_ending_in("Softmax");
  cr_assert_eq(cnnrt_model_output_is_probability(m), 1);
  const float row[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  float p[4];
  cr_assert_eq(cnnrt_probabilities(m, row, p, 4), CNNRT_OK);
  cr_assert_arr_eq(p, row, sizeof row, "a Softmax output must be passed through unchanged");
  cnnrt_model_free(m);
}

/* The shipped models end in Linear: logits. */
Test(classify, shipped_models_give_logits) {
  const char *paths[2] = {TU_FASHION_JSON, TU_TUDUI_JSON};
  for (int i = 0; i < 2; i++) {
    cnnrt_model *m = tu_load_file(paths[i]);
    cr_assert_eq(cnnrt_model_output_is_probability(m), 0, "%s", paths[i]);
    cnnrt_model_free(m);
  }
}
