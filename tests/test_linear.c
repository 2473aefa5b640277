/* Linear against PyTorch (tests/golden/golden_linear.h), counts. */
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
