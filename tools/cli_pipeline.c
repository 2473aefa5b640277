#include "cli_pipeline.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_text.h"

#define NOT_READY SIZE_MAX

/* Reader r decodes batches r, r + R, r + 2R, ... (R readers); batch k goes to slot
 * k % S (S = R + 1 slots), once the consumer has released batch k - S that used it. The
 * consumer takes batches in order, each when its slot holds it. */
struct cli_pipeline {
  const cnnrt_model *model;
  char *const *paths;
  size_t n, batch, sample, batches;
  int readers, slots;
  cli_batch *slot;
  size_t *holds; /* per slot: the decoded batch it holds, or NOT_READY */
  size_t taken;  /* batches the consumer has released */
  bool stop;
  double decode_seconds; /* summed over the readers */
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  pthread_t *thread;
  int started;
};

typedef struct {
  cli_pipeline *p;
  int index;
} reader_arg;

static void decode_batch(cli_pipeline *p, cli_batch *b, size_t k) {
  b->first = k * p->batch;
  b->count = p->n - b->first < p->batch ? p->n - b->first : p->batch;
  for (size_t i = 0; i < b->count; i++) {
    float *dst = b->input + i * p->sample;
    free(b->error[i]);
    b->error[i] = NULL;
    b->ok[i] =
        cnnrt_image_file_to_input(p->model, p->paths[b->first + i], dst, p->sample) == CNNRT_OK;
    if (!b->ok[i]) {
      b->error[i] = strdup(cnnrt_last_error()); /* the message is this thread's */
      memset(dst, 0, p->sample * sizeof *dst);
    }
  }
}

static void *reader_main(void *arg) {
  cli_pipeline *p = ((reader_arg *)arg)->p;
  size_t first = (size_t)((reader_arg *)arg)->index;
  free(arg);
  for (size_t k = first; k < p->batches; k += (size_t)p->readers) {
    size_t s = k % (size_t)p->slots;
    pthread_mutex_lock(&p->mutex);
    while (p->taken + (size_t)p->slots <= k && !p->stop) pthread_cond_wait(&p->changed, &p->mutex);
    bool stop = p->stop;
    pthread_mutex_unlock(&p->mutex);
    if (stop) break;
    double t0 = cli_seconds();
    decode_batch(p, &p->slot[s], k);
    double spent = cli_seconds() - t0;
    pthread_mutex_lock(&p->mutex);
    p->decode_seconds += spent;
    p->holds[s] = k;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mutex);
  }
  return NULL;
}

static void free_all(cli_pipeline *p) {
  for (int s = 0; p->slot && s < p->slots; s++) {
    cli_batch *b = &p->slot[s];
    for (size_t i = 0; b->error && i < p->batch; i++) free(b->error[i]);
    free(b->input), free(b->ok), free(b->error);
  }
  free(p->slot), free(p->holds), free(p->thread);
  free(p);
}

static bool allocate(cli_pipeline *p) {
  p->slot = calloc((size_t)p->slots, sizeof *p->slot);
  p->holds = calloc((size_t)p->slots, sizeof *p->holds);
  p->thread = calloc((size_t)p->readers, sizeof *p->thread);
  bool ok = p->slot && p->holds && p->thread;
  for (int s = 0; ok && s < p->slots; s++) {
    cli_batch *b = &p->slot[s];
    b->input = calloc(p->batch * p->sample, sizeof *b->input);
    b->ok = calloc(p->batch, sizeof *b->ok);
    b->error = calloc(p->batch, sizeof *b->error);
    ok = b->input && b->ok && b->error;
    p->holds[s] = NOT_READY;
  }
  return ok;
}

cli_pipeline *cli_pipeline_start(const cnnrt_model *m, char *const *paths, size_t n, size_t batch,
                                 size_t sample, int readers) {
  cli_pipeline *p = calloc(1, sizeof *p);
  if (!p || batch == 0) return free(p), NULL;
  p->model = m, p->paths = paths, p->n = n, p->batch = batch, p->sample = sample;
  p->batches = (n + batch - 1) / batch;
  p->readers = readers < 1 ? 1 : (size_t)readers > p->batches ? (int)p->batches : readers;
  if (p->readers < 1) p->readers = 1;
  p->slots = p->readers + 1;
  if (!allocate(p)) {
    fprintf(stderr, "cnnrt: out of memory for %d batches of %zu images\n", p->slots, batch);
    free_all(p);
    return NULL;
  }
  pthread_mutex_init(&p->mutex, NULL);
  pthread_cond_init(&p->changed, NULL);
  for (; p->started < p->readers; p->started++) {
    reader_arg *arg = malloc(sizeof *arg);
    if (arg) *arg = (reader_arg){p, p->started};
    if (!arg || pthread_create(&p->thread[p->started], NULL, reader_main, arg) != 0) {
      free(arg);
      fprintf(stderr, "cnnrt: cannot start image reader thread %d\n", p->started + 1);
      cli_pipeline_stop(p);
      return NULL;
    }
  }
  return p;
}

const cli_batch *cli_pipeline_next(cli_pipeline *p, double *waited) {
  if (p->taken >= p->batches) return NULL;
  size_t k = p->taken, s = k % (size_t)p->slots;
  double t0 = cli_seconds();
  pthread_mutex_lock(&p->mutex);
  while (p->holds[s] != k) pthread_cond_wait(&p->changed, &p->mutex);
  pthread_mutex_unlock(&p->mutex);
  *waited += cli_seconds() - t0;
  return &p->slot[s];
}

void cli_pipeline_release(cli_pipeline *p) {
  pthread_mutex_lock(&p->mutex);
  p->holds[p->taken % (size_t)p->slots] = NOT_READY;
  p->taken++;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->mutex);
}

double cli_pipeline_stop(cli_pipeline *p) {
  if (!p) return 0;
  pthread_mutex_lock(&p->mutex);
  p->stop = true;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->mutex);
  for (int r = 0; r < p->started; r++) pthread_join(p->thread[r], NULL);
  double seconds = p->decode_seconds;
  pthread_mutex_destroy(&p->mutex);
  pthread_cond_destroy(&p->changed);
  free_all(p);
  return seconds;
}
