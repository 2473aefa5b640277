/* The Winograd F(4x4, 3x3) and F(2x2, 5x5) conv paths against the direct path (plain sums
 * of products) on the same weights: shapes with partial edge tiles, padding, batch, fused
 * ReLU; the AVX2 and the portable code (gemm_force_portable), each bit-identical at 1 and 3
 * threads. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "runtime/graph.h"
#include "tests/test_util.h"

typedef struct {
  int k, in_c, out_c, h, w, pad, batch;
  bool bias, relu;
} wino_case;

static const wino_case cases[] = {
    {3, 16, 16, 8, 8, 1, 1, true, false},   {3, 16, 32, 7, 9, 1, 2, true, true},
    {3, 32, 16, 5, 5, 0, 1, false, false},  {3, 17, 33, 13, 6, 1, 3, true, false},
    {3, 48, 24, 3, 3, 1, 1, true, true},    {3, 16, 64, 30, 31, 1, 1, true, false},
    {3, 64, 64, 14, 14, 1, 2, false, true}, {3, 20, 16, 4, 17, 0, 1, true, false},
    {5, 16, 16, 8, 8, 2, 1, true, false},   {5, 32, 32, 16, 16, 2, 2, true, true},
    {5, 16, 32, 7, 9, 2, 2, true, true},    {5, 32, 16, 9, 9, 0, 1, false, false},
    {5, 17, 33, 13, 6, 1, 3, true, false},  {5, 48, 24, 5, 5, 2, 1, true, true},
    {5, 32, 64, 8, 8, 2, 2, true, false},   {5, 16, 64, 31, 30, 2, 1, true, false},
    {5, 20, 16, 6, 17, 0, 1, true, false},  {5, 64, 64, 3, 3, 2, 3, false, true},
};

/* A Conv2d (+ ReLU) model of one case with random weights; blob in *blob (caller frees). */
static cnnrt_model *load_case(const wino_case *c, float **blob) {
  size_t weights = (size_t)(c->out_c * c->in_c * c->k * c->k),
         bias_at = (weights * 4 + 63) / 64 * 64;
  size_t floats = bias_at / 4 + (size_t)c->out_c;
  *blob = tu_random_floats(floats, (uint64_t)(c->in_c * 1000 + c->out_c * 10 + c->k));
  char bias[128] = "", json[2048];
  if (c->bias)
    snprintf(bias, sizeof bias, ", 'bias': {'offset': %zu, 'shape': [%d]}", bias_at, c->out_c);
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin', 'input': {'name': 'input', "
           "'shape': [%d, %d, %d, %d]}, 'nodes': [{'name': 'conv', 'op': 'Conv2d', 'params': "
           "{'in_channels': %d, 'out_channels': %d, 'kernel_size': %d, 'padding': %d, 'bias': %s}, "
           "'weights': {'weight': {'offset': 0, 'shape': [%d, %d, %d, %d]}%s}}%s]}",
           c->batch, c->in_c, c->h, c->w, c->in_c, c->out_c, c->k, c->pad,
           c->bias ? "true" : "false", c->out_c, c->in_c, c->k, c->k, bias,
           c->relu ? ", {'name': 'relu', 'op': 'ReLU'}" : "");
  return tu_load(json, *blob, floats * sizeof(float));
}

ParameterizedTestParameters(winograd, matches_direct) {
  TU_ROW_PARAMS(cases);
}

ParameterizedTest(size_t *row, winograd, matches_direct) {
  const wino_case *c = &cases[*row];
  size_t in_count = (size_t)(c->batch * c->in_c * c->h * c->w), n_wino, n_direct;
  float *input = tu_random_floats(in_count, 7), *blob_w, *blob_d;
  setenv("CNNRT_CONV_PATH", "winograd", 1); /* small maps would otherwise take GEMM */
  cnnrt_model *wino = load_case(c, &blob_w);
  cr_assert_eq(((const conv2d_params *)wino->nodes[0].params)->path, CONV_WINOGRAD,
               "case %zu does not take the Winograd path", *row);
  setenv("CNNRT_CONV_PATH", "direct", 1);
  cnnrt_model *direct = load_case(c, &blob_d);
  unsetenv("CNNRT_CONV_PATH");
  cr_assert_eq(((const conv2d_params *)direct->nodes[0].params)->path, CONV_DIRECT);
  float *want = tu_run(direct, 1, (size_t)c->batch, input, &n_direct);
  for (int portable = 0; portable < 2; portable++) {
    gemm_force_portable(portable);
    float *first = NULL;
    for (int threads = 1; threads <= 3; threads += 2) {
      float *got = tu_run(wino, threads, (size_t)c->batch, input, &n_wino);
      cr_assert_eq(n_wino, n_direct);
      char what[128];
      snprintf(what, sizeof what, "case %zu (k %d, %d->%d, %dx%d, pad %d), %s, %d threads", *row,
               c->k, c->in_c, c->out_c, c->h, c->w, c->pad, portable ? "portable" : "SIMD",
               threads);
      tu_assert_close(what, got, want, n_wino);
      if (!first)
        first = got;
      else {
        cr_assert(memcmp(got, first, n_wino * sizeof *got) == 0,
                  "%s: differs from the 1-thread result", what);
        free(got);
      }
    }
    free(first);
  }
  gemm_force_portable(false);
  free(want), free(input), free(blob_w), free(blob_d);
  cnnrt_model_free(wino);
  cnnrt_model_free(direct);
}
