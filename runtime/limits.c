/* Process-wide limits: one atomic per limit, so any thread may read or change them. */
#include "runtime/limits.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)

typedef struct {
  const char *name;
  const char *unit;
  uint64_t fallback; /* the default */
  uint64_t max;      /* largest accepted value */
} limit_info;

/* Maxima keep every derived size far below 2^63, whatever a program sets: byte limits at
 * 2^48 (256 TiB), node counts at 100000 (loading stays well under a minute). */
static const limit_info infos[CNNRT_LIMIT_COUNT] = {
    [CNNRT_LIMIT_TENSOR_BYTES] = {"CNNRT_LIMIT_TENSOR_BYTES", "bytes", GIB, (uint64_t)1 << 48},
    [CNNRT_LIMIT_ARENA_BYTES] = {"CNNRT_LIMIT_ARENA_BYTES", "bytes", 4 * GIB, (uint64_t)1 << 48},
    [CNNRT_LIMIT_IMAGE_PIXELS] = {"CNNRT_LIMIT_IMAGE_PIXELS", "pixels", (uint64_t)1 << 27,
                                  (uint64_t)1 << 40},
    [CNNRT_LIMIT_NODES] = {"CNNRT_LIMIT_NODES", "nodes", 10000, 100000},
    [CNNRT_LIMIT_GRAPH_DEPTH] = {"CNNRT_LIMIT_GRAPH_DEPTH", "nodes deep", 4096, 100000},
    [CNNRT_LIMIT_MODEL_BYTES] = {"CNNRT_LIMIT_MODEL_BYTES", "bytes", 16 * MIB, GIB},
    [CNNRT_LIMIT_WEIGHTS_BYTES] = {"CNNRT_LIMIT_WEIGHTS_BYTES", "bytes", 4 * GIB,
                                   (uint64_t)1 << 48},
    [CNNRT_LIMIT_IMAGE_BYTES] = {"CNNRT_LIMIT_IMAGE_BYTES", "bytes", 256 * MIB, 64 * GIB},
};

/* 0 = the default (so that no initialiser needs to run first). */
static _Atomic uint64_t values[CNNRT_LIMIT_COUNT];

static bool known(cnnrt_limit limit) {
  return (unsigned)limit < CNNRT_LIMIT_COUNT;
}

uint64_t limit_get(cnnrt_limit limit) {
  uint64_t v = atomic_load_explicit(&values[limit], memory_order_relaxed);
  return v ? v : infos[limit].fallback;
}

cnnrt_status cnnrt_set_limit(cnnrt_limit limit, uint64_t value) {
  if (!known(limit))
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_set_limit: unknown limit %d", (int)limit);
  if (value > infos[limit].max)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "cnnrt_set_limit: %s must be from 1 to %" PRIu64 " (0: the default), got "
                   "%" PRIu64,
                   infos[limit].name, infos[limit].max, value);
  atomic_store_explicit(&values[limit], value, memory_order_relaxed);
  return CNNRT_OK;
}

uint64_t cnnrt_get_limit(cnnrt_limit limit) {
  return known(limit) ? limit_get(limit) : 0;
}

uint64_t cnnrt_limit_default(cnnrt_limit limit) {
  return known(limit) ? infos[limit].fallback : 0;
}

uint64_t cnnrt_limit_max(cnnrt_limit limit) {
  return known(limit) ? infos[limit].max : 0;
}

const char *cnnrt_limit_name(cnnrt_limit limit) {
  return known(limit) ? infos[limit].name : "CNNRT_LIMIT_UNKNOWN";
}

cnnrt_status limit_check(cnnrt_limit limit, uint64_t value, const err_ctx *e, const char *what,
                         ...) {
  uint64_t max = limit_get(limit);
  if (value <= max) return CNNRT_OK;
  char text[512];
  va_list ap;
  va_start(ap, what);
  vsnprintf(text, sizeof text, what, ap);
  va_end(ap);
  return err_set(e, CNNRT_ERR_LIMIT,
                 "%s is %" PRIu64 " %s, over %s = %" PRIu64 " (raise it with cnnrt_set_limit)",
                 text, value, infos[limit].unit, infos[limit].name, max);
}

cnnrt_status limit_check_tensor(const shape *s, const err_ctx *e, const char *what) {
  size_t count;
  char dims[128];
  shape_format(s, dims, sizeof dims);
  if (!shape_count(s, &count) || count > UINT64_MAX / sizeof(float))
    return err_set(e, CNNRT_ERR_LIMIT,
                   "%s %s has more elements than fit in memory, over %s = %" PRIu64, what, dims,
                   infos[CNNRT_LIMIT_TENSOR_BYTES].name, limit_get(CNNRT_LIMIT_TENSOR_BYTES));
  return limit_check(CNNRT_LIMIT_TENSOR_BYTES, (uint64_t)count * sizeof(float), e, "%s %s", what,
                     dims);
}
