/* A session: one model at one batch size, its arena plan and its thread pool. */
#ifndef CNNRT_RUNTIME_SESSION_H
#define CNNRT_RUNTIME_SESSION_H

#include "runtime/graph.h"

/* buffer id of values that live outside the arena (the caller's input) */
#define BUFFER_EXTERNAL ((size_t)-1)

typedef struct {
  size_t value_count;     /* node_count + 1 */
  shape *shapes;          /* per value, at the session's batch */
  size_t *value_buffer;   /* per value: buffer id or BUFFER_EXTERNAL */
  size_t *scratch_buffer; /* per node: buffer id, or BUFFER_EXTERNAL when none */
  size_t buffer_count;
  size_t *buffer_offset; /* per buffer, bytes into the arena */
  size_t arena_bytes;
  size_t naive_bytes; /* every output and scratch in its own allocation */
} session_plan;

struct cnnrt_session {
  const cnnrt_model *model;
  size_t batch;
  session_plan plan;
  float *arena;
  threadpool *pool;
};

/* Infers shapes at the batch size (per-thread scratch times threads), decides in-place and view
 * aliasing, and plans the arena. Messages name the model and node. */
cnnrt_status session_plan_build(const cnnrt_model *m, size_t batch, int threads,
                                session_plan *plan);
void session_plan_free(session_plan *plan);

#endif
