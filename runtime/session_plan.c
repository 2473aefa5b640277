/* From a graph at a batch size to buffers, lifetimes and arena offsets. */
#include <stdlib.h>
#include "runtime/checked.h"
#include "runtime/limits.h"
#include "runtime/planner.h"
#include "runtime/session.h"

typedef struct {
  plan_item *items; /* per buffer */
  size_t count;
} buffer_list;

static size_t new_buffer(buffer_list *b, size_t bytes, size_t first, size_t last) {
  plan_item item = {bytes, first, last};
  b->items[b->count] = item;
  return b->count++;
}

/* Last node index that reads each value; the model output is read after the last node. */
static void value_last_uses(const cnnrt_model *m, size_t *last_use) {
  for (size_t v = 0; v <= m->node_count; v++) last_use[v] = v == 0 ? 0 : v - 1;
  for (size_t i = 0; i < m->node_count; i++)
    for (int k = 0; k < m->nodes[i].n_inputs; k++)
      if (last_use[m->nodes[i].inputs[k]] < i) last_use[m->nodes[i].inputs[k]] = i;
  last_use[m->output_value] = m->node_count;
}

/* Gives value i+1 (output of node i) a buffer: its input's for views and legal in-place
 * element-wise ops, a fresh one otherwise. */
static void assign_output(const cnnrt_model *m, size_t i, const size_t *last_use, session_plan *p,
                          buffer_list *b) {
  const graph_node *n = &m->nodes[i];
  size_t out = i + 1, in_buffer = p->value_buffer[n->inputs[0]];
  bool alias = (n->op->flags & OP_VIEW) || n->fused ||
               ((n->op->flags & OP_ELEMENTWISE) && in_buffer != BUFFER_EXTERNAL &&
                b->items[in_buffer].last_use <= i && /* nobody reads the input after this */
                shape_equal(&p->shapes[n->inputs[0]], &p->shapes[out])); /* not broadcast */
  if (alias) {
    p->value_buffer[out] = in_buffer;
    if (in_buffer != BUFFER_EXTERNAL && b->items[in_buffer].last_use < last_use[out])
      b->items[in_buffer].last_use = last_use[out];
    return;
  }
  p->value_buffer[out] =
      new_buffer(b, shape_numel(&p->shapes[out]) * sizeof(float), i, last_use[out]);
}

static cnnrt_status assign_buffers(const cnnrt_model *m, const size_t *scratch, session_plan *p,
                                   buffer_list *b) {
  size_t *last_use = malloc(p->value_count * sizeof *last_use);
  if (!last_use) return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory planning a session");
  value_last_uses(m, last_use);
  p->value_buffer[GRAPH_INPUT_VALUE] = BUFFER_EXTERNAL;
  for (size_t i = 0; i < m->node_count; i++) {
    assign_output(m, i, last_use, p, b);
    p->scratch_buffer[i] = scratch[i] ? new_buffer(b, scratch[i], i, i) : BUFFER_EXTERNAL;
  }
  free(last_use);
  return CNNRT_OK;
}

/* Bytes every output (views excluded) and scratch buffer would take on its own. */
static bool naive_bytes(const cnnrt_model *m, const session_plan *p, const size_t *scratch,
                        size_t *total) {
  size_t sum = 0;
  for (size_t i = 0; i < m->node_count; i++) {
    size_t bytes = (m->nodes[i].op->flags & OP_VIEW) || m->nodes[i].fused
                       ? 0
                       : shape_numel(&p->shapes[i + 1]) * 4;
    if (!add_size(sum, bytes, &sum) || !add_size(sum, scratch[i], &sum)) return false;
  }
  *total = sum;
  return true;
}

/* Scratch of ops that want a slot per worker thread, times the session's threads. */
static bool scale_per_thread_scratch(const cnnrt_model *m, int threads, size_t *scratch) {
  for (size_t i = 0; i < m->node_count; i++)
    if ((m->nodes[i].op->flags & OP_SCRATCH_PER_THREAD) &&
        !mul_size(scratch[i], (size_t)threads, &scratch[i]))
      return false;
  return true;
}

cnnrt_status session_plan_build(const cnnrt_model *m, size_t batch, int threads, session_plan *p) {
  size_t values = m->node_count + 1, *scratch = calloc(m->node_count, sizeof *scratch);
  buffer_list b = {calloc(2 * m->node_count, sizeof(plan_item)), 0};
  p->value_count = values;
  p->shapes = calloc(values, sizeof *p->shapes);
  p->value_buffer = calloc(values, sizeof *p->value_buffer);
  p->scratch_buffer = calloc(m->node_count, sizeof *p->scratch_buffer);
  cnnrt_status st = CNNRT_OK;
  if (!scratch || !b.items || !p->shapes || !p->value_buffer || !p->scratch_buffer)
    st = err_set(NULL, CNNRT_ERR_MEMORY, "out of memory planning a session");
  if (st == CNNRT_OK) st = graph_infer(m, batch, p->shapes, scratch);
  if (st == CNNRT_OK && !scale_per_thread_scratch(m, threads, scratch))
    st = err_set(NULL, CNNRT_ERR_MEMORY, "%s: scratch size overflows at %d threads", m->source,
                 threads);
  if (st == CNNRT_OK) st = assign_buffers(m, scratch, p, &b);
  if (st == CNNRT_OK && !naive_bytes(m, p, scratch, &p->naive_bytes))
    st =
        err_set(NULL, CNNRT_ERR_MEMORY, "%s: tensor sizes overflow at batch %zu", m->source, batch);
  if (st == CNNRT_OK) {
    p->buffer_count = b.count;
    p->buffer_offset = calloc(b.count ? b.count : 1, sizeof *p->buffer_offset);
    if (!p->buffer_offset || !plan_arena(b.items, b.count, p->buffer_offset, &p->arena_bytes))
      st = err_set(NULL, CNNRT_ERR_MEMORY, "%s: cannot plan the arena at batch %zu", m->source,
                   batch);
  }
  if (st == CNNRT_OK) {
    err_ctx file = err_ctx_file(m->source);
    st = limit_check(CNNRT_LIMIT_ARENA_BYTES, p->arena_bytes, &file, "the arena at batch %zu",
                     batch);
  }
  free(scratch);
  free(b.items);
  return st;
}

void session_plan_free(session_plan *p) {
  free(p->shapes);
  free(p->value_buffer);
  free(p->scratch_buffer);
  free(p->buffer_offset);
}
