#include "loader/json_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool json_as_int(const cJSON *item, int64_t *out) {
  if (!cJSON_IsNumber(item)) return false;
  double v = item->valuedouble;
  if (!(fabs(v) <= 9007199254740992.0) || floor(v) != v) return false;
  *out = (int64_t)v;
  return true;
}

const char *json_type_name(const cJSON *item) {
  if (!item) return "nothing";
  if (cJSON_IsNull(item)) return "null";
  if (cJSON_IsBool(item)) return "a boolean";
  if (cJSON_IsNumber(item)) return "a number";
  if (cJSON_IsString(item)) return "a string";
  if (cJSON_IsArray(item)) return "an array";
  if (cJSON_IsObject(item)) return "an object";
  return "an invalid value";
}

void json_describe(const cJSON *item, char *buf, size_t size) {
  if (cJSON_IsNumber(item))
    snprintf(buf, size, "%.17g", item->valuedouble);
  else if (cJSON_IsString(item))
    snprintf(buf, size, "'%.40s'", item->valuestring);
  else
    snprintf(buf, size, "%s", json_type_name(item));
}

static bool key_allowed(const char *key, const char *const *allowed) {
  if (key[0] == '_') return true; /* free-form metadata */
  for (; *allowed; allowed++)
    if (strcmp(key, *allowed) == 0) return true;
  return false;
}

static int compare_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static cnnrt_status unknown_key(const char *key, const char *const *allowed, const char *where,
                                const err_ctx *e) {
  char list[256] = "";
  size_t n = 0;
  for (const char *const *k = allowed; *k && n < sizeof list; k++)
    n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *k);
  return err_set(e, CNNRT_ERR_FORMAT, "unknown field '%s' in %s (allowed: %s)", key ? key : "?",
                 where, list);
}

/* Objects with more members than this (all '_' metadata but a few) are checked for repeated
 * keys by sorting instead of pairwise, so no object can make the check quadratic. */
#define PAIRWISE_MAX_KEYS 32

cnnrt_status json_check_keys(const cJSON *obj, const char *const *allowed, const char *where,
                             const err_ctx *e) {
  const cJSON *item;
  int count = cJSON_GetArraySize(obj);
  cJSON_ArrayForEach(item, obj) {
    /* cJSON keeps both copies of a repeated key but lookups see only the first */
    if (count <= PAIRWISE_MAX_KEYS)
      for (const cJSON *prev = obj->child; prev != item; prev = prev->next)
        if (item->string && prev->string && strcmp(prev->string, item->string) == 0)
          return err_set(e, CNNRT_ERR_FORMAT, "duplicate field '%s' in %s", item->string, where);
    if (!item->string || !key_allowed(item->string, allowed))
      return unknown_key(item->string, allowed, where, e);
  }
  if (count <= PAIRWISE_MAX_KEYS) return CNNRT_OK;
  const char **keys = malloc((size_t)count * sizeof *keys);
  if (!keys) return err_set(e, CNNRT_ERR_MEMORY, "out of memory checking %s", where);
  size_t n = 0;
  cJSON_ArrayForEach(item, obj) keys[n++] = item->string; /* all non-NULL: checked above */
  qsort(keys, n, sizeof *keys, compare_keys);
  cnnrt_status st = CNNRT_OK;
  for (size_t i = 1; i < n && st == CNNRT_OK; i++)
    if (strcmp(keys[i - 1], keys[i]) == 0)
      st = err_set(e, CNNRT_ERR_FORMAT, "duplicate field '%s' in %s", keys[i], where);
  free(keys);
  return st;
}

cnnrt_status json_string_field(const cJSON *obj, const char *key, const char *where,
                               const char **out, const err_ctx *e) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item) return err_set(e, CNNRT_ERR_FORMAT, "%s is missing field '%s'", where, key);
  if (!cJSON_IsString(item) || !item->valuestring[0])
    return err_set(e, CNNRT_ERR_FORMAT, "%s.%s must be a non-empty string, got %s", where, key,
                   cJSON_IsString(item) ? "an empty string" : json_type_name(item));
  *out = item->valuestring;
  return CNNRT_OK;
}
