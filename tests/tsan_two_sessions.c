/* Two threads share one model, each with its own session (and its own 2-thread pool):
 * every run must give the output a single-threaded session gave before the threads
 * started, bit for bit. Meanwhile both decode images into inputs, read the model's
 * introspection, fail calls on purpose (each thread must see its own error message), and
 * one thread reads and changes the limits. Built with -fsanitize=thread by the
 * ThreadSanitizer leg of scripts/quickstart.sh (a plain program: Criterion's own threads
 * are not instrumented). Exits 1 on any mismatch. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnnrt.h"

#define SRC(p) CNNRT_SOURCE_DIR "/" p
#define RUNS 20

static const char *const images[] = {
    SRC("models/fashion_mnist/samples/bag_18.jpg"), SRC("models/fashion_mnist/samples/coat_6.jpg"),
    SRC("tests/images/rgba16.png"), SRC("tests/images/cmyk_adobe.jpg"),
    SRC("tests/images/gray16_adam7.png")};
#define IMAGE_COUNT (sizeof images / sizeof *images)

typedef struct {
  const cnnrt_model *model;
  int index;
  const float *inputs;   /* IMAGE_COUNT samples */
  const float *expected; /* IMAGE_COUNT outputs */
  size_t n_in, n_out;
  int failures;
  char message[256];
} worker;

static void fail(worker *w, const char *what) {
  if (!w->failures++)
    snprintf(w->message, sizeof w->message, "thread %d: %s (%s)", w->index, what,
             cnnrt_last_error());
}

static void *run(void *arg) {
  worker *w = arg;
  cnnrt_session *s = NULL;
  if (cnnrt_session_create(w->model, 2, &s) != CNNRT_OK) {
    fail(w, "session");
    return NULL;
  }
  float *in = malloc(w->n_in * sizeof *in), *out = malloc(w->n_out * sizeof *out);
  const char *bad = w->index ? "/nonexistent/one.jpg" : "/nonexistent/zero.png";
  for (int r = 0; r < RUNS && in && out; r++) {
    size_t k = (size_t)(r + w->index) % IMAGE_COUNT;
    if (cnnrt_image_file_to_input(w->model, images[k], in, w->n_in) != CNNRT_OK) fail(w, "image");
    if (memcmp(in, w->inputs + k * w->n_in, w->n_in * sizeof *in) != 0) fail(w, "input differs");
    if (cnnrt_run(s, in, w->n_in, out, w->n_out) != CNNRT_OK) fail(w, "run");
    if (memcmp(out, w->expected + k * w->n_out, w->n_out * sizeof *out) != 0)
      fail(w, "output differs from the single-threaded one");
    for (size_t i = 0; i < cnnrt_model_node_count(w->model); i++)
      if (!cnnrt_model_node_name(w->model, i)) fail(w, "node name");
    if (cnnrt_image_file_to_input(w->model, bad, in, w->n_in) != CNNRT_ERR_IO ||
        !strstr(cnnrt_last_error(), bad))
      fail(w, "another thread's error message");
    if (w->index == 1) { /* limits change under the other thread's feet: atomics */
      cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, r % 2 ? 0 : ((uint64_t)1 << 30));
      if (cnnrt_get_limit(CNNRT_LIMIT_IMAGE_PIXELS) < 1000) fail(w, "limit");
    }
  }
  if (!in || !out) fail(w, "malloc");
  free(in);
  free(out);
  cnnrt_session_free(s);
  return NULL;
}

static int check_model(const char *path) {
  cnnrt_model *m = NULL;
  if (cnnrt_model_load(path, &m) != CNNRT_OK) {
    fprintf(stderr, "tsan_two_sessions: %s\n", cnnrt_last_error());
    return 1;
  }
  size_t n_in = cnnrt_model_input_count(m), n_out = cnnrt_model_output_count(m);
  float *inputs = malloc(IMAGE_COUNT * n_in * sizeof(float));
  float *expected = malloc(IMAGE_COUNT * n_out * sizeof(float));
  cnnrt_session *s = NULL;
  int failed = !inputs || !expected || cnnrt_session_create(m, 1, &s) != CNNRT_OK;
  for (size_t k = 0; !failed && k < IMAGE_COUNT; k++)
    failed = cnnrt_image_file_to_input(m, images[k], inputs + k * n_in, n_in) != CNNRT_OK ||
             cnnrt_run(s, inputs + k * n_in, n_in, expected + k * n_out, n_out) != CNNRT_OK;
  cnnrt_session_free(s);
  worker w[2];
  pthread_t t[2];
  int started = 0;
  for (int i = 0; i < 2; i++) {
    worker init = {m, i, inputs, expected, n_in, n_out, 0, ""};
    w[i] = init;
  }
  if (failed)
    fprintf(stderr, "tsan_two_sessions: %s: setup failed: %s\n", path, cnnrt_last_error());
  while (!failed && started < 2 && pthread_create(&t[started], NULL, run, &w[started]) == 0)
    started++;
  for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
  if (!failed && started < 2) {
    fprintf(stderr, "tsan_two_sessions: cannot start a thread\n");
    failed = 1;
  }
  for (int i = 0; i < started; i++)
    if (w[i].failures) {
      fprintf(stderr, "tsan_two_sessions: %s: %d failures, first: %s\n", path, w[i].failures,
              w[i].message);
      failed = 1;
    }
  free(inputs);
  free(expected);
  cnnrt_model_free(m);
  return failed;
}

int main(void) {
  int failed = check_model(SRC("models/fashion_mnist/model.json")) |
               check_model(SRC("models/tudui_cifar10/model.json"));
  if (!failed) printf("tsan_two_sessions: 2 models x 2 threads x %d runs, all identical\n", RUNS);
  return failed;
}
