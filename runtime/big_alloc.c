/* MADV_HUGEPAGE is a Linux extension, outside POSIX */
#define _DEFAULT_SOURCE 1
#include "runtime/big_alloc.h"

#include <stdlib.h>
#if defined(__linux__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_THRESHOLD (2 * HUGE_PAGE) /* below this the alignment waste is not worth it */

void *big_alloc(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (bytes == 0 || rounded < bytes) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (rounded >= HUGE_THRESHOLD) {
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded) != 0) return NULL;
    (void)madvise(p, rounded / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* a hint only */
    return p;
  }
#endif
  return aligned_alloc(64, rounded);
}

#if (defined(__linux__) || defined(__APPLE__)) && defined(__BYTE_ORDER__) &&                       \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#if !defined(MAP_POPULATE)
#define MAP_POPULATE 0
#endif
const void *big_map_file(int fd, size_t bytes) {
  if (bytes == 0) return NULL;
  void *p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  return p == MAP_FAILED ? NULL : p;
}

void big_unmap(const void *p, size_t bytes) {
  if (p) (void)munmap((void *)p, bytes);
}
#else
const void *big_map_file(int fd, size_t bytes) {
  (void)fd, (void)bytes;
  return NULL;
}

void big_unmap(const void *p, size_t bytes) {
  (void)p, (void)bytes;
}
#endif
