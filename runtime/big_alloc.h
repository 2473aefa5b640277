/* Allocation of the large, long-lived buffers (weight blob, packed weights, arenas). */
#ifndef CNNRT_RUNTIME_BIG_ALLOC_H
#define CNNRT_RUNTIME_BIG_ALLOC_H
#include <stddef.h>

/* bytes (> 0) aligned to 64 bytes, freed with free(); NULL when out of memory. Buffers of
 * several MB are placed on 2 MB boundaries and marked for transparent huge pages, so that
 * touching them takes one page fault per 2 MB instead of one per 4 KB (loading a 45 MB
 * model took more time in page faults than in everything else). */
void *big_alloc(size_t bytes);

/* The first bytes (> 0) of the open file fd mapped read-only and private, its pages
 * mapped in ahead (MAP_POPULATE), so that loading a model neither clears fresh pages nor
 * copies the file; released with big_unmap. NULL where mapping is not available (not
 * Linux or macOS, big-endian hosts, which must byte-swap the floats) or fails: the caller
 * then reads the file. The file must not be truncated while it is mapped (the usual way
 * to replace a model, writing a new file and renaming it over the old one, is safe;
 * CNNRT_MAP_WEIGHTS=0 makes the loader read the file instead). */
const void *big_map_file(int fd, size_t bytes);
void big_unmap(const void *p, size_t bytes);

#endif
