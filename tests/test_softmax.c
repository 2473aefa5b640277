/* Softmax against PyTorch (tests/golden/golden_softmax.h: every dim from -4 to 3), huge
 * logits, infinities and NaN. */
#include <math.h>
#include <stdlib.h>
#include "tests/golden/golden_softmax.h"
#include "tests/test_util.h"

ParameterizedTestParameters(softmax, golden) {
  TU_ROW_PARAMS(golden_softmax);
}

ParameterizedTest(size_t *row, softmax, golden) {
  tu_check_golden(&golden_softmax[*row], 1);
  tu_check_golden(&golden_softmax[*row], 2);
}

static cnnrt_model *row_softmax(void) {
  return tu_load("{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [1, 1, 2, 4]},"
                 " 'nodes': [{'name': 's', 'op': 'Softmax', 'params': {'dim': -1}}]}",
                 NULL, 0);
}

/* exp(1e4) overflows float: the maximum must be subtracted first. */
Test(softmax, huge_logits_no_nan) {
  cnnrt_model *m = row_softmax();
  const float in[8] = {1e4f, -1e4f, 0.0f, 1e4f, -1e4f, -1e4f, -2e4f, -1e4f};
  float *out = tu_run(m, 1, 1, in, NULL);
  const float want[8] = {0.5f, 0.0f, 0.0f, 0.5f, 1.0f / 3, 1.0f / 3, 0.0f, 1.0f / 3};
  for (int i = 0; i < 8; i++)
    cr_assert_float_eq(out[i], want[i], 1e-6, "out[%d] = %g, want %g", i, out[i], want[i]);
  free(out);
  cnnrt_model_free(m);
}

/* Like torch: -inf gets probability 0; a NaN poisons its own row only. */
Test(softmax, infinities_and_nan) {
  cnnrt_model *m = row_softmax();
  const float in[8] = {-INFINITY, 0.0f, -INFINITY, 0.0f, 1.0f, NAN, 2.0f, 3.0f};
  float *out = tu_run(m, 1, 1, in, NULL);
  const float want[4] = {0.0f, 0.5f, 0.0f, 0.5f};
  for (int i = 0; i < 4; i++) cr_assert_float_eq(out[i], want[i], 1e-6, "out[%d] = %g", i, out[i]);
  for (int i = 4; i < 8; i++) cr_assert(isnan(out[i]), "out[%d] = %g, want NaN", i, out[i]);
  free(out);
  cnnrt_model_free(m);
}

Test(softmax, marks_the_model_as_probabilities) {
  cnnrt_model *m = row_softmax();
  cr_assert_eq(cnnrt_model_output_is_probability(m), 1);
  cnnrt_model_free(m);
}
