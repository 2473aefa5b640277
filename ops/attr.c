#include "ops/attr.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

cnnrt_status attr_int(const attr_reader *a, const char *key, int64_t def, int64_t *out,
                      const err_ctx *e) {
  int count = 0;
  bool present = false;
  int64_t v = def;
  cnnrt_status st = a->ints(a, key, &v, 1, &count, &present, e);
  if (st != CNNRT_OK) return st;
  if (present && count != 1)
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be one integer, got %d values", key, count);
  *out = present ? v : def;
  return CNNRT_OK;
}

cnnrt_status attr_int_required(const attr_reader *a, const char *key, int64_t *out,
                               const err_ctx *e) {
  int count = 0;
  bool present = false;
  int64_t v = 0;
  cnnrt_status st = a->ints(a, key, &v, 1, &count, &present, e);
  if (st != CNNRT_OK) return st;
  if (!present) return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter %s", key);
  if (count != 1)
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be one integer, got %d values", key, count);
  *out = v;
  return CNNRT_OK;
}

cnnrt_status attr_check_min(const char *key, int64_t value, int64_t min, const err_ctx *e) {
  if (value >= min) return CNNRT_OK;
  if (min == 1)
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be positive, got %" PRId64, key, value);
  return err_set(e, CNNRT_ERR_FORMAT, "%s must be >= %" PRId64 ", got %" PRId64, key, min, value);
}

cnnrt_status attr_pair(const attr_reader *a, const char *key, bool required, int64_t def,
                       int64_t min, int64_t out[2], const err_ctx *e) {
  int64_t v[2] = {def, def};
  int count = 0;
  bool present = false;
  cnnrt_status st = a->ints(a, key, v, 2, &count, &present, e);
  if (st != CNNRT_OK) return st;
  if (!present) {
    if (required) return err_set(e, CNNRT_ERR_FORMAT, "missing required parameter %s", key);
    out[0] = out[1] = def;
    return CNNRT_OK;
  }
  if (count == 1)
    v[1] = v[0];
  else if (count != 2)
    return err_set(e, CNNRT_ERR_FORMAT, "%s must be an integer or a pair [h, w], got %d values",
                   key, count);
  for (int i = 0; i < 2; i++) {
    if (v[i] == ATTR_NONE)
      return err_set(e, CNNRT_ERR_FORMAT, "%s[%d] must be an integer, got null", key, i);
    if ((st = attr_check_min(key, v[i], min, e)) != CNNRT_OK) return st;
    /* Far beyond any real layer; keeps every later size computation far from overflow. */
    if (v[i] > (int64_t)1 << 30)
      return err_set(e, CNNRT_ERR_FORMAT, "%s is absurdly large: %" PRId64, key, v[i]);
  }
  out[0] = v[0];
  out[1] = v[1];
  return CNNRT_OK;
}

cnnrt_status attr_bool(const attr_reader *a, const char *key, bool def, bool *out,
                       const err_ctx *e) {
  bool present = false, v = def;
  cnnrt_status st = a->boolean(a, key, &v, &present, e);
  if (st != CNNRT_OK) return st;
  *out = present ? v : def;
  return CNNRT_OK;
}

cnnrt_status attr_number(const attr_reader *a, const char *key, double def, double *out,
                         const err_ctx *e) {
  bool present = false;
  double v = def;
  cnnrt_status st = a->number(a, key, &v, &present, e);
  if (st != CNNRT_OK) return st;
  *out = present ? v : def;
  return CNNRT_OK;
}

cnnrt_status attr_string(const attr_reader *a, const char *key, const char *def, const char **out,
                         const err_ctx *e) {
  bool present = false;
  const char *v = def;
  cnnrt_status st = a->string(a, key, &v, &present, e);
  if (st != CNNRT_OK) return st;
  *out = present ? v : def;
  return CNNRT_OK;
}

cnnrt_status attr_weight(const attr_reader *a, const char *key, const size_t *dims, int n_dims,
                         const char *what, weight_ref *w, const err_ctx *e) {
  bool present = false;
  cnnrt_status st = a->weight(a, key, w, &present, e);
  if (st != CNNRT_OK) return st;
  shape want = {n_dims, {0}};
  for (int i = 0; i < n_dims; i++) want.dim[i] = dims[i];
  char want_text[128];
  shape_format(&want, want_text, sizeof want_text);
  if (!present)
    return err_set(e, CNNRT_ERR_FORMAT, "missing weight '%s' of shape %s (%s)", key, want_text,
                   what);
  if (!shape_equal(&w->shape, &want)) {
    char got[128];
    shape_format(&w->shape, got, sizeof got);
    return err_set(e, CNNRT_ERR_SHAPE, "weight '%s' has shape %s, expected %s (%s)", key, got,
                   want_text, what);
  }
  return CNNRT_OK;
}

cnnrt_status attr_weight_absent(const attr_reader *a, const char *key, const char *why,
                                const err_ctx *e) {
  bool present = false;
  weight_ref w;
  cnnrt_status st = a->weight(a, key, &w, &present, e);
  if (st != CNNRT_OK) return st;
  if (present) return err_set(e, CNNRT_ERR_FORMAT, "weight '%s' given but %s", key, why);
  return CNNRT_OK;
}

cnnrt_status attr_wrap_dim(const char *key, int64_t dim, int rank, int *out, const err_ctx *e) {
  if (dim < -(int64_t)rank || dim >= rank)
    return err_set(e, CNNRT_ERR_SHAPE,
                   "%s=%" PRId64 " is out of range for a %d-D input (expected %d..%d)", key, dim,
                   rank, -rank, rank - 1);
  *out = (int)(dim < 0 ? dim + rank : dim);
  return CNNRT_OK;
}
