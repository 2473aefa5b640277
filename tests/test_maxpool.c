/* MaxPool2d against PyTorch (tests/golden/golden_pool.h), NaN propagation. */
#include <math.h>
#include <stdlib.h>
#include "tests/golden/golden_pool.h"
#include "tests/test_util.h"

ParameterizedTestParameters(pool, golden) {
  TU_ROW_PARAMS(golden_pool);
}

ParameterizedTest(size_t *row, pool, golden) {
  tu_check_golden(&golden_pool[*row], 1);
  tu_check_golden(&golden_pool[*row], 2);
}

/* torch.max_pool2d propagates NaN: a window holding one is NaN, the others are not. */
Test(pool, nan_propagates) {
  cnnrt_model *m = tu_load("{'format': 'cnnrt', 'version': 1,"
                           " 'input': {'name': 'x', 'shape': [1, 1, 4, 4]},"
                           " 'nodes': [{'name': 'p', 'op': 'MaxPool2d',"
                           "            'params': {'kernel_size': 2}}]}",
                           NULL, 0);
  float in[16];
  for (int i = 0; i < 16; i++) in[i] = (float)i;
  in[0] = NAN;  /* window (0, 0), before larger values */
  in[15] = NAN; /* window (1, 1), after them */
  size_t n = 0;
  float *out = tu_run(m, 1, 1, in, &n);
  cr_assert_eq(n, 4);
  cr_assert(isnan(out[0]), "window with a leading NaN gave %g", out[0]);
  cr_assert_eq(out[1], 7.0f);
  cr_assert_eq(out[2], 13.0f);
  cr_assert(isnan(out[3]), "window with a trailing NaN gave %g", out[3]);
  free(out);
  cnnrt_model_free(m);
}

/* -inf everywhere stays -inf (padding never contributes a value). */
Test(pool, all_minus_infinity) {
  cnnrt_model *m = tu_load("{'format': 'cnnrt', 'version': 1,"
                           " 'input': {'name': 'x', 'shape': [1, 1, 3, 3]},"
                           " 'nodes': [{'name': 'p', 'op': 'MaxPool2d',"
                           "            'params': {'kernel_size': 3, 'stride': 1, 'padding': 1}}]}",
                           NULL, 0);
  float in[9];
  for (int i = 0; i < 9; i++) in[i] = -INFINITY;
  float *out = tu_run(m, 1, 1, in, NULL);
  for (int i = 0; i < 9; i++) cr_assert(isinf(out[i]) && out[i] < 0, "out[%d] = %g", i, out[i]);
  free(out);
  cnnrt_model_free(m);
}
