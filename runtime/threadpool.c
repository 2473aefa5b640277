/* Persistent worker threads; one parallel loop at a time, chunk i runs on thread i. */
#include "runtime/threadpool.h"

#include <pthread.h>
#include <stdlib.h>
#include "runtime/error.h"

typedef struct {
  threadpool *pool;
  int index; /* 1..threads-1; index 0 is the caller */
  pthread_t thread;
} worker;

struct threadpool {
  int threads;
  worker *workers;
  pthread_mutex_t lock;
  pthread_cond_t work_ready;
  pthread_cond_t work_done;
  unsigned long generation; /* bumped for every loop, so workers see each loop once */
  int pending;              /* workers still running the current loop */
  int stopping;
  /* The current loop. */
  parallel_fn fn;
  void *ctx;
  size_t n;
};

/* The [begin, end) chunk of n items for thread index of threads. */
static void chunk_of(size_t n, int threads, int index, size_t *begin, size_t *end) {
  size_t t = (size_t)threads, i = (size_t)index;
  *begin = n / t * i + (i < n % t ? i : n % t);
  *end = *begin + n / t + (i < n % t ? 1 : 0);
}

static void run_chunk(threadpool *tp, int index) {
  size_t begin, end;
  chunk_of(tp->n, tp->threads, index, &begin, &end);
  if (begin < end) tp->fn(tp->ctx, begin, end);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  threadpool *tp = w->pool;
  unsigned long seen = 0;
  pthread_mutex_lock(&tp->lock);
  for (;;) {
    while (!tp->stopping && tp->generation == seen) pthread_cond_wait(&tp->work_ready, &tp->lock);
    if (tp->stopping) break;
    seen = tp->generation;
    pthread_mutex_unlock(&tp->lock);
    run_chunk(tp, w->index);
    pthread_mutex_lock(&tp->lock);
    if (--tp->pending == 0) pthread_cond_signal(&tp->work_done);
  }
  pthread_mutex_unlock(&tp->lock);
  return NULL;
}

static void stop_workers(threadpool *tp, int started) {
  pthread_mutex_lock(&tp->lock);
  tp->stopping = 1;
  pthread_cond_broadcast(&tp->work_ready);
  pthread_mutex_unlock(&tp->lock);
  for (int i = 0; i < started; i++) pthread_join(tp->workers[i].thread, NULL);
}

cnnrt_status threadpool_create(int threads, threadpool **out) {
  threadpool *tp = calloc(1, sizeof *tp);
  if (!tp) return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory creating a thread pool");
  tp->threads = threads < 1 ? 1 : threads;
  pthread_mutex_init(&tp->lock, NULL);
  pthread_cond_init(&tp->work_ready, NULL);
  pthread_cond_init(&tp->work_done, NULL);
  if (tp->threads > 1) {
    tp->workers = calloc((size_t)tp->threads - 1, sizeof *tp->workers);
    if (!tp->workers) {
      threadpool_free(tp);
      return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory creating a thread pool");
    }
    for (int i = 0; i < tp->threads - 1; i++) {
      tp->workers[i].pool = tp;
      tp->workers[i].index = i + 1;
      if (pthread_create(&tp->workers[i].thread, NULL, worker_main, &tp->workers[i]) != 0) {
        stop_workers(tp, i);
        tp->threads = 1; /* nothing left to join in threadpool_free */
        threadpool_free(tp);
        return err_set(NULL, CNNRT_ERR_MEMORY, "cannot start %d worker threads", threads);
      }
    }
  }
  *out = tp;
  return CNNRT_OK;
}

void threadpool_free(threadpool *tp) {
  if (!tp) return;
  if (tp->threads > 1 && tp->workers) stop_workers(tp, tp->threads - 1);
  pthread_mutex_destroy(&tp->lock);
  pthread_cond_destroy(&tp->work_ready);
  pthread_cond_destroy(&tp->work_done);
  free(tp->workers);
  free(tp);
}

int threadpool_size(const threadpool *tp) {
  return tp ? tp->threads : 1;
}

void threadpool_for(threadpool *tp, size_t n, parallel_fn fn, void *ctx) {
  if (n == 0) return;
  if (!tp || tp->threads == 1 || n == 1) {
    fn(ctx, 0, n);
    return;
  }
  pthread_mutex_lock(&tp->lock);
  tp->fn = fn;
  tp->ctx = ctx;
  tp->n = n;
  tp->pending = tp->threads - 1;
  tp->generation++;
  pthread_cond_broadcast(&tp->work_ready);
  pthread_mutex_unlock(&tp->lock);
  run_chunk(tp, 0);
  pthread_mutex_lock(&tp->lock);
  while (tp->pending > 0) pthread_cond_wait(&tp->work_done, &tp->lock);
  pthread_mutex_unlock(&tp->lock);
}
