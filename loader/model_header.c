/* The top-level sections of model.json other than nodes and weights. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "loader/json_util.h"
#include "loader/loader.h"
#include "runtime/checked.h"

/* Keeps every dimension far below anything that could overflow a product of a few. */
#define MAX_INPUT_DIM ((int64_t)1 << 24)

cnnrt_status loader_read_input(const cJSON *root, cnnrt_model *m, const err_ctx *e) {
  static const char *const keys[] = {"name", "shape", NULL};
  const cJSON *input = cJSON_GetObjectItemCaseSensitive(root, "input");
  const char *name;
  cnnrt_status st;
  if (!cJSON_IsObject(input))
    return err_set(e, CNNRT_ERR_FORMAT, "'input' must be an object {name, shape}, got %s",
                   json_type_name(input));
  if ((st = json_check_keys(input, keys, "input", e)) ||
      (st = json_string_field(input, "name", "input", &name, e)))
    return st;
  const cJSON *dims = cJSON_GetObjectItemCaseSensitive(input, "shape"), *el;
  if (!cJSON_IsArray(dims) || cJSON_GetArraySize(dims) != 4)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "input.shape must be an array [N, C, H, W] of 4 "
                   "positive integers");
  int i = 0;
  m->input_shape.rank = 4;
  cJSON_ArrayForEach(el, dims) {
    int64_t v;
    if (!json_as_int(el, &v) || v < 1 || v > MAX_INPUT_DIM) {
      char got[64];
      json_describe(el, got, sizeof got);
      return err_set(e, CNNRT_ERR_FORMAT,
                     "input.shape[%d] must be an integer from 1 to %" PRId64 ", got %s", i,
                     MAX_INPUT_DIM, got);
    }
    m->input_shape.dim[i++] = (size_t)v;
  }
  size_t count;
  if (!shape_count(&m->input_shape, &count) || !mul_size(count, sizeof(float), &count))
    return err_set(e, CNNRT_ERR_SHAPE, "input.shape is too large");
  m->input_name = strdup(name);
  return m->input_name ? CNNRT_OK : err_set(e, CNNRT_ERR_MEMORY, "out of memory");
}

/* Reads an array of exactly n numbers into out (or leaves out alone when absent). */
static cnnrt_status read_channel_values(const cJSON *pre, const char *key, int n, bool positive,
                                        float *out, const err_ctx *e) {
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(pre, key), *el;
  if (!arr) return CNNRT_OK;
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "preprocess.%s must be an array of %d numbers (one per "
                   "input channel)",
                   key, n);
  int i = 0;
  cJSON_ArrayForEach(el, arr) {
    if (!cJSON_IsNumber(el) || (positive && !(el->valuedouble > 0)))
      return err_set(e, CNNRT_ERR_FORMAT, "preprocess.%s[%d] must be a %snumber", key, i,
                     positive ? "positive " : "");
    out[i++] = (float)el->valuedouble;
  }
  return CNNRT_OK;
}

cnnrt_status loader_read_preprocess(const cJSON *root, cnnrt_model *m, const err_ctx *e) {
  static const char *const keys[] = {"color", "scale", "mean", "std", NULL};
  const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "preprocess");
  preprocess_spec *p = &m->preprocess;
  const char *color;
  cnnrt_status st;
  if (!pre) return CNNRT_OK;
  if (!cJSON_IsObject(pre))
    return err_set(e, CNNRT_ERR_FORMAT, "'preprocess' must be an object, got %s",
                   json_type_name(pre));
  if ((st = json_check_keys(pre, keys, "preprocess", e)) ||
      (st = json_string_field(pre, "color", "preprocess", &color, e)))
    return st;
  if (strcmp(color, "rgb") == 0)
    p->channels = 3;
  else if (strcmp(color, "gray") == 0)
    p->channels = 1;
  else
    return err_set(e, CNNRT_ERR_FORMAT, "preprocess.color must be 'rgb' or 'gray', got '%s'",
                   color);
  if ((size_t)p->channels != m->input_shape.dim[1])
    return err_set(e, CNNRT_ERR_SHAPE,
                   "preprocess.color '%s' gives %d channel(s) but "
                   "input.shape has C = %zu",
                   color, p->channels, m->input_shape.dim[1]);
  const cJSON *scale = cJSON_GetObjectItemCaseSensitive(pre, "scale");
  if (scale && !cJSON_IsNumber(scale))
    return err_set(e, CNNRT_ERR_FORMAT, "preprocess.scale must be a number, got %s",
                   json_type_name(scale));
  p->scale = scale ? (float)scale->valuedouble : 1.0f / 255.0f;
  for (int c = 0; c < p->channels; c++) p->mean[c] = 0.0f, p->std[c] = 1.0f;
  if ((st = read_channel_values(pre, "mean", p->channels, false, p->mean, e)) ||
      (st = read_channel_values(pre, "std", p->channels, true, p->std, e)))
    return st;
  m->has_preprocess = true;
  return CNNRT_OK;
}

cnnrt_status loader_read_labels(const cJSON *root, cnnrt_model *m, const err_ctx *e) {
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(root, "labels"), *el;
  if (!labels) return CNNRT_OK;
  if (!cJSON_IsArray(labels))
    return err_set(e, CNNRT_ERR_FORMAT, "'labels' must be an array of strings, got %s",
                   json_type_name(labels));
  size_t n = (size_t)cJSON_GetArraySize(labels), i = 0;
  if (n == 0) return CNNRT_OK;
  m->labels = calloc(n, sizeof *m->labels);
  if (!m->labels) return err_set(e, CNNRT_ERR_MEMORY, "out of memory reading labels");
  cJSON_ArrayForEach(el, labels) {
    if (!cJSON_IsString(el))
      return err_set(e, CNNRT_ERR_FORMAT, "labels[%zu] must be a string, got %s", i,
                     json_type_name(el));
    if (!(m->labels[i] = strdup(el->valuestring)))
      return err_set(e, CNNRT_ERR_MEMORY, "out of memory reading labels");
    m->label_count = ++i;
  }
  return CNNRT_OK;
}
