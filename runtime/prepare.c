/* graph_prepare: each unfused node's prepare hook (kernel choice, weight packing and
 * transforms), on two threads for a big model: packing and the page faults of the packed
 * buffers were most of the load time of a 45 MB model. Nodes are claimed in order from a
 * counter; packing is deterministic, so the model is the same whichever thread packs what. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include "runtime/graph.h"

#define PREPARE_THREADS 2
#define PARALLEL_MIN_BLOB_BYTES ((size_t)4 << 20) /* smaller models: a thread is not worth it */

typedef struct {
  cnnrt_model *m;
  pthread_mutex_t lock; /* graph_alloc_floats grows one list; the error below */
  atomic_size_t next;   /* the next node to claim */
  atomic_bool failed;
  cnnrt_status status; /* of the lowest failing node */
  size_t failed_node;
  char message[1024];
} prepare_job;

static float *locked_alloc(void *owner, size_t count) {
  prepare_job *j = owner;
  pthread_mutex_lock(&j->lock);
  float *data = graph_alloc_floats(j->m, count);
  pthread_mutex_unlock(&j->lock);
  return data;
}

static cnnrt_status prepare_node(const cnnrt_model *m, size_t i, const weight_allocator *alloc) {
  const graph_node *n = &m->nodes[i];
  if (!n->op->prepare || n->fused) return CNNRT_OK;
  shape in[CNNRT_MAX_INPUTS];
  for (int k = 0; k < n->n_inputs; k++) in[k] = m->value_shapes[n->inputs[k]];
  err_ctx e = graph_node_ctx(m, i);
  return n->op->prepare(n->params, in, n->n_inputs, alloc, &e);
}

/* Claims nodes until none is left or one failed. Nodes are claimed in increasing order and
 * a claimed node is always finished, so the lowest failing node is the same on any run. */
static void *prepare_nodes(void *arg) {
  prepare_job *j = arg;
  weight_allocator alloc = {locked_alloc, j};
  while (!atomic_load(&j->failed)) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->m->node_count) break;
    cnnrt_status st = prepare_node(j->m, i, &alloc);
    if (st == CNNRT_OK) continue;
    pthread_mutex_lock(&j->lock);
    if (j->status == CNNRT_OK || i < j->failed_node) {
      j->status = st, j->failed_node = i;
      snprintf(j->message, sizeof j->message, "%s", cnnrt_last_error()); /* this thread's */
    }
    pthread_mutex_unlock(&j->lock);
    atomic_store(&j->failed, true);
  }
  return NULL;
}

cnnrt_status graph_prepare(cnnrt_model *m) {
  prepare_job j = {.m = m, .status = CNNRT_OK};
  pthread_mutex_init(&j.lock, NULL);
  pthread_t helper;
  bool parallel = m->blob_bytes >= PARALLEL_MIN_BLOB_BYTES && PREPARE_THREADS > 1 &&
                  pthread_create(&helper, NULL, prepare_nodes, &j) == 0;
  prepare_nodes(&j); /* the caller works too (alone if the thread could not start) */
  if (parallel) pthread_join(helper, NULL);
  pthread_mutex_destroy(&j.lock);
  /* the message was made on whichever thread failed: set it again on the caller's */
  return j.status == CNNRT_OK ? CNNRT_OK : err_set(NULL, j.status, "%s", j.message);
}
