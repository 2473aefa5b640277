/* The attr_reader the ops parse from: a node's "params" and "weights" JSON objects, with
 * weight references bounds-checked against the blob and every key that was read recorded,
 * so that keys an op does not know are reported instead of silently ignored. */
#ifndef CNNRT_LOADER_ATTR_JSON_H
#define CNNRT_LOADER_ATTR_JSON_H

#include <cjson/cJSON.h>
#include "ops/op.h"

#define ATTR_JSON_MAX_KEYS 64

typedef struct {
  attr_reader reader;
  const cJSON *params;  /* may be NULL */
  const cJSON *weights; /* may be NULL */
  const float *blob;
  size_t blob_bytes;
  bool has_blob_file;        /* false: the model names no weights file */
  struct cnnrt_model *model; /* owner of alloc_floats memory */
  /* which members were read, by position */
  bool params_read[ATTR_JSON_MAX_KEYS];
  bool weights_read[ATTR_JSON_MAX_KEYS];
  size_t weight_floats; /* total floats of the weights read */
} attr_json;

/* Sets up r over the node's objects; fails if either is not an object or is too large. */
cnnrt_status attr_json_init(attr_json *r, const cJSON *params, const cJSON *weights,
                            const float *blob, size_t blob_bytes, bool has_blob_file,
                            const err_ctx *e);

/* After the op parsed: fails naming the first params or weights key nobody read. */
cnnrt_status attr_json_check_all_read(const attr_json *r, const char *op_name, const err_ctx *e);

#endif
