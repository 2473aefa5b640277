/* The depthwise conv path (SIMD kernels where the CPU has them, and the portable kernels
 * forced with gemm_force_portable) against the direct path (plain sums of products) on the
 * same weights: 3x3 and 5x5 at stride 1 and 2 (the AVX2 kernels), band remainders, column
 * tiles of wide rows, channel multipliers, dilation, uneven kernels and strides, 'same'
 * padding, geometries too big for the band buffer, batch, fused clamps, the small-plane
 * kernel (channel tails) and the column kernels on the same small planes; bit-identical
 * for any thread count. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/conv2d_internal.h"
#include "ops/gemm.h"
#include "runtime/graph.h"
#include "tests/test_util.h"

typedef struct {
  int c, mult, h, w, kh, kw, sh, sw, ph, pw, dh, dw, batch;
  bool bias, same;
  const char *act; /* NULL, "ReLU" or "ReLU6" (fused into the conv) */
} dw_case;

static const dw_case cases[] = {
    /* the AVX2 kernels: 4-row bands and 2 + 1 row remainders, partial vectors */
    {8, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, "ReLU6"},
    {5, 1, 15, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, true, false, NULL},
    {4, 1, 9, 23, 5, 5, 1, 1, 2, 2, 1, 1, 2, false, false, "ReLU"},
    {3, 1, 17, 17, 5, 5, 2, 2, 2, 2, 1, 1, 1, true, false, "ReLU6"},
    {6, 1, 7, 7, 3, 3, 1, 1, 0, 0, 1, 1, 1, true, false, NULL},
    {4, 1, 8, 8, 3, 3, 2, 2, 0, 0, 1, 1, 1, true, false, NULL},
    {3, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 1, 3, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1, true, false, NULL},
    {2, 1, 4, 6, 5, 5, 2, 2, 2, 2, 1, 1, 1, true, false, NULL},
    {3, 1, 6, 6, 3, 3, 1, 1, 3, 2, 1, 1, 1, true, false, NULL}, /* padding > kernel / 2 */
    {3, 1, 11, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, true, NULL},
    /* rows under 8 and under 4 columns, outputs under 4 columns, padding of 8 and more */
    {2, 1, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 1, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 1, 9, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1, true, false, NULL},
    {1, 1, 2, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, true, false, NULL},
    {2, 1, 4, 4, 3, 3, 1, 1, 9, 9, 1, 1, 1, true, false, NULL},
    {2, 1, 5, 12, 3, 3, 2, 2, 8, 8, 1, 1, 1, true, false, NULL},
    {2, 1, 7, 30, 5, 5, 1, 1, 0, 0, 1, 1, 1, true, false, NULL},
    {32, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, "ReLU6"},
    /* channel multipliers */
    {3, 2, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 3, 11, 9, 5, 5, 2, 2, 2, 2, 1, 1, 2, true, false, "ReLU"},
    /* wide rows: several column tiles */
    {2, 1, 5, 1500, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 1, 6, 1203, 5, 5, 2, 2, 2, 2, 1, 1, 1, true, false, "ReLU6"},
    /* the portable kernel on any CPU: dilation, uneven kernels and strides, stride 3 */
    {3, 1, 12, 13, 3, 3, 1, 1, 2, 2, 2, 2, 1, true, false, NULL},
    {3, 1, 12, 13, 3, 5, 2, 1, 1, 2, 1, 1, 1, true, false, "ReLU"},
    {2, 2, 16, 17, 3, 3, 3, 3, 1, 1, 1, 1, 1, true, false, NULL},
    {2, 1, 13, 14, 4, 4, 1, 1, 0, 0, 1, 1, 1, false, true, NULL}, /* 'same', uneven split */
    {2, 1, 9, 700, 7, 7, 1, 2, 3, 3, 1, 3, 1, true, false, NULL},
    /* the small-plane kernel (8 channels per vector): channel tails, batch, 5x5, stride 2,
     * 'same' padding, the largest plane it takes at stride 1 (1024 pixels) and the first
     * it does not, bands of rows at stride 2 (the last one shorter) */
    {13, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 2, true, false, "ReLU6"},
    {16, 1, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1, false, false, NULL},
    {20, 1, 14, 13, 5, 5, 1, 1, 2, 2, 1, 1, 2, true, false, "ReLU"},
    {9, 1, 15, 11, 5, 5, 2, 2, 2, 2, 1, 1, 1, true, false, NULL},
    {8, 1, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {8, 1, 32, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, NULL},
    {3, 1, 62, 62, 5, 5, 2, 2, 2, 2, 1, 1, 1, true, false, "ReLU6"},
    {9, 1, 113, 112, 3, 3, 2, 2, 1, 1, 1, 1, 2, true, false, NULL},
    {4, 1, 90, 300, 5, 5, 2, 2, 2, 2, 1, 1, 1, false, false, "ReLU"},
    {11, 1, 10, 9, 3, 3, 2, 2, 0, 0, 1, 1, 1, true, false, NULL},
    {10, 1, 12, 12, 3, 3, 1, 1, 0, 0, 1, 1, 1, true, true, NULL},
    {7, 1, 1, 2, 5, 5, 1, 1, 3, 2, 1, 1, 1, true, false, NULL},
    /* too big for the band buffer: the generic path */
    {2, 1, 90, 90, 3, 3, 1, 1, 40, 40, 40, 40, 1, true, false, NULL},
    {1, 1, 8, 300, 3, 3, 1, 200, 1, 1, 1, 1, 1, true, false, NULL},
};

static void describe(const dw_case *c, size_t row, char *buf, size_t size) {
  snprintf(buf, size, "case %zu (%dx%d ch, %dx%d in, k %dx%d, s %dx%d, p %dx%d, d %dx%d, batch %d)",
           row, c->c, c->mult, c->h, c->w, c->kh, c->kw, c->sh, c->sw, c->ph, c->pw, c->dh, c->dw,
           c->batch);
}

/* The model of one case (tu_load_conv); blob in *blob (caller frees). */
static cnnrt_model *load_case(const dw_case *c, float **blob) {
  tu_conv_spec s = {.batch = c->batch, .in_c = c->c, .out_c = c->c * c->mult, .h = c->h, .w = c->w};
  s.kh = c->kh, s.kw = c->kw, s.sh = c->sh, s.sw = c->sw, s.ph = c->ph, s.pw = c->pw;
  s.dh = c->dh, s.dw = c->dw, s.groups = c->c, s.same = c->same, s.bias = c->bias, s.act = c->act;
  s.seed = (uint64_t)(c->c * 1000 + c->kh * 10 + c->sh);
  return tu_load_conv(&s, blob);
}

ParameterizedTestParameters(depthwise, matches_direct) {
  TU_ROW_PARAMS(cases);
}

ParameterizedTest(size_t *row, depthwise, matches_direct) {
  const dw_case *c = &cases[*row];
  size_t in_count = (size_t)(c->batch * c->c * c->h * c->w), n_dw, n_direct;
  float *input = tu_random_floats(in_count, 11), *blob_dw, *blob_d;
  char what[192], name[160];
  describe(c, *row, name, sizeof name);
  cnnrt_model *dw = load_case(c, &blob_dw);
  cr_assert_eq(((const conv2d_params *)dw->nodes[0].params)->path, CONV_DEPTHWISE,
               "%s does not take the depthwise path", name);
  setenv("CNNRT_CONV_PATH", "direct", 1);
  cnnrt_model *direct = load_case(c, &blob_d);
  unsetenv("CNNRT_CONV_PATH");
  cr_assert_eq(((const conv2d_params *)direct->nodes[0].params)->path, CONV_DIRECT);
  float *want = tu_run(direct, 1, (size_t)c->batch, input, &n_direct);
  /* SIMD kernels (small planes: 8 channels per vector), SIMD column kernels, portable */
  static const char *const kernels[] = {"SIMD", "SIMD columns", "portable"};
  float *simd = NULL;
  for (int k = 0; k < 3; k++) {
    gemm_force_portable(k == 2);
    depthwise_force_column_kernel(k == 1);
    float *first = NULL;
    for (int threads = 1; threads <= 3; threads++) {
      float *got = tu_run(dw, threads, (size_t)c->batch, input, &n_dw);
      cr_assert_eq(n_dw, n_direct);
      snprintf(what, sizeof what, "%s, %s, %d threads", name, kernels[k], threads);
      tu_assert_close(what, got, want, n_dw);
      if (!first)
        first = got;
      else {
        cr_assert(memcmp(got, first, n_dw * sizeof *got) == 0,
                  "%s: differs from the 1-thread result", what);
        free(got);
      }
    }
    if (k > 0) {
      snprintf(what, sizeof what, "%s, %s vs SIMD", name, kernels[k]);
      tu_assert_close(what, first, simd, n_dw);
      free(first);
    } else
      simd = first;
  }
  depthwise_force_column_kernel(false);
  gemm_force_portable(false);
  free(simd), free(want), free(input), free(blob_dw), free(blob_d);
  cnnrt_model_free(dw);
  cnnrt_model_free(direct);
}
