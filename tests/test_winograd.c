/* The Winograd conv variants, F(2x2, 3x3), F(4x4, 3x3) and F(6x6, 3x3) for every 3x3 case,
 * F(2x2, 5x5) and F(4x4, 5x5) for every 5x5 one, against the direct path (plain sums of
 * products) on the same weights: shapes with partial edge tiles, samples of fewer tiles than
 * a panel (panels spanning samples, over several blocks) or with a last panel of few tiles
 * (the narrow GEMM), channels not multiples of 6, 8 or 16, padding, batch, bias or none,
 * fused ReLU, a folded BatchNorm; the AVX2 and the portable code (gemm_force_portable), each
 * bit-identical at 1 and 3 threads, and each sample the same alone as in its batch. */
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
  bool bias, relu, bn;
} wino_case;

static const wino_case cases[] = {
    {3, 16, 16, 8, 8, 1, 1, true, false, false},    {3, 16, 32, 7, 9, 1, 2, true, true, false},
    {3, 32, 16, 5, 5, 0, 1, false, false, false},   {3, 17, 33, 13, 6, 1, 3, true, false, false},
    {3, 48, 24, 3, 3, 1, 1, true, true, false},     {3, 16, 64, 30, 31, 1, 1, true, false, false},
    {3, 64, 64, 14, 14, 1, 2, false, true, false},  {3, 20, 16, 4, 17, 0, 1, true, false, false},
    {3, 24, 40, 36, 36, 1, 1, true, false, false},  {3, 19, 21, 25, 19, 1, 2, false, false, true},
    {3, 16, 16, 12, 12, 1, 5, true, true, true},    {3, 33, 18, 1, 1, 1, 9, true, false, false},
    {3, 40, 24, 18, 24, 0, 2, false, true, false},  {3, 16, 30, 38, 10, 1, 1, true, false, true},
    {3, 16, 16, 12, 12, 1, 30, true, false, false}, /* spanning panels over several blocks */
    {5, 16, 16, 8, 8, 2, 1, true, false, false},    {5, 32, 32, 16, 16, 2, 2, true, true, false},
    {5, 16, 32, 7, 9, 2, 2, true, true, false},     {5, 32, 16, 9, 9, 0, 1, false, false, false},
    {5, 17, 33, 13, 6, 1, 3, true, false, false},   {5, 48, 24, 5, 5, 2, 1, true, true, false},
    {5, 32, 64, 8, 8, 2, 2, true, false, false},    {5, 16, 64, 31, 30, 2, 1, true, false, false},
    {5, 20, 16, 6, 17, 0, 1, true, false, false},   {5, 64, 64, 3, 3, 2, 3, false, true, false},
    {5, 32, 32, 32, 32, 2, 2, true, true, true},    {5, 24, 20, 24, 12, 2, 1, false, false, true},
    {5, 18, 26, 2, 2, 2, 11, true, false, false},   {5, 40, 16, 21, 19, 2, 3, true, true, false},
    {5, 16, 17, 10, 26, 1, 4, false, false, true},
};

/* The variants of a case's kernel (CNNRT_WINOGRAD_TILE: their output tile sides). */
static const struct {
  int k;
  const char *tile;
  wino_variant variant;
} variants[] = {{3, "4", WINO_F4_3},
                {3, "6", WINO_F6_3},
                {3, "2", WINO_F2_3},
                {5, "2", WINO_F2_5},
                {5, "4", WINO_F4_5}};

/* The model of one case (tu_load_conv); blob in *blob (caller frees). */
static cnnrt_model *load_case(const wino_case *c, float **blob) {
  tu_conv_spec s = {.batch = c->batch, .in_c = c->in_c, .out_c = c->out_c, .h = c->h, .w = c->w};
  s.kh = s.kw = c->k, s.sh = s.sw = 1, s.ph = s.pw = c->pad, s.dh = s.dw = 1, s.groups = 1;
  s.bias = c->bias, s.bn = c->bn, s.act = c->relu ? "ReLU" : NULL;
  s.seed = (uint64_t)(c->in_c * 1000 + c->out_c * 10 + c->k);
  return tu_load_conv(&s, blob);
}

ParameterizedTestParameters(winograd, matches_direct) {
  TU_ROW_PARAMS(cases);
}

/* One case against the direct path for each variant of its kernel. */
ParameterizedTest(size_t *row, winograd, matches_direct) {
  const wino_case *c = &cases[*row];
  size_t in_count = (size_t)(c->batch * c->in_c * c->h * c->w), n_wino, n_direct;
  float *input = tu_random_floats(in_count, 7), *blob_d;
  setenv("CNNRT_CONV_PATH", "direct", 1);
  cnnrt_model *direct = load_case(c, &blob_d);
  unsetenv("CNNRT_CONV_PATH");
  cr_assert_eq(((const conv2d_params *)direct->nodes[0].params)->path, CONV_DIRECT);
  float *want = tu_run(direct, 1, (size_t)c->batch, input, &n_direct);
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
    if (variants[v].k != c->k) continue;
    float *blob_w;
    setenv("CNNRT_CONV_PATH", "winograd", 1); /* small maps would otherwise take GEMM */
    setenv("CNNRT_WINOGRAD_TILE", variants[v].tile, 1);
    cnnrt_model *wino = load_case(c, &blob_w);
    unsetenv("CNNRT_CONV_PATH");
    unsetenv("CNNRT_WINOGRAD_TILE");
    const conv2d_params *p = wino->nodes[0].params;
    cr_assert_eq(p->path, CONV_WINOGRAD, "case %zu does not take the Winograd path", *row);
    cr_assert_eq(p->wino, variants[v].variant, "case %zu: not the variant asked for", *row);
    for (int portable = 0; portable < 2; portable++) {
      gemm_force_portable(portable);
      float *first = NULL;
      for (int threads = 1; threads <= 3; threads += 2) {
        float *got = tu_run(wino, threads, (size_t)c->batch, input, &n_wino);
        cr_assert_eq(n_wino, n_direct);
        char what[160];
        snprintf(what, sizeof what,
                 "case %zu (k %d, %d->%d, %dx%d, pad %d, batch %d), tile %s, %s, %d threads", *row,
                 c->k, c->in_c, c->out_c, c->h, c->w, c->pad, c->batch, variants[v].tile,
                 portable ? "portable" : "SIMD", threads);
        tu_assert_close(what, got, want, n_wino);
        if (threads == 1 && c->batch > 1) /* a sample alone: the same bits as in the batch */
          for (size_t s = 0; s < (size_t)c->batch; s += (size_t)c->batch - 1) {
            size_t in_n = in_count / (size_t)c->batch, out_n = n_wino / (size_t)c->batch;
            float *alone = tu_run(wino, 1, 1, input + s * in_n, NULL);
            cr_assert(memcmp(alone, got + s * out_n, out_n * sizeof *got) == 0,
                      "%s: sample %zu alone differs from the batch", what, s);
            free(alone);
          }
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
    free(blob_w);
    cnnrt_model_free(wino);
  }
  free(want), free(input), free(blob_d);
  cnnrt_model_free(direct);
}
