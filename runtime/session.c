/* Sessions: creation (plan + one arena + thread pool) and the scheduler that runs nodes. */
#include <stdlib.h>
#include <string.h>
#include "runtime/big_alloc.h"
#include "runtime/checked.h"
#include "runtime/planner.h"
#include "runtime/session.h"

cnnrt_status cnnrt_session_create_batch(const cnnrt_model *m, int threads, size_t batch,
                                        cnnrt_session **out) {
  if (!m || !out)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_session_create: %s is NULL",
                   m ? "out" : "model");
  *out = NULL;
  if (batch < 1 || batch > ((size_t)1 << 24))
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "cnnrt_session_create: batch must be from 1 to "
                   "%zu, got %zu",
                   (size_t)1 << 24, batch);
  cnnrt_session *s = calloc(1, sizeof *s);
  if (!s) return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory creating a session");
  s->model = m;
  s->batch = batch;
  cnnrt_status st = session_plan_build(m, batch, threads < 1 ? 1 : threads, &s->plan);
  if (st == CNNRT_OK && s->plan.arena_bytes > 0 && !(s->arena = big_alloc(s->plan.arena_bytes)))
    st = err_set(NULL, CNNRT_ERR_MEMORY, "%s: cannot allocate a %zu-byte arena for batch %zu",
                 m->source, s->plan.arena_bytes, batch);
  if (st == CNNRT_OK) st = threadpool_create(threads, &s->pool);
  if (st != CNNRT_OK) {
    cnnrt_session_free(s);
    return st;
  }
  *out = s;
  return CNNRT_OK;
}

cnnrt_status cnnrt_session_create(const cnnrt_model *m, int threads, cnnrt_session **out) {
  return cnnrt_session_create_batch(m, threads, m ? m->input_shape.dim[0] : 1, out);
}

void cnnrt_session_free(cnnrt_session *s) {
  if (!s) return;
  threadpool_free(s->pool);
  session_plan_free(&s->plan);
  free(s->arena);
  free(s);
}

size_t cnnrt_session_batch(const cnnrt_session *s) {
  return s ? s->batch : 0;
}

size_t cnnrt_session_input_count(const cnnrt_session *s) {
  return s ? shape_numel(&s->plan.shapes[GRAPH_INPUT_VALUE]) : 0;
}

size_t cnnrt_session_output_count(const cnnrt_session *s) {
  return s ? shape_numel(&s->plan.shapes[s->model->output_value]) : 0;
}

size_t cnnrt_session_arena_bytes(const cnnrt_session *s) {
  return s ? s->plan.arena_bytes : 0;
}

size_t cnnrt_session_naive_bytes(const cnnrt_session *s) {
  return s ? s->plan.naive_bytes : 0;
}

cnnrt_status cnnrt_session_node_arena(const cnnrt_session *s, size_t node, size_t *offset,
                                      size_t *bytes) {
  if (!s || !offset || !bytes)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_session_node_arena: NULL argument");
  if (node >= s->model->node_count)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "cnnrt_session_node_arena: node %zu out of range "
                   "(model has %zu)",
                   node, s->model->node_count);
  size_t buffer = s->plan.value_buffer[node + 1];
  *offset = buffer == BUFFER_EXTERNAL ? 0 : s->plan.buffer_offset[buffer];
  *bytes = buffer == BUFFER_EXTERNAL ? 0 : shape_numel(&s->plan.shapes[node + 1]) * sizeof(float);
  return CNNRT_OK;
}

/* Data of a value: the caller's input or a place in the arena. */
static float *value_data(const cnnrt_session *s, size_t value, const float *input) {
  size_t buffer = s->plan.value_buffer[value];
  if (buffer == BUFFER_EXTERNAL) return (float *)input; /* read-only: never written */
  return (float *)((char *)s->arena + s->plan.buffer_offset[buffer]);
}

static void *scratch_data(const cnnrt_session *s, size_t node) {
  size_t buffer = s->plan.scratch_buffer[node];
  return buffer == BUFFER_EXTERNAL ? NULL : (char *)s->arena + s->plan.buffer_offset[buffer];
}

/* The scheduler: every node in order, each reading and writing the planned places. */
static void run_nodes(cnnrt_session *s, const float *input, cnnrt_node_observer observer,
                      void *user) {
  const cnnrt_model *m = s->model;
  for (size_t i = 0; i < m->node_count; i++) {
    const graph_node *n = &m->nodes[i];
    tensor in[CNNRT_MAX_INPUTS], out = {s->plan.shapes[i + 1], value_data(s, i + 1, input)};
    for (int k = 0; k < n->n_inputs; k++) {
      in[k].shape = s->plan.shapes[n->inputs[k]];
      in[k].data = value_data(s, n->inputs[k], input);
    }
    if (n->op->run && !n->fused)
      n->op->run(n->params, in, n->n_inputs, &out, scratch_data(s, i), s->pool);
    if (observer) observer(user, i, out.data, shape_numel(&out.shape));
  }
}

cnnrt_status cnnrt_run_observed(cnnrt_session *s, const float *input, size_t input_count,
                                float *output, size_t output_count, cnnrt_node_observer observer,
                                void *user) {
  if (!s || !input || !output)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_run: %s is NULL",
                   !s       ? "session"
                   : !input ? "input"
                            : "output");
  size_t want_in = cnnrt_session_input_count(s), want_out = cnnrt_session_output_count(s);
  if (input_count != want_in || output_count != want_out)
    return err_set(NULL, CNNRT_ERR_ARGUMENT,
                   "cnnrt_run: %s count is %zu, the session (batch %zu) needs %zu",
                   input_count != want_in ? "input" : "output",
                   input_count != want_in ? input_count : output_count, s->batch,
                   input_count != want_in ? want_in : want_out);
  run_nodes(s, input, observer, user);
  memmove(output, value_data(s, s->model->output_value, input), want_out * sizeof(float));
  return CNNRT_OK;
}

cnnrt_status cnnrt_run(cnnrt_session *s, const float *input, size_t input_count, float *output,
                       size_t output_count) {
  return cnnrt_run_observed(s, input, input_count, output, output_count, NULL, NULL);
}
