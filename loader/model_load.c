/* Model loading entry points: file or memory -> parsed, validated, shape-checked model. */
#include <stdlib.h>
#include <string.h>
#include "loader/json_util.h"
#include "loader/loader.h"
#include "runtime/checked.h"
#include "runtime/limits.h"

/* "line L, column C" of a byte offset in text. */
static void locate(const char *text, size_t offset, size_t *line, size_t *column) {
  *line = 1;
  *column = 1;
  for (size_t i = 0; i < offset; i++) {
    if (text[i] == '\n')
      (*line)++, *column = 1;
    else
      (*column)++;
  }
}

static cnnrt_status parse_json(const char *json, size_t len, const err_ctx *e, cJSON **root) {
  const char *end = NULL;
  *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
  if (*root) {
    /* cJSON stops after the first value: only whitespace (or a NUL) may follow it. */
    size_t at = (size_t)(end - json), line, column;
    while (at < len &&
           (json[at] == ' ' || json[at] == '\t' || json[at] == '\r' || json[at] == '\n'))
      at++;
    if (at == len || json[at] == '\0') return CNNRT_OK;
    cJSON_Delete(*root);
    *root = NULL;
    locate(json, at, &line, &column);
    return err_set(e, CNNRT_ERR_FORMAT,
                   "invalid JSON at line %zu, column %zu: text after the end of the model", line,
                   column);
  }
  /* cJSON's error pointer is a global; only trust it when it points into our text. */
  const char *at = cJSON_GetErrorPtr();
  if (at && at >= json && at <= json + len) {
    size_t line, column;
    locate(json, (size_t)(at - json), &line, &column);
    return err_set(e, CNNRT_ERR_FORMAT, "invalid JSON at line %zu, column %zu", line, column);
  }
  return err_set(e, CNNRT_ERR_FORMAT, "invalid JSON");
}

static cnnrt_status check_format(const cJSON *root, const err_ctx *e) {
  static const char *const keys[] = {"format",     "version", "weights", "input", "output",
                                     "preprocess", "labels",  "nodes",   NULL};
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
  int64_t v;
  if (!cJSON_IsObject(root))
    return err_set(e, CNNRT_ERR_FORMAT, "the top level must be a JSON object, got %s",
                   json_type_name(root));
  if (!cJSON_IsString(format) || strcmp(format->valuestring, "cnnrt") != 0)
    return err_set(e, CNNRT_ERR_FORMAT, "'format' must be \"cnnrt\": not a cnnrt model file?");
  if (!json_as_int(version, &v))
    return err_set(e, CNNRT_ERR_FORMAT, "'version' must be an integer, got %s",
                   json_type_name(version));
  if (v != CNNRT_FORMAT_VERSION)
    return err_set(e, CNNRT_ERR_UNSUPPORTED,
                   "format version %lld is not supported (this "
                   "cnnrt reads version %d)",
                   (long long)v, CNNRT_FORMAT_VERSION);
  return json_check_keys(root, keys, "the model", e);
}

/* Output rows must match the labels, one label per output feature (when "labels" is
 * present at all: an empty array is a mismatch too). */
static cnnrt_status check_labels(const cJSON *root, const cnnrt_model *m, const err_ctx *e) {
  const shape *out = &m->value_shapes[m->output_value];
  size_t features = shape_numel(out) / m->input_shape.dim[0];
  if (cJSON_GetObjectItemCaseSensitive(root, "labels") && m->label_count != features)
    return err_set(e, CNNRT_ERR_SHAPE,
                   "'labels' has %zu entries but the output has %zu "
                   "features per sample",
                   m->label_count, features);
  return CNNRT_OK;
}

static cnnrt_status build_model(const cJSON *root, const blob_source *blob, cnnrt_model *m,
                                const err_ctx *e) {
  bool has_blob;
  cnnrt_status st;
  if ((st = check_format(root, e)) || (st = loader_read_input(root, m, e)) ||
      (st = loader_read_preprocess(root, m, e)) || (st = loader_read_labels(root, m, e)) ||
      (st = loader_read_blob(root, blob, m, &has_blob, e)) ||
      (st = loader_read_nodes(root, m, has_blob, e)))
    return st;
  if (!(m->value_shapes = calloc(m->node_count + 1, sizeof *m->value_shapes)))
    return err_set(e, CNNRT_ERR_MEMORY, "out of memory");
  /* Shapes first: fusion sizes its buffers from parameters (BatchNorm2d's num_features)
   * that only shape inference checks against real tensors. Fusion changes no shape. */
  if ((st = graph_infer(m, m->input_shape.dim[0], m->value_shapes, NULL)) || (st = graph_fuse(m)) ||
      (st = graph_prepare(m)))
    return st;
  return check_labels(root, m, e);
}

cnnrt_status loader_parse(const char *json, size_t json_len, const char *source,
                          const blob_source *blob, cnnrt_model **out) {
  cnnrt_model *m = calloc(1, sizeof *m);
  if (!m || !(m->source = strdup(source))) {
    free(m);
    return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory loading %s", source);
  }
  err_ctx e = err_ctx_file(m->source);
  cJSON *root = NULL;
  cnnrt_status st = parse_json(json, json_len, &e, &root);
  if (st == CNNRT_OK) st = build_model(root, blob, m, &e);
  cJSON_Delete(root);
  if (st != CNNRT_OK) {
    graph_free(m);
    return st;
  }
  *out = m;
  return CNNRT_OK;
}

cnnrt_status cnnrt_model_load(const char *json_path, cnnrt_model **out) {
  if (!json_path || !out)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_model_load: %s is NULL",
                   json_path ? "out" : "json_path");
  *out = NULL;
  char *json = NULL, *dir = strdup(json_path);
  size_t len = 0;
  if (!dir) return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory");
  char *slash = strrchr(dir, '/');
  if (slash)
    slash[slash == dir ? 1 : 0] = '\0'; /* "/m.json" -> "/", "a/m.json" -> "a" */
  else
    dir[0] = '\0';
  cnnrt_status st = loader_read_file(json_path, CNNRT_LIMIT_MODEL_BYTES, "model file", &json, &len);
  if (st == CNNRT_OK) {
    blob_source blob = {dir, NULL, 0};
    st = loader_parse(json, len, json_path, &blob, out);
  }
  free(json);
  free(dir);
  return st;
}

cnnrt_status cnnrt_model_load_memory(const char *json, size_t json_len, const void *weights,
                                     size_t weights_len, cnnrt_model **out) {
  if (!json || !out || (!weights && weights_len > 0))
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_model_load_memory: %s is NULL",
                   !json  ? "json"
                   : !out ? "out"
                          : "weights (with weights_len > 0)");
  *out = NULL;
  err_ctx e = err_ctx_file("<memory>");
  cnnrt_status st = limit_check(CNNRT_LIMIT_MODEL_BYTES, json_len, &e, "the model JSON");
  if (st != CNNRT_OK) return st;
  blob_source blob = {NULL, weights, weights_len};
  return loader_parse(json, json_len, "<memory>", &blob, out);
}
