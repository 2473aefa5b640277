/* The operator interface: every op is one op_def row in the registry (ops/ops.def).
 *
 * Life of an op: parse (read and range-check parameters and weights, at load) ->
 * infer (check input shapes, compute output shape and scratch size, at load and at
 * session creation) -> prepare (optional, once at load after load-time fusion, with the
 * input shapes known: choose a kernel, pack weights) -> run (compute; cannot fail,
 * allocates nothing). */
#ifndef CNNRT_OPS_OP_H
#define CNNRT_OPS_OP_H

#include <stdbool.h>
#include <stdint.h>
#include "runtime/error.h"
#include "runtime/shape.h"
#include "runtime/threadpool.h"

#define CNNRT_MAX_INPUTS 64 /* DenseNet concatenates dozens of tensors */

/* A weight tensor inside the model's blob. */
typedef struct {
  const float *data;
  shape shape;
} weight_ref;

/* What attr_reader.ints stores for a null element of an array (PyTorch's None inside a
 * tuple, e.g. AdaptiveAvgPool2d's output_size=(None, 7)). A null value as a whole reads as
 * absent instead. */
#define ATTR_NONE INT64_MIN

/* Read access to a node's parameters and weights, implemented by the loader (over cJSON),
 * so that ops never see the JSON library. Each accessor sets *present = false when the key
 * is absent or null, and fails with a message naming the field when the type is wrong.
 * Every key an op does not read is reported by the loader as unknown. */
typedef struct attr_reader attr_reader;
struct attr_reader {
  const void *impl;
  /* An integer, or an array of up to max_count integers (*count receives the length);
   * null elements read as ATTR_NONE. */
  cnnrt_status (*ints)(const attr_reader *a, const char *key, int64_t *vals, int max_count,
                       int *count, bool *present, const err_ctx *e);
  cnnrt_status (*number)(const attr_reader *a, const char *key, double *val, bool *present,
                         const err_ctx *e);
  cnnrt_status (*boolean)(const attr_reader *a, const char *key, bool *val, bool *present,
                          const err_ctx *e);
  /* True when the value of key is a string (used for padding='same' vs padding=2). */
  bool (*is_string)(const attr_reader *a, const char *key);
  cnnrt_status (*string)(const attr_reader *a, const char *key, const char **val, bool *present,
                         const err_ctx *e);
  /* A weight tensor, bounds-checked against the blob by the loader. */
  /* Memory for weights an op derives at load (e.g. packed for its kernel), owned and freed
   * by the model; NULL when out of memory. */
  float *(*alloc_floats)(const attr_reader *a, size_t count);
  cnnrt_status (*weight)(const attr_reader *a, const char *key, weight_ref *w, bool *present,
                         const err_ctx *e);
};

enum {
  /* output may overwrite input 0 (in place) when it has input 0's shape: every element is
   * read before the same element of the output is written */
  OP_ELEMENTWISE = 1 << 0,
  OP_VIEW = 1 << 1, /* output is input 0's data under another shape: nothing runs */
  /* scratch_bytes from infer is per worker thread: the session reserves one slot per
   * thread, and run gives worker w (threadpool_for_workers) scratch + w * scratch_bytes */
  OP_SCRATCH_PER_THREAD = 1 << 2
};

/* Memory for weights an op derives in prepare, owned and freed by the model. */
typedef struct {
  float *(*alloc_floats)(void *owner, size_t count); /* NULL when out of memory */
  void *owner;
} weight_allocator;

typedef struct op_def {
  const char *name; /* PyTorch's module class name, e.g. "Conv2d" */
  int min_inputs, max_inputs;
  size_t params_size;
  unsigned flags;
  cnnrt_status (*parse)(const attr_reader *a, void *params, const err_ctx *e);
  cnnrt_status (*infer)(const void *params, const shape *in, int n_in, shape *out,
                        size_t *scratch_bytes, const err_ctx *e);
  /* Multiply-accumulates for the given shapes (NULL: none worth counting). */
  uint64_t (*macs)(const void *params, const shape *in, int n_in, const shape *out);
  /* in[i].data may alias out->data only for OP_ELEMENTWISE ops. scratch is at least
   * scratch_bytes from infer, 64-byte aligned. NULL for OP_VIEW ops. */
  void (*run)(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
              threadpool *tp);
  /* NULL, or called once per (unfused) node at load after fusion, before any infer that
   * sizes scratch for a session; the input shapes are those at the model's batch. */
  cnnrt_status (*prepare)(void *params, const shape *in, int n_in, const weight_allocator *w,
                          const err_ctx *e);
  /* NULL, or the name of the kernel chosen for these parameters ("gemm", "winograd", ...)
   * for summaries and profiles. */
  const char *(*kernel)(const void *params);
} op_def;

/* Looks an op up by name; NULL when unknown. */
const op_def *op_find(const char *name);

/* Number of registered ops and the i-th one (for listings). */
size_t op_count(void);
const op_def *op_at(size_t i);

#endif
