#include "runtime/shape.h"

#include <stdio.h>
#include "runtime/checked.h"

shape shape4(size_t n, size_t c, size_t h, size_t w) {
  shape s = {4, {n, c, h, w}};
  return s;
}

shape shape2(size_t n, size_t f) {
  shape s = {2, {n, f}};
  return s;
}

bool shape_count(const shape *s, size_t *count) {
  size_t total = 1;
  for (int i = 0; i < s->rank; i++)
    if (!mul_size(total, s->dim[i], &total)) return false;
  *count = total;
  return true;
}

size_t shape_numel(const shape *s) {
  size_t total = 1;
  for (int i = 0; i < s->rank; i++) total *= s->dim[i];
  return total;
}

bool shape_equal(const shape *a, const shape *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dim[i] != b->dim[i]) return false;
  return true;
}

void shape_format(const shape *s, char *buf, size_t buf_size) {
  size_t n = 0;
  if (buf_size == 0) return;
  buf[0] = '\0';
  n += (size_t)snprintf(buf, buf_size, "[");
  for (int i = 0; i < s->rank && n < buf_size; i++)
    n += (size_t)snprintf(buf + n, buf_size - n, i ? ", %zu" : "%zu", s->dim[i]);
  if (n < buf_size) snprintf(buf + n, buf_size - n, "]");
}
