/* Tensor shapes and tensors (dense float32, row-major, batch first). */
#ifndef CNNRT_RUNTIME_SHAPE_H
#define CNNRT_RUNTIME_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#define CNNRT_MAX_RANK 6

typedef struct {
  int rank;
  size_t dim[CNNRT_MAX_RANK];
} shape;

typedef struct {
  shape shape;
  float *data;
} tensor;

/* Builds a 4-D / 2-D shape. */
shape shape4(size_t n, size_t c, size_t h, size_t w);
shape shape2(size_t n, size_t f);

/* Number of elements; false on overflow. */
bool shape_count(const shape *s, size_t *count);

/* Element count of a shape already validated by shape inference (no overflow possible). */
size_t shape_numel(const shape *s);

bool shape_equal(const shape *a, const shape *b);

/* Writes "[1, 3, 32, 32]" into buf (always NUL-terminated). */
void shape_format(const shape *s, char *buf, size_t buf_size);

#endif
