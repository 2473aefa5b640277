/* Small typed readers over cJSON values, shared by the loader's parts. */
#ifndef CNNRT_LOADER_JSON_UTIL_H
#define CNNRT_LOADER_JSON_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "runtime/error.h"

/* True (and *out set) when item is a number with an integral value within +-2^53. */
bool json_as_int(const cJSON *item, int64_t *out);

/* Short name of a JSON value's type for messages ("string", "array", ...). */
const char *json_type_name(const cJSON *item);

/* Describes a value for messages: a number as written ("-3", "2.5"), a string quoted,
 * anything else by its type. */
void json_describe(const cJSON *item, char *buf, size_t size);

/* Checks that every member of obj is one of the allowed keys (NULL-terminated list) or
 * starts with '_', and that no key is repeated; the message reads "unknown field 'K' in
 * WHERE (allowed: ...)" or "duplicate field 'K' in WHERE". */
cnnrt_status json_check_keys(const cJSON *obj, const char *const *allowed, const char *where,
                             const err_ctx *e);

/* A member that must be a non-empty string. */
cnnrt_status json_string_field(const cJSON *obj, const char *key, const char *where,
                               const char **out, const err_ctx *e);

#endif
