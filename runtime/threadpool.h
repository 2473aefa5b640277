/* A fixed pool of worker threads, created once per session. */
#ifndef CNNRT_RUNTIME_THREADPOOL_H
#define CNNRT_RUNTIME_THREADPOOL_H

#include <stddef.h>
#include "cnnrt.h"

typedef struct threadpool threadpool;

/* Runs items [begin, end) of a parallel loop. */
typedef void (*parallel_fn)(void *ctx, size_t begin, size_t end);

/* The same, told which worker runs it (0 .. threadpool_size - 1), for per-thread scratch. */
typedef void (*parallel_worker_fn)(void *ctx, int worker, size_t begin, size_t end);

/* threads <= 1 creates a pool that runs everything on the caller's thread. */
cnnrt_status threadpool_create(int threads, threadpool **out);
void threadpool_free(threadpool *tp);
int threadpool_size(const threadpool *tp);

/* Calls fn over [0, n) split into contiguous chunks (a few per thread) that the threads,
 * the caller's included, claim one by one; returns when all are done. Each item must be
 * computed the same way whatever chunk it lands in and whichever thread runs it, so
 * results never depend on the thread count. tp may be NULL (serial). */
void threadpool_for(threadpool *tp, size_t n, parallel_fn fn, void *ctx);

/* threadpool_for whose chunks also receive the index of the thread running them (0 for
 * the caller), for per-thread scratch. */
void threadpool_for_workers(threadpool *tp, size_t n, parallel_worker_fn fn, void *ctx);

#endif
