/* Internal entry points of the loader (model.json + weight blob -> cnnrt_model). */
#ifndef CNNRT_LOADER_LOADER_H
#define CNNRT_LOADER_LOADER_H

#include <cjson/cJSON.h>
#include "runtime/graph.h"

/* Where the weight blob comes from. */
typedef struct {
  const char *json_dir; /* directory of model.json ("" = cwd), NULL when loading from memory */
  const void *bytes;    /* memory loading: the blob (may be NULL when len is 0) */
  size_t len;
} blob_source;

/* Parses a model from JSON text; source names it in messages. */
cnnrt_status loader_parse(const char *json, size_t json_len, const char *source,
                          const blob_source *blob, cnnrt_model **out);

/* Top-level sections: input, preprocess, labels (in loader/model_header.c). */
cnnrt_status loader_read_input(const cJSON *root, cnnrt_model *m, const err_ctx *e);
cnnrt_status loader_read_preprocess(const cJSON *root, cnnrt_model *m, const err_ctx *e);
cnnrt_status loader_read_labels(const cJSON *root, cnnrt_model *m, const err_ctx *e);

/* The weight blob named by the model, read into m->blob (in loader/blob.c). */
cnnrt_status loader_read_blob(const cJSON *root, const blob_source *src, cnnrt_model *m,
                              bool *has_blob, const err_ctx *e);

/* The nodes: names, ops, inputs, execution order, parameters (in loader/model_nodes.c). */
cnnrt_status loader_read_nodes(const cJSON *root, cnnrt_model *m, bool has_blob, const err_ctx *e);

/* Reads a whole regular file into a 64-byte aligned, NUL-terminated buffer (free() it).
 * A file larger than the limit is refused before anything is read; so are directories,
 * FIFOs and devices (never blocking on them). Messages name the path and what it is
 * ("model file", "image", ...). */
cnnrt_status loader_read_file(const char *path, cnnrt_limit limit, const char *what, char **data,
                              size_t *len);

#endif
