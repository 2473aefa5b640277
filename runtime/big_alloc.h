/* Allocation of the large, long-lived buffers (weight blob, packed weights, arenas). */
#ifndef CNNRT_RUNTIME_BIG_ALLOC_H
#define CNNRT_RUNTIME_BIG_ALLOC_H
#include <stddef.h>

/* bytes (> 0) aligned to 64 bytes, freed with free(); NULL when out of memory. Buffers of
 * several MB are placed on 2 MB boundaries and marked for transparent huge pages, so that
 * touching them takes one page fault per 2 MB instead of one per 4 KB (loading a 45 MB
 * model took more time in page faults than in everything else). */
void *big_alloc(size_t bytes);

#endif
