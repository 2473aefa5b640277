/* Shared helpers of the C test suite: models built in memory, runs, comparisons, golden
 * cases, temporary files. Every helper that asserts names what it was checking. */
#ifndef CNNRT_TESTS_TEST_UTIL_H
#define CNNRT_TESTS_TEST_UTIL_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stddef.h>
#include <stdint.h>
#include "cnnrt.h"

/* A path inside the source tree, as a string literal. */
#define TU_SOURCE(relative) CNNRT_SOURCE_DIR "/" relative
#define TU_FASHION_JSON TU_SOURCE("models/fashion_mnist/model.json")
#define TU_TUDUI_JSON TU_SOURCE("models/tudui_cifar10/model.json")

#define TU_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Body of a ParameterizedTestParameters function giving one test per table row: the
 * parameter is the row index (plain data, safe to hand to Criterion's test workers). */
#define TU_ROW_PARAMS(table)                                                                       \
  static size_t tu_rows_[TU_COUNT(table)];                                                         \
  for (size_t tu_i_ = 0; tu_i_ < TU_COUNT(table); tu_i_++) tu_rows_[tu_i_] = tu_i_;                \
  return cr_make_param_array(size_t, tu_rows_, TU_COUNT(table))

/* One op-level case computed by PyTorch (tests/golden/make_golden.py). */
typedef struct {
  const char *name;
  const char *json; /* model JSON text */
  const float *weights;
  size_t weights_bytes;
  const float *input;
  size_t input_count;
  const float *expected;
  size_t expected_count;
  int rank;
  size_t shape[6];
} golden_case;

/* JSON written with ' for " (readable in C source) turned into real JSON; caller frees. */
char *tu_json(const char *quoted);

/* Loads a model from tu_json(quoted) and a blob (NULL/0: none). */
cnnrt_status tu_try_load(const char *quoted, const void *blob, size_t blob_bytes,
                         cnnrt_model **out);
/* The same, asserting success (the message shows cnnrt_last_error). */
cnnrt_model *tu_load(const char *quoted, const void *blob, size_t blob_bytes);
cnnrt_model *tu_load_file(const char *path);

/* One Conv2d, optionally followed by a BatchNorm2d (folded into it at load) and an
 * activation (fused), for the kernel tests that compare conv paths on the same weights. */
typedef struct {
  int batch, in_c, out_c, h, w;
  int kh, kw, sh, sw, ph, pw, dh, dw, groups;
  bool same;        /* padding 'same' instead of ph, pw */
  const char *mode; /* padding_mode; NULL: zeros */
  bool bias, bn;
  const char *act; /* NULL, or the op after the conv ("ReLU", "ReLU6") */
  uint64_t seed;
} tu_conv_spec;

/* Loads the model of s with weights uniform in [-1, 1) (BatchNorm variances in [0.5, 1.5));
 * its blob in *blob (caller frees). */
cnnrt_model *tu_load_conv(const tu_conv_spec *s, float **blob);

/* Runs input through a fresh session (threads, batch); returns the malloc'ed output,
 * its float count in *count (may be NULL). Asserts every step. */
float *tu_run(const cnnrt_model *m, int threads, size_t batch, const float *input, size_t *count);

/* Deterministic pseudo-random numbers (xorshift64*). */
uint64_t tu_rand(uint64_t *state);
/* Uniform in [lo, hi). */
double tu_uniform(uint64_t *state, double lo, double hi);
/* count floats uniform in [-1, 1); caller frees. */
float *tu_random_floats(size_t count, uint64_t seed);

/* Asserts max |got - want| <= 1e-5 * max(1, max |want|); what names the case. */
void tu_assert_close(const char *what, const float *got, const float *want, size_t n);

/* Loads a golden case from memory, checks the output shape and values with threads. */
void tu_check_golden(const golden_case *c, int threads);

/* Temporary files: a fresh directory, files in it, and its removal (one level deep). */
char *tu_temp_dir(void);
char *tu_write_file(const char *dir, const char *name, const void *data, size_t len);
void tu_remove_dir(const char *dir);
/* Whole file into malloc'ed memory (asserts). */
unsigned char *tu_read_file(const char *path, size_t *len);

/* Asserts that status is want and that cnnrt_last_error() contains every non-NULL text. */
void tu_assert_error(const char *what, cnnrt_status status, cnnrt_status want, const char *text1,
                     const char *text2);

#endif
