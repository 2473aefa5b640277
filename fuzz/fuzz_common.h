/* Shared by the fuzz targets: how a fuzz input becomes a model, and the limits that keep
 * every execution small and fast (a finding is a crash, a sanitizer report, a hang or an
 * allocation over libFuzzer's -malloc_limit_mb, never "this model is big").
 *
 * A model input is the JSON text, optionally followed by a NUL byte and a little-endian
 * 32-bit blob size in bytes (at most FUZZ_BLOB_MAX). Without that trailer the blob is
 * FUZZ_BLOB_DEFAULT bytes, enough for the shipped models' offsets. The blob's content is
 * fixed (small positive floats): weight values decide nothing a fuzzer should spend time
 * on, and BatchNorm2d's running_var must be >= 0. */
#ifndef CNNRT_FUZZ_COMMON_H
#define CNNRT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "cnnrt.h"

#define FUZZ_BLOB_DEFAULT ((size_t)1 << 20)
#define FUZZ_BLOB_MAX ((size_t)2 << 20)

/* A violated API contract is a finding too. */
#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) __builtin_trap();                                                                 \
  } while (0)

static inline const float *fuzz_blob(void) {
  static float blob[FUZZ_BLOB_MAX / sizeof(float)];
  static int ready;
  if (!ready) {
    for (size_t i = 0; i < sizeof blob / sizeof *blob; i++)
      blob[i] = 0.001f + (float)(i % 89) * 0.0011f;
    ready = 1;
  }
  return blob;
}

/* Splits an input into JSON length and blob size. */
static inline void fuzz_split(const uint8_t *data, size_t size, size_t *json_len,
                              size_t *blob_len) {
  const uint8_t *nul = memchr(data, 0, size);
  *json_len = nul ? (size_t)(nul - data) : size;
  *blob_len = FUZZ_BLOB_DEFAULT;
  if (nul && size - *json_len >= 5) {
    const uint8_t *p = nul + 1;
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    *blob_len = v % (FUZZ_BLOB_MAX + 1);
  }
}

/* Limits for fuzzing: small tensors, arenas and images, so that every input runs in
 * milliseconds (and anything larger must be refused before it is allocated). */
static inline void fuzz_set_limits(void) {
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 256 << 10) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_ARENA_BYTES, 4 << 20) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 1 << 20) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_NODES, 512) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 256) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_MODEL_BYTES, 1 << 20) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_WEIGHTS_BYTES, FUZZ_BLOB_MAX) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_BYTES, 4 << 20) == CNNRT_OK);
}

/* What every failing call must leave: no model, a message naming the source. */
static inline void fuzz_check_failure(const char *source) {
  const char *msg = cnnrt_last_error();
  FUZZ_CHECK(msg[0] != '\0');
  FUZZ_CHECK(strncmp(msg, source, strlen(source)) == 0);
}

/* The model of a fuzz input (JSON up to the first NUL byte, the blob size after it), the
 * fuzz limits set on the first call; NULL, after checking what the failure left, when it
 * does not load. */
static inline cnnrt_model *fuzz_load(const uint8_t *data, size_t size, size_t *json_len) {
  static int ready;
  if (!ready) {
    fuzz_set_limits();
    ready = 1;
  }
  size_t blob_len;
  fuzz_split(data, size, json_len, &blob_len);
  cnnrt_model *m = (cnnrt_model *)&m; /* must come back NULL on failure */
  if (cnnrt_model_load_memory((const char *)data, *json_len, fuzz_blob(), blob_len, &m) == CNNRT_OK)
    return m;
  FUZZ_CHECK(m == NULL);
  fuzz_check_failure("<memory>");
  return NULL;
}

/* Walks the introspection API of a loaded model (every call must be safe). */
static inline void fuzz_introspect(const cnnrt_model *m) {
  size_t dims[8];
  int rank = 0;
  FUZZ_CHECK(cnnrt_model_input_shape(m, dims) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_model_output_shape(m, dims, 8, &rank) == CNNRT_OK);
  FUZZ_CHECK(cnnrt_model_input_count(m) > 0 && cnnrt_model_output_count(m) > 0);
  for (size_t i = 0; i < cnnrt_model_label_count(m); i++)
    FUZZ_CHECK(cnnrt_model_label(m, i) != NULL);
  size_t nodes = cnnrt_model_node_count(m);
  FUZZ_CHECK(nodes > 0);
  for (size_t i = 0; i < nodes; i++) {
    FUZZ_CHECK(cnnrt_model_node_name(m, i) && cnnrt_model_node_op(m, i) &&
               cnnrt_model_node_kernel(m, i));
    FUZZ_CHECK(cnnrt_model_node_shape(m, i, dims, 8, &rank) == CNNRT_OK);
    (void)cnnrt_model_node_is_fused(m, i);
    (void)cnnrt_model_node_param_count(m, i);
    (void)cnnrt_model_node_macs(m, i);
  }
  (void)cnnrt_model_output_is_probability(m);
}

#endif
