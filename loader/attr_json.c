#include "loader/attr_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "loader/json_util.h"
#include "runtime/checked.h"
#include "runtime/graph.h"
#include "runtime/limits.h"

#define WEIGHT_ALIGNMENT 64

/* Finds key in obj and marks it read; NULL when absent. JSON null counts as absent. */
static const cJSON *take(const cJSON *obj, bool *read, const char *key) {
  size_t i = 0;
  const cJSON *item;
  if (!obj) return NULL;
  cJSON_ArrayForEach(item, obj) {
    if (item->string && strcmp(item->string, key) == 0) {
      read[i] = true;
      return cJSON_IsNull(item) ? NULL : item;
    }
    i++;
  }
  return NULL;
}

static const attr_json *impl_of(const attr_reader *a) {
  return a->impl;
}

static cnnrt_status read_ints(const attr_reader *a, const char *key, int64_t *vals, int max_count,
                              int *count, bool *present, const err_ctx *e) {
  attr_json *r = (attr_json *)impl_of(a);
  const cJSON *item = take(r->params, r->params_read, key);
  *present = item != NULL;
  if (!item) return CNNRT_OK;
  if (json_as_int(item, &vals[0])) {
    *count = 1;
    return CNNRT_OK;
  }
  if (!cJSON_IsArray(item))
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be an integer%s, got %s", key,
                   max_count > 1 ? " or an array of integers" : "", json_type_name(item));
  int n = cJSON_GetArraySize(item), i = 0;
  if (max_count == 1 || n < 1 || n > max_count) {
    if (max_count > 2)
      return err_set(e, CNNRT_ERR_FORMAT, "%s must be an array of 1 to %d integers, got %d", key,
                     max_count, n);
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be %s, got an array of %d", key,
                   max_count == 1 ? "one integer" : "an integer or a pair [h, w]", n);
  }
  const cJSON *el;
  cJSON_ArrayForEach(el, item) {
    if (cJSON_IsNull(el)) { /* PyTorch's None inside a tuple, e.g. output_size=(None, 7) */
      vals[i++] = ATTR_NONE;
      continue;
    }
    if (!json_as_int(el, &vals[i]))
      return err_set(e, CNNRT_ERR_FORMAT, "%s[%d] must be an integer, got %s", key, i,
                     json_type_name(el));
    i++;
  }
  *count = n;
  return CNNRT_OK;
}

static cnnrt_status read_number(const attr_reader *a, const char *key, double *val, bool *present,
                                const err_ctx *e) {
  attr_json *r = (attr_json *)impl_of(a);
  const cJSON *item = take(r->params, r->params_read, key);
  *present = item != NULL;
  if (!item) return CNNRT_OK;
  if (!cJSON_IsNumber(item))
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be a number, got %s", key, json_type_name(item));
  *val = item->valuedouble;
  return CNNRT_OK;
}

static cnnrt_status read_boolean(const attr_reader *a, const char *key, bool *val, bool *present,
                                 const err_ctx *e) {
  attr_json *r = (attr_json *)impl_of(a);
  const cJSON *item = take(r->params, r->params_read, key);
  *present = item != NULL;
  if (!item) return CNNRT_OK;
  if (!cJSON_IsBool(item))
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be true or false, got %s", key,
                   json_type_name(item));
  *val = cJSON_IsTrue(item);
  return CNNRT_OK;
}

static bool read_is_string(const attr_reader *a, const char *key) {
  const attr_json *r = impl_of(a);
  return r->params && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r->params, key));
}

static cnnrt_status read_string(const attr_reader *a, const char *key, const char **val,
                                bool *present, const err_ctx *e) {
  attr_json *r = (attr_json *)impl_of(a);
  const cJSON *item = take(r->params, r->params_read, key);
  *present = item != NULL;
  if (!item) return CNNRT_OK;
  if (!cJSON_IsString(item))
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be a string, got %s", key, json_type_name(item));
  *val = item->valuestring;
  return CNNRT_OK;
}

/* Reads "shape": an array of 1..CNNRT_MAX_RANK positive integers. */
static cnnrt_status weight_shape(const cJSON *item, const char *key, shape *s, const err_ctx *e) {
  const cJSON *dims = cJSON_GetObjectItemCaseSensitive(item, "shape");
  int n = cJSON_IsArray(dims) ? cJSON_GetArraySize(dims) : -1;
  if (n < 1 || n > CNNRT_MAX_RANK)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "weights.%s.shape must be an array of 1 to %d positive integers", key,
                   CNNRT_MAX_RANK);
  const cJSON *el;
  int i = 0;
  s->rank = n;
  cJSON_ArrayForEach(el, dims) {
    int64_t v;
    if (!json_as_int(el, &v) || v < 1 || v > (int64_t)1 << 40)
      return err_set(e, CNNRT_ERR_FORMAT, "weights.%s.shape[%d] must be a positive integer", key,
                     i);
    s->dim[i++] = (size_t)v;
  }
  return CNNRT_OK;
}

static cnnrt_status read_weight(const attr_reader *a, const char *key, weight_ref *w, bool *present,
                                const err_ctx *e) {
  static const char *const keys[] = {"offset", "shape", NULL};
  attr_json *r = (attr_json *)impl_of(a);
  const cJSON *item = take(r->weights, r->weights_read, key);
  int64_t offset;
  size_t count, bytes, end;
  cnnrt_status st;
  *present = item != NULL;
  if (!item) return CNNRT_OK;
  if (!cJSON_IsObject(item))
    return err_set(e, CNNRT_ERR_FORMAT, "weights.%s must be an object {offset, shape}, got %s", key,
                   json_type_name(item));
  if ((st = json_check_keys(item, keys, "a weight", e))) return st;
  if ((st = weight_shape(item, key, &w->shape, e))) return st;
  if (!json_as_int(cJSON_GetObjectItemCaseSensitive(item, "offset"), &offset) || offset < 0)
    return err_set(e, CNNRT_ERR_FORMAT, "weights.%s.offset must be a non-negative integer", key);
  if (offset % WEIGHT_ALIGNMENT != 0)
    return err_set(e, CNNRT_ERR_FORMAT, "weights.%s.offset %" PRId64 " is not a multiple of %d",
                   key, offset, WEIGHT_ALIGNMENT);
  if (!r->has_blob_file)
    return err_set(e, CNNRT_ERR_FORMAT, "weights.%s: the model names no \"weights\" file", key);
  char what[96];
  snprintf(what, sizeof what, "weights.%s", key);
  if ((st = limit_check_tensor(&w->shape, e, what))) return st;
  if (!shape_count(&w->shape, &count) || !mul_size(count, sizeof(float), &bytes) ||
      !add_size((size_t)offset, bytes, &end) || end > r->blob_bytes)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "weights.%s (offset %" PRId64 ", %zu floats) runs past the end of the "
                   "weight blob (%zu bytes): truncated or wrong blob?",
                   key, offset, count, r->blob_bytes);
  w->data = r->blob + (size_t)offset / sizeof(float);
  r->weight_floats += count;
  return CNNRT_OK;
}

static float *alloc_floats(const attr_reader *a, size_t count) {
  const attr_json *r = impl_of(a);
  return r->model ? graph_alloc_floats(r->model, count) : NULL;
}

static cnnrt_status check_object(const cJSON *obj, const char *what, const err_ctx *e) {
  if (obj && !cJSON_IsObject(obj))
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be an object, got %s", what, json_type_name(obj));
  if (obj && cJSON_GetArraySize(obj) > ATTR_JSON_MAX_KEYS)
    return err_set(e, CNNRT_ERR_FORMAT, "%s has more than %d fields", what, ATTR_JSON_MAX_KEYS);
  return CNNRT_OK;
}

cnnrt_status attr_json_init(attr_json *r, const cJSON *params, const cJSON *weights,
                            const float *blob, size_t blob_bytes, bool has_blob_file,
                            const err_ctx *e) {
  cnnrt_status st;
  memset(r, 0, sizeof *r);
  if ((st = check_object(params, "params", e)) || (st = check_object(weights, "weights", e)))
    return st;
  r->params = params;
  r->weights = weights;
  r->blob = blob;
  r->blob_bytes = blob_bytes;
  r->has_blob_file = has_blob_file;
  attr_reader reader = {.impl = r,
                        .ints = read_ints,
                        .number = read_number,
                        .boolean = read_boolean,
                        .is_string = read_is_string,
                        .string = read_string,
                        .alloc_floats = alloc_floats,
                        .weight = read_weight};
  r->reader = reader;
  return CNNRT_OK;
}

/* The first member of obj not marked read (and not '_'-prefixed metadata), or NULL. */
static const char *first_unread(const cJSON *obj, const bool *read) {
  size_t i = 0;
  const cJSON *item;
  if (!obj) return NULL;
  cJSON_ArrayForEach(item, obj) {
    if (!read[i] && item->string && item->string[0] != '_') return item->string;
    i++;
  }
  return NULL;
}

cnnrt_status attr_json_check_all_read(const attr_json *r, const char *op_name, const err_ctx *e) {
  const char *key = first_unread(r->params, r->params_read);
  if (key) return err_set(e, CNNRT_ERR_FORMAT, "unknown parameter '%s' for %s", key, op_name);
  key = first_unread(r->weights, r->weights_read);
  if (key) return err_set(e, CNNRT_ERR_FORMAT, "unknown weight '%s' for %s", key, op_name);
  return CNNRT_OK;
}
