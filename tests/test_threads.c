/* Thread-count determinism: the same input gives bit-identical outputs, and bit-identical
 * intermediate tensors, with 1, 2, 3 and 4 threads. */
#include <stdlib.h>
#include <string.h>
#include "tests/golden/golden_conv2d.h"
#include "tests/test_util.h"

typedef struct {
  float *data;
  size_t count;
  size_t filled;
} trace;

/* Observer: appends every node's output to one buffer. */
static void record(void *user, size_t node, const float *data, size_t count) {
  trace *t = user;
  (void)node;
  cr_assert_leq(t->filled + count, t->count, "trace overflow");
  memcpy(t->data + t->filled, data, count * sizeof *data);
  t->filled += count;
}

static size_t trace_floats(const cnnrt_model *m, size_t batch) {
  size_t total = 0;
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
    size_t dims[6];
    int rank = 0;
    cr_assert_eq(cnnrt_model_node_shape(m, i, dims, 6, &rank), CNNRT_OK);
    size_t n = batch;
    for (int d = 1; d < rank; d++) n *= dims[d];
    total += rank >= 1 ? n : 1;
  }
  return total;
}

static void check_deterministic(const char *what, const cnnrt_model *m, size_t batch) {
  size_t sample = cnnrt_model_input_count(m);
  size_t dims[4];
  cr_assert_eq(cnnrt_model_input_shape(m, dims), CNNRT_OK);
  sample /= dims[0];
  float *in = tu_random_floats(sample * batch, 99);
  trace first = {NULL, 0, 0};
  float *first_out = NULL;
  size_t n_out = 0;
  for (int threads = 1; threads <= 4; threads++) {
    cnnrt_session *s = NULL;
    cr_assert_eq(cnnrt_session_create_batch(m, threads, batch, &s), CNNRT_OK, "%s",
                 cnnrt_last_error());
    n_out = cnnrt_session_output_count(s);
    trace t = {calloc(trace_floats(m, batch), sizeof(float)), trace_floats(m, batch), 0};
    float *out = calloc(n_out, sizeof *out);
    cr_assert(t.data && out);
    cr_assert_eq(cnnrt_run_observed(s, in, sample * batch, out, n_out, record, &t), CNNRT_OK);
    cr_assert_eq(t.filled, t.count, "%s: observed %zu floats, expected %zu", what, t.filled,
                 t.count);
    if (threads == 1) {
      first = t;
      first_out = out;
    } else {
      cr_assert_arr_eq(out, first_out, n_out * sizeof *out,
                       "%s batch %zu: output with %d threads differs from 1 thread", what, batch,
                       threads);
      cr_assert_arr_eq(t.data, first.data, t.count * sizeof(float),
                       "%s batch %zu: an intermediate tensor with %d threads differs", what, batch,
                       threads);
      free(t.data);
      free(out);
    }
    cnnrt_session_free(s);
  }
  free(first.data);
  free(first_out);
  free(in);
}

Test(threads, fashion_mnist) {
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  check_deterministic("fashion_mnist", m, 1);
  check_deterministic("fashion_mnist", m, 3);
  cnnrt_model_free(m);
}

Test(threads, tudui_cifar10) {
  cnnrt_model *m = tu_load_file(TU_TUDUI_JSON);
  check_deterministic("tudui_cifar10", m, 2);
  cnnrt_model_free(m);
}

/* Every golden conv layout (groups, padding modes, 1x1 path) at batch 2. */
Test(threads, golden_convolutions) {
  for (size_t i = 0; i < TU_COUNT(golden_conv2d); i++) {
    const golden_case *c = &golden_conv2d[i];
    cnnrt_model *m = NULL;
    cr_assert_eq(
        cnnrt_model_load_memory(c->json, strlen(c->json), c->weights, c->weights_bytes, &m),
        CNNRT_OK);
    check_deterministic(c->name, m, 2);
    cnnrt_model_free(m);
  }
}
