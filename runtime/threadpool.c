/* Persistent worker threads; one parallel loop at a time, split into one contiguous chunk
 * per thread (chunk i is meant for worker i, chunk 0 for the caller).
 *
 * Workers spin briefly on an atomic generation counter before sleeping on a condition
 * variable, so back-to-back loops of a small model (a few microseconds each) do not pay a
 * futex wake-up per layer; idle pools still sleep. A chunk is claimed before it runs, and
 * the caller claims and runs the chunks of workers that have not started yet: on a loaded
 * machine a descheduled worker delays nothing. Whoever runs chunk i computes the same
 * items in the same order, so results stay bit-identical; per-thread scratch follows the
 * thread that runs (the caller always uses slot 0). */
#include "runtime/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include "runtime/error.h"

/* Spin iterations before a worker sleeps (~0.5 ms) and before the caller yields. */
#define WORKER_SPINS 20000
#define CALLER_SPINS 2000

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

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
  atomic_ulong generation; /* bumped for every loop, so workers see each loop once */
  atomic_int done;         /* chunks finished in the current loop */
  atomic_ulong *claimed;   /* per chunk: the last generation whose chunk was claimed */
  atomic_int sleepers;     /* workers that may be waiting on work_ready */
  atomic_bool stopping;
  /* The current loop, published before generation is bumped. */
  parallel_worker_fn fn;
  void *ctx;
  size_t n;
};

/* The [begin, end) chunk of n items for thread index of threads. */
static void chunk_of(size_t n, int threads, int index, size_t *begin, size_t *end) {
  size_t t = (size_t)threads, i = (size_t)index;
  *begin = n / t * i + (i < n % t ? i : n % t);
  *end = *begin + n / t + (i < n % t ? 1 : 0);
}

/* Runs chunk index of generation gen as worker slot if nobody claimed it yet. */
static void try_run_chunk(threadpool *tp, unsigned long gen, int index, int slot) {
  unsigned long expected = gen - 1;
  if (!atomic_compare_exchange_strong(&tp->claimed[index], &expected, gen)) return;
  size_t begin, end;
  chunk_of(tp->n, tp->threads, index, &begin, &end);
  if (begin < end) tp->fn(tp->ctx, slot, begin, end);
  atomic_fetch_add_explicit(&tp->done, 1, memory_order_release);
}

/* Waits until the generation differs from seen (or the pool stops); returns it. */
static unsigned long wait_for_work(threadpool *tp, unsigned long seen) {
  for (int i = 0; i < WORKER_SPINS; i++) {
    unsigned long g = atomic_load_explicit(&tp->generation, memory_order_acquire);
    if (g != seen || atomic_load(&tp->stopping)) return g;
    CPU_RELAX();
  }
  atomic_fetch_add(&tp->sleepers, 1);
  pthread_mutex_lock(&tp->lock);
  /* re-checked under the lock: the dispatcher bumps, then wakes if anyone sleeps */
  while (atomic_load(&tp->generation) == seen && !atomic_load(&tp->stopping))
    pthread_cond_wait(&tp->work_ready, &tp->lock);
  pthread_mutex_unlock(&tp->lock);
  atomic_fetch_sub(&tp->sleepers, 1);
  return atomic_load_explicit(&tp->generation, memory_order_acquire);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  threadpool *tp = w->pool;
  unsigned long seen = 0;
  for (;;) {
    seen = wait_for_work(tp, seen);
    if (atomic_load(&tp->stopping)) break;
    try_run_chunk(tp, seen, w->index, w->index);
  }
  return NULL;
}

static void wake_sleepers(threadpool *tp) {
  if (atomic_load(&tp->sleepers) == 0) return;
  pthread_mutex_lock(&tp->lock);
  pthread_cond_broadcast(&tp->work_ready);
  pthread_mutex_unlock(&tp->lock);
}

static void stop_workers(threadpool *tp, int started) {
  atomic_store(&tp->stopping, true);
  pthread_mutex_lock(&tp->lock);
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
  if (!(tp->claimed = calloc((size_t)tp->threads, sizeof *tp->claimed))) {
    free(tp);
    return err_set(NULL, CNNRT_ERR_MEMORY, "out of memory creating a thread pool");
  }
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
  free(tp->workers);
  free(tp->claimed);
  free(tp);
}

int threadpool_size(const threadpool *tp) {
  return tp ? tp->threads : 1;
}

void threadpool_for_workers(threadpool *tp, size_t n, parallel_worker_fn fn, void *ctx) {
  if (n == 0) return;
  if (!tp || tp->threads == 1 || n == 1) {
    fn(ctx, 0, 0, n);
    return;
  }
  tp->fn = fn;
  tp->ctx = ctx;
  tp->n = n;
  atomic_store_explicit(&tp->done, 0, memory_order_relaxed);
  unsigned long gen = atomic_fetch_add(&tp->generation, 1) + 1; /* publishes the loop */
  wake_sleepers(tp);
  for (int i = 0; i < tp->threads; i++) try_run_chunk(tp, gen, i, 0); /* 0 first, then steal */
  /* spin while the others finish; yield the core if one of them was descheduled */
  for (int i = 0; atomic_load_explicit(&tp->done, memory_order_acquire) < tp->threads; i++) {
    if (i < CALLER_SPINS)
      CPU_RELAX();
    else
      sched_yield();
  }
}

/* threadpool_for's loop body, adapted to the worker-aware signature. */
typedef struct {
  parallel_fn fn;
  void *ctx;
} plain_loop;

static void run_plain(void *ctx, int index, size_t begin, size_t end) {
  const plain_loop *loop = ctx;
  (void)index;
  loop->fn(loop->ctx, begin, end);
}

void threadpool_for(threadpool *tp, size_t n, parallel_fn fn, void *ctx) {
  plain_loop loop = {fn, ctx};
  threadpool_for_workers(tp, n, run_plain, &loop);
}
