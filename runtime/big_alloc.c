/* MADV_HUGEPAGE is a Linux extension, outside POSIX */
#define _DEFAULT_SOURCE 1
#include "runtime/big_alloc.h"

#include <stdlib.h>
#if defined(__linux__)
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
