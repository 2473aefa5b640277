/* Persistent worker threads running one parallel loop at a time.
 *
 * A loop of n items is cut into up to CHUNKS_PER_THREAD chunks per thread (contiguous
 * item ranges, fixed by n and the thread count alone) that threads claim one at a time
 * from a shared counter: a thread that finishes early, or a caller whose worker was
 * descheduled on a busy machine, takes the next chunk instead of waiting. Whoever runs
 * a chunk computes the same items in the same order, so results stay bit-identical;
 * per-thread scratch follows the thread that runs (the caller always uses slot 0).
 *
 * Workers spin briefly on an atomic generation counter before sleeping on a condition
 * variable, so back-to-back loops of a small model (a few microseconds each) do not pay a
 * futex wake-up per layer; idle pools still sleep. */
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
/* Chunks per thread: enough to even out unequal items, few enough that claiming one (an
 * atomic on a shared line) costs nothing next to it. */
#define CHUNKS_PER_THREAD 4

#if (defined(__x86_64__) || defined(__i386__)) && !defined(CNNRT_GENERIC_CPU)
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
  /* (generation << 32) | next unclaimed chunk of the current loop: claiming checks the
   * generation, so a worker that wakes late never takes a chunk of a later loop */
  atomic_ullong next;
  atomic_size_t done;  /* chunks finished in the current loop */
  atomic_int sleepers; /* workers that may be waiting on work_ready */
  atomic_bool stopping;
  /* The current loop, published before generation is bumped. */
  parallel_worker_fn fn;
  void *ctx;
  size_t n;
  atomic_size_t chunks; /* read before a claim, maybe while the next loop sets it */
};

/* The [begin, end) items of chunk index of chunks over n items. */
static void chunk_of(size_t n, size_t chunks, size_t index, size_t *begin, size_t *end) {
  *begin = n / chunks * index + (index < n % chunks ? index : n % chunks);
  *end = *begin + n / chunks + (index < n % chunks ? 1 : 0);
}

/* Claims and runs chunks of loop gen (32 bits of it) as worker slot until none is left. */
static void run_chunks(threadpool *tp, unsigned long long gen, int slot) {
  unsigned long long seen = atomic_load_explicit(&tp->next, memory_order_acquire);
  for (;;) {
    size_t chunks = atomic_load_explicit(&tp->chunks, memory_order_acquire);
    if (seen >> 32 != (gen & 0xffffffffu) || (seen & 0xffffffffu) >= chunks) return;
    if (!atomic_compare_exchange_weak_explicit(&tp->next, &seen, seen + 1, memory_order_acq_rel,
                                               memory_order_acquire))
      continue; /* seen now holds the current value */
    size_t begin, end;
    chunk_of(tp->n, chunks, (size_t)(seen & 0xffffffffu), &begin, &end);
    tp->fn(tp->ctx, slot, begin, end);
    atomic_fetch_add_explicit(&tp->done, 1, memory_order_release);
    seen = atomic_load_explicit(&tp->next, memory_order_acquire);
  }
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
    run_chunks(tp, seen, w->index);
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
  size_t max_chunks = (size_t)tp->threads * CHUNKS_PER_THREAD;
  size_t chunks = n < max_chunks ? n : max_chunks;
  unsigned long gen = atomic_load(&tp->generation) + 1;
  /* The counter moves to the new generation first: a worker that wakes late for the
   * previous loop and then reads the new chunk count (release / acquire below) finds the
   * new generation in the counter and claims nothing, instead of claiming "chunk C" of a
   * loop that had only C chunks while fn, ctx and n are being rewritten. */
  atomic_store_explicit(&tp->next, (unsigned long long)(gen & 0xffffffffu) << 32,
                        memory_order_seq_cst);
  tp->fn = fn;
  tp->ctx = ctx;
  tp->n = n;
  atomic_store_explicit(&tp->done, 0, memory_order_relaxed);
  atomic_store_explicit(&tp->chunks, chunks, memory_order_release);
  atomic_store(&tp->generation, gen); /* publishes the loop */
  wake_sleepers(tp);
  run_chunks(tp, gen, 0);
  /* spin while the others finish; yield the core if one of them was descheduled */
  for (int i = 0; atomic_load_explicit(&tp->done, memory_order_acquire) < chunks; i++) {
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
