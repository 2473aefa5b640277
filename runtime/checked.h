/* Overflow-checked size arithmetic for every size computed from file data. */
#ifndef CNNRT_RUNTIME_CHECKED_H
#define CNNRT_RUNTIME_CHECKED_H

#include <stdbool.h>
#include <stddef.h>

/* *out = a * b; false (and *out untouched) on overflow. */
static inline bool mul_size(size_t a, size_t b, size_t *out) {
  size_t r;
  if (__builtin_mul_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

/* *out = a + b; false on overflow. */
static inline bool add_size(size_t a, size_t b, size_t *out) {
  size_t r;
  if (__builtin_add_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

/* *out = x rounded up to a multiple of align (a power of two); false on overflow. */
static inline bool align_size(size_t x, size_t align, size_t *out) {
  size_t r;
  if (!add_size(x, align - 1, &r)) return false;
  *out = r & ~(align - 1);
  return true;
}

#endif
