#include <string.h>
#include "ops/op.h"

#define OP(name, def) extern const op_def def;
#include "ops/ops.def"
#undef OP

static const op_def *const registry[] = {
#define OP(name, def) &def,
#include "ops/ops.def"
#undef OP
};

const op_def *op_find(const char *name) {
  for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i];
  return NULL;
}

size_t op_count(void) {
  return sizeof registry / sizeof registry[0];
}

const op_def *op_at(size_t i) {
  return i < op_count() ? registry[i] : NULL;
}
