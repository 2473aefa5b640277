/* The cache-blocked GEMM conv path against the direct path (plain sums of products) on the
 * same weights, for shapes that exercise its blocking: several k blocks (in_channels x kH x
 * kW > 384), several pixel blocks, partial panels, panels spanning output rows, strides,
 * dilation, every padding mode, groups, the in-place pointwise case, panels read in place
 * from the band (one output row each, full or partial), output-channel shares
 * (few pixels, several threads), batch and fused ReLU; with the SIMD and portable kernels.
 * Output channels that are not a multiple of 6 test the kernels' partial row panels. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "runtime/graph.h"
#include "tests/test_util.h"

typedef struct {
  int in_c, out_c, h, w, k, stride, pad, dilation, groups, batch;
  const char *mode;
  bool relu;
} gemm_case;

static const gemm_case cases[] = {
    {70, 24, 9, 11, 3, 1, 1, 1, 1, 1, "zeros", false},      /* k 630: two k blocks */
    {64, 40, 7, 7, 3, 2, 1, 1, 1, 2, "zeros", true},        /* stride 2, 4x4 map, batch */
    {300, 50, 5, 9, 1, 1, 0, 1, 1, 1, "zeros", false},      /* pointwise, partial panel */
    {40, 36, 30, 33, 5, 1, 2, 1, 1, 1, "reflect", false},   /* k 1000, many pixel blocks */
    {8, 12, 40, 50, 3, 1, 3, 2, 1, 1, "circular", true},    /* dilation, wide band */
    {96, 30, 14, 14, 3, 1, 1, 1, 2, 1, "replicate", false}, /* groups, k 432 per group */
    {512, 96, 3, 3, 3, 1, 1, 1, 1, 1, "zeros", false},      /* k 4608, 9 pixels: shares */
    {3, 64, 37, 29, 7, 2, 3, 1, 1, 1, "zeros", true},       /* a ResNet stem */
    {256, 64, 7, 7, 1, 2, 0, 1, 1, 1, "zeros", false},      /* strided 1x1: not in place */
    {24, 20, 17, 19, 3, 3, 2, 2, 1, 1, "reflect", false},   /* stride 3 phases, dilation */
    {16, 18, 15, 16, 5, 2, 2, 1, 1, 2, "circular", true},   /* stride 2, wrapped padding */
    {3, 32, 32, 32, 5, 1, 2, 1, 1, 2, "zeros", true},       /* rows of whole panels: implicit */
    {5, 14, 9, 40, 3, 2, 1, 1, 1, 1, "replicate", false},   /* implicit, 4-column panels */
    {64, 30, 3, 43, 1, 1, 0, 1, 1, 1, "zeros", true},       /* pointwise in place, 1 column */
    {24, 130, 12, 12, 1, 1, 0, 1, 1, 2, "zeros", false},    /* pointwise, many rows: packed */
    {40, 20, 7, 7, 3, 1, 1, 1, 1, 2, "zeros", false},       /* 7x7: the one-column tail */
    {64, 24, 7, 7, 3, 1, 1, 1, 1, 1, "zeros", true},        /* the tail over two k blocks */
    {6, 10, 23, 21, 3, 2, 0, 1, 1, 1, "zeros", true},       /* stride 2, no padding, odd width */
    {4, 12, 16, 17, 3, 2, 1, 1, 1, 1, "reflect", false},    /* stride 2, pad 1: pairs split */
    {5, 8, 20, 31, 3, 2, 2, 2, 1, 1, "zeros", false},       /* stride 2, dilation, even pad */
    {3, 16, 10, 230, 3, 2, 1, 1, 1, 1, "replicate", false}, /* stride 2, wide rows */
};

/* The model of one case (tu_load_conv); blob in *blob (caller frees). */
static cnnrt_model *load_case(const gemm_case *c, float **blob) {
  tu_conv_spec s = {.batch = c->batch, .in_c = c->in_c, .out_c = c->out_c, .h = c->h, .w = c->w};
  s.kh = s.kw = c->k, s.sh = s.sw = c->stride, s.ph = s.pw = c->pad;
  s.dh = s.dw = c->dilation, s.groups = c->groups, s.mode = c->mode, s.bias = true;
  s.act = c->relu ? "ReLU" : NULL, s.seed = (uint64_t)(c->in_c * 1000 + c->out_c);
  return tu_load_conv(&s, blob);
}

ParameterizedTestParameters(conv_gemm, matches_direct) {
  TU_ROW_PARAMS(cases);
}

ParameterizedTest(size_t *row, conv_gemm, matches_direct) {
  const gemm_case *c = &cases[*row];
  size_t in_count = (size_t)(c->batch * c->in_c * c->h * c->w), n_gemm, n_direct;
  float *input = tu_random_floats(in_count, 11), *blob_g, *blob_d;
  setenv("CNNRT_CONV_PATH", "gemm", 1);
  cnnrt_model *gemm = load_case(c, &blob_g);
  setenv("CNNRT_CONV_PATH", "direct", 1);
  cnnrt_model *direct = load_case(c, &blob_d);
  unsetenv("CNNRT_CONV_PATH");
  cr_assert_eq(((const conv2d_params *)gemm->nodes[0].params)->path, CONV_GEMM,
               "case %zu does not take the GEMM path", *row);
  cr_assert_eq(((const conv2d_params *)direct->nodes[0].params)->path, CONV_DIRECT);
  float *want = tu_run(direct, 1, (size_t)c->batch, input, &n_direct);
  float *first = NULL;
  for (int pass = 0; pass < 4; pass++) {
    int threads = pass % 2 ? 3 : 1;
    bool portable = pass >= 2;
    gemm_force_portable(portable);
    float *got = tu_run(gemm, threads, (size_t)c->batch, input, &n_gemm);
    cr_assert_eq(n_gemm, n_direct);
    char what[128];
    snprintf(what, sizeof what, "case %zu (%d->%d, %dx%d, k%d s%d), %d threads, %s kernel", *row,
             c->in_c, c->out_c, c->h, c->w, c->k, c->stride, threads,
             portable ? "portable" : "default");
    tu_assert_close(what, got, want, n_gemm);
    if (pass % 2) /* the thread count (and the output-channel split) changes no bit */
      cr_assert(memcmp(got, first, n_gemm * sizeof(float)) == 0, "%s differs from 1 thread", what);
    else
      free(first), first = got;
    if (pass % 2) free(got);
  }
  gemm_force_portable(false);
  free(first), free(want), free(input), free(blob_g), free(blob_d);
  cnnrt_model_free(gemm);
  cnnrt_model_free(direct);
}

/* Every micro-kernel (6 x 16 tile, half tile, one column over 4 row panels) sums a column
 * in k order from the same start, so a column's bits do not depend on which kernel the
 * panel's width picks, nor on splitting k into blocks: 29 rows (a partial row panel, 4 + 1
 * panels for the column kernel), k = 300, bias and clamp. */
Test(conv_gemm, kernels_agree_bit_for_bit) {
  enum { M = 29, K = 300 };
  float *a = tu_random_floats(M * K, 3), *b = tu_random_floats(K * GEMM_NR, 4);
  float *bias = tu_random_floats(M, 5), *packed = malloc(gemm_packed_a_floats(M, K) * 4);
  gemm_pack_a(a, K, M, K, packed);
  gemm_epilogue ep = {bias, NULL, -0.5f, 2.0f};
  static const size_t widths[] = {16, 9, 8, 3, 2, 1};
  float want[M][GEMM_NR], got[M][GEMM_NR];
  gemm_panel(packed, M, K, b, &ep, &want[0][0], GEMM_NR, GEMM_NR);
  for (size_t w = 1; w < TU_COUNT(widths); w++) {
    memset(got, 0, sizeof got);
    gemm_panel(packed, M, K, b, &ep, &got[0][0], GEMM_NR, widths[w]);
    for (size_t r = 0; r < M; r++)
      cr_assert(memcmp(got[r], want[r], widths[w] * sizeof(float)) == 0,
                "row %zu: %zu columns differ from the full tile", r, widths[w]);
  }
  /* two k blocks (150 + 150) accumulated by gemm_block, full and narrow panels */
  for (size_t w = 0; w < TU_COUNT(widths); w++) {
    memset(got, 0, sizeof got);
    gemm_b_panel panel = {b, GEMM_NR, NULL, &got[0][0], widths[w]};
    gemm_block(packed, GEMM_MR * K, M, 150, &panel, 1, &ep, true, false, GEMM_NR);
    panel.b = b + 150 * GEMM_NR;
    gemm_block(packed + 150 * GEMM_MR, GEMM_MR * K, M, 150, &panel, 1, &ep, false, true, GEMM_NR);
    for (size_t r = 0; r < M; r++)
      cr_assert(memcmp(got[r], want[r], widths[w] * sizeof(float)) == 0,
                "row %zu: %zu columns in two k blocks differ from one pass", r, widths[w]);
  }
  free(a), free(b), free(bias), free(packed);
}
