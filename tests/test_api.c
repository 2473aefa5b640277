/* The public API's contract: argument checking on every function, sessions at other batch
 * sizes, the observer, and sharing a model between threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/test_util.h"

#define ARG CNNRT_ERR_ARGUMENT
#define TINY_MODEL                                                                                 \
  "{'format': 'cnnrt', 'version': 1, 'input': {'name': 'x', 'shape': [1, 1, 2, 2]},"               \
  " 'nodes': [{'name': 'r', 'op': 'ReLU'}]}"

static void expect_arg(const char *call, cnnrt_status st) {
  tu_assert_error(call, st, ARG, NULL, NULL);
  cr_assert_neq(cnnrt_last_error()[0], '\0', "%s: no message", call);
}

Test(api, null_arguments_on_models) {
  cnnrt_model *m = NULL;
  size_t dims[6];
  int rank;
  expect_arg("model_load(NULL path)", cnnrt_model_load(NULL, &m));
  expect_arg("model_load(NULL out)", cnnrt_model_load(TU_FASHION_JSON, NULL));
  expect_arg("load_memory(NULL json)", cnnrt_model_load_memory(NULL, 3, NULL, 0, &m));
  expect_arg("load_memory(NULL out)", cnnrt_model_load_memory("{}", 2, NULL, 0, NULL));
  expect_arg("load_memory(NULL weights, len 8)", cnnrt_model_load_memory("{}", 2, NULL, 8, &m));
  cr_assert_null(m);
  expect_arg("input_shape(NULL model)", cnnrt_model_input_shape(NULL, dims));
  expect_arg("output_shape(NULL model)", cnnrt_model_output_shape(NULL, dims, 6, &rank));
  expect_arg("node_shape(NULL model)", cnnrt_model_node_shape(NULL, 0, dims, 6, &rank));
  cr_assert_eq(cnnrt_model_input_count(NULL), 0);
  cr_assert_eq(cnnrt_model_output_count(NULL), 0);
  cr_assert_eq(cnnrt_model_label_count(NULL), 0);
  cr_assert_null(cnnrt_model_label(NULL, 0));
  cr_assert_eq(cnnrt_model_output_is_probability(NULL), 0);
  cr_assert_eq(cnnrt_model_node_count(NULL), 0);
  cr_assert_null(cnnrt_model_node_name(NULL, 0));
  cr_assert_null(cnnrt_model_node_op(NULL, 0));
  cr_assert_null(cnnrt_model_node_kernel(NULL, 0));
  cr_assert_eq(cnnrt_model_node_is_fused(NULL, 0), 0);
  cr_assert_eq(cnnrt_model_node_param_count(NULL, 0), 0);
  cr_assert_eq(cnnrt_model_node_macs(NULL, 0), 0);
  cnnrt_model_free(NULL);
}

Test(api, bad_arguments_with_a_model) {
  cnnrt_model *m = tu_load(TINY_MODEL, NULL, 0);
  size_t dims[6];
  int rank;
  expect_arg("input_shape(NULL dims)", cnnrt_model_input_shape(m, NULL));
  expect_arg("output_shape(NULL dims)", cnnrt_model_output_shape(m, NULL, 6, &rank));
  expect_arg("output_shape(NULL rank)", cnnrt_model_output_shape(m, dims, 6, NULL));
  expect_arg("output_shape(max_dims 3 < rank 4)", cnnrt_model_output_shape(m, dims, 3, &rank));
  expect_arg("node_shape(node 1 of 1)", cnnrt_model_node_shape(m, 1, dims, 6, &rank));
  expect_arg("node_shape(NULL dims)", cnnrt_model_node_shape(m, 0, NULL, 6, &rank));
  cr_assert_null(cnnrt_model_label(m, 0), "no labels");
  cr_assert_null(cnnrt_model_node_name(m, 1));
  cr_assert_null(cnnrt_model_node_op(m, 1));
  cr_assert_null(cnnrt_model_node_kernel(m, 1));
  cr_assert_str_eq(cnnrt_model_node_kernel(m, 0), "", "ReLU has one kernel");
  cr_assert_eq(cnnrt_model_node_is_fused(m, 1), 0);
  cr_assert_eq(cnnrt_model_node_param_count(m, 1), 0);
  cr_assert_eq(cnnrt_model_node_macs(m, 1), 0);
  cr_assert_str_eq(cnnrt_model_node_name(m, 0), "r");
  cr_assert_str_eq(cnnrt_model_node_op(m, 0), "ReLU");
  cnnrt_model_free(m);
}

Test(api, bad_arguments_on_sessions) {
  cnnrt_model *m = tu_load(TINY_MODEL, NULL, 0);
  cnnrt_session *s = (cnnrt_session *)&s;
  expect_arg("session_create(NULL model)", cnnrt_session_create(NULL, 1, &s));
  expect_arg("session_create(NULL out)", cnnrt_session_create(m, 1, NULL));
  expect_arg("session_create_batch(NULL model)", cnnrt_session_create_batch(NULL, 1, 2, &s));
  tu_assert_error("batch 0", cnnrt_session_create_batch(m, 1, 0, &s), ARG, "batch", "got 0");
  cr_assert_null(s, "out must be NULL after a failure");
  expect_arg("batch 2^40", cnnrt_session_create_batch(m, 1, (size_t)1 << 40, &s));
  cr_assert_eq(cnnrt_session_batch(NULL), 0);
  cr_assert_eq(cnnrt_session_input_count(NULL), 0);
  cr_assert_eq(cnnrt_session_output_count(NULL), 0);
  cr_assert_eq(cnnrt_session_arena_bytes(NULL), 0);
  cr_assert_eq(cnnrt_session_naive_bytes(NULL), 0);
  cnnrt_session_free(NULL);

  cr_assert_eq(cnnrt_session_create(m, 0, &s), CNNRT_OK, "threads 0 means 1");
  size_t offset, bytes;
  expect_arg("node_arena(NULL session)", cnnrt_session_node_arena(NULL, 0, &offset, &bytes));
  expect_arg("node_arena(node 1 of 1)", cnnrt_session_node_arena(s, 1, &offset, &bytes));
  expect_arg("node_arena(NULL offset)", cnnrt_session_node_arena(s, 0, NULL, &bytes));
  expect_arg("node_arena(NULL bytes)", cnnrt_session_node_arena(s, 0, &offset, NULL));
  float in[4] = {1, -2, 3, -4}, out[5] = {0};
  expect_arg("run(NULL session)", cnnrt_run(NULL, in, 4, out, 4));
  expect_arg("run(NULL input)", cnnrt_run(s, NULL, 4, out, 4));
  expect_arg("run(NULL output)", cnnrt_run(s, in, 4, NULL, 4));
  tu_assert_error("run(input count 3)", cnnrt_run(s, in, 3, out, 4), ARG, "input count is 3",
                  "needs 4");
  tu_assert_error("run(output count 5)", cnnrt_run(s, in, 4, out, 5), ARG, "output count is 5",
                  "needs 4");
  expect_arg("run_observed(NULL input)", cnnrt_run_observed(s, NULL, 4, out, 4, NULL, NULL));
  cr_assert_eq(out[0], 0.0f, "a failed run must not write the output");
  cr_assert_eq(cnnrt_run_observed(s, in, 4, out, 4, NULL, NULL), CNNRT_OK, "NULL observer");
  cr_assert(out[0] == 1 && out[1] == 0 && out[2] == 3 && out[3] == 0);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

Test(api, bad_arguments_on_images_and_scores) {
  cnnrt_model *m = tu_load(TINY_MODEL, NULL, 0);
  float dst[4], probs[4];
  const uint8_t px[4] = {0};
  size_t idx[4];
  expect_arg("image_file(NULL model)", cnnrt_image_file_to_input(NULL, "a.jpg", dst, 4));
  expect_arg("image_file(NULL dst)", cnnrt_image_file_to_input(m, "a.jpg", NULL, 4));
  tu_assert_error("image_file(no preprocess)", cnnrt_image_file_to_input(m, "a.jpg", dst, 4), ARG,
                  "<memory>", "no \"preprocess\" section");
  expect_arg("pixels(NULL model)", cnnrt_pixels_to_input(NULL, px, 2, 2, 1, 2, dst, 4));
  expect_arg("pixels(no preprocess)", cnnrt_pixels_to_input(m, px, 2, 2, 1, 2, dst, 4));
  expect_arg("probabilities(NULL model)", cnnrt_probabilities(NULL, dst, probs, 4));
  expect_arg("probabilities(NULL row)", cnnrt_probabilities(m, NULL, probs, 4));
  expect_arg("probabilities(NULL probs)", cnnrt_probabilities(m, dst, NULL, 4));
  expect_arg("probabilities(n 0)", cnnrt_probabilities(m, dst, probs, 0));
  expect_arg("top_k(NULL scores)", cnnrt_top_k(NULL, 4, 1, idx));
  expect_arg("top_k(NULL indices)", cnnrt_top_k(probs, 4, 1, NULL));
  tu_assert_error("top_k(k 5 > n 4)", cnnrt_top_k(probs, 4, 5, idx), ARG, "k 5 > n 4", NULL);
  cnnrt_model_free(m);

  m = tu_load("{'format': 'cnnrt', 'version': 1, 'preprocess': {'color': 'gray'},"
              " 'input': {'name': 'x', 'shape': [1, 1, 2, 2]}, 'nodes': [{'name': 'r', 'op': "
              "'ReLU'}]}",
              NULL, 0);
  expect_arg("image_file(NULL path)", cnnrt_image_file_to_input(m, NULL, dst, 4));
  tu_assert_error("image_file(dst_count 3)", cnnrt_image_file_to_input(m, "a.jpg", dst, 3), ARG,
                  "dst_count is 3", "4 floats");
  expect_arg("pixels(NULL pixels)", cnnrt_pixels_to_input(m, NULL, 2, 2, 1, 2, dst, 4));
  expect_arg("pixels(width 0)", cnnrt_pixels_to_input(m, px, 0, 2, 1, 2, dst, 4));
  expect_arg("pixels(height -1)", cnnrt_pixels_to_input(m, px, 2, -1, 1, 2, dst, 4));
  expect_arg("pixels(2 channels)", cnnrt_pixels_to_input(m, px, 2, 2, 2, 4, dst, 4));
  expect_arg("pixels(stride < width)", cnnrt_pixels_to_input(m, px, 2, 2, 1, 1, dst, 4));
  expect_arg("pixels(dst_count 5)", cnnrt_pixels_to_input(m, px, 2, 2, 1, 2, dst, 5));
  cnnrt_model_free(m);
}

Test(api, names_and_version) {
  cr_assert_str_eq(cnnrt_version(), CNNRT_VERSION_STRING);
  const char *names[] = {"CNNRT_OK",           "CNNRT_ERR_IO",          "CNNRT_ERR_FORMAT",
                         "CNNRT_ERR_SHAPE",    "CNNRT_ERR_UNSUPPORTED", "CNNRT_ERR_MEMORY",
                         "CNNRT_ERR_ARGUMENT", "CNNRT_ERR_IMAGE"};
  for (int i = 0; i <= CNNRT_ERR_IMAGE; i++)
    cr_assert_str_eq(cnnrt_status_name((cnnrt_status)i), names[i]);
  cr_assert_str_eq(cnnrt_status_name((cnnrt_status)99), "CNNRT_ERR_UNKNOWN");
}

/* Runs n samples of in through a batch-n session; returns the malloc'ed output. */
static float *run_batch(const cnnrt_model *m, size_t n, const float *in) {
  return tu_run(m, 2, n, in, NULL);
}

/* A batch-5 session gives each sample exactly what 5 batch-1 runs give. */
Test(api, batch_matches_single_runs) {
  const char *paths[2] = {TU_FASHION_JSON, TU_TUDUI_JSON};
  for (int p = 0; p < 2; p++) {
    cnnrt_model *m = tu_load_file(paths[p]);
    size_t in_n = cnnrt_model_input_count(m), out_n = cnnrt_model_output_count(m);
    float *in = tu_random_floats(5 * in_n, 11 + (uint64_t)p);
    float *batched = run_batch(m, 5, in);
    for (size_t k = 0; k < 5; k++) {
      float *single = run_batch(m, 1, in + k * in_n);
      cr_assert_arr_eq(single, batched + k * out_n, out_n * sizeof(float),
                       "%s: sample %zu of a batch-5 run differs from its batch-1 run", paths[p], k);
      free(single);
    }
    free(batched);
    free(in);
    cnnrt_model_free(m);
  }
}

typedef struct {
  const cnnrt_model *m;
  size_t batch;
  size_t calls;
  int in_order;
  int counts_ok;
  float last[64];
} observation;

static void observe(void *user, size_t node, const float *data, size_t count) {
  observation *o = user;
  size_t dims[6], want = o->batch;
  int rank = 0;
  if (node != o->calls) o->in_order = 0;
  if (cnnrt_model_node_shape(o->m, node, dims, 6, &rank) != CNNRT_OK) o->counts_ok = 0;
  for (int d = 1; d < rank; d++) want *= dims[d];
  if (count != want) o->counts_ok = 0;
  if (count <= 64) memcpy(o->last, data, count * sizeof *data);
  o->calls++;
}

Test(api, observer_sees_every_node_once) {
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create_batch(m, 2, 3, &s), CNNRT_OK);
  size_t in_n = cnnrt_session_input_count(s), out_n = cnnrt_session_output_count(s);
  float *in = tu_random_floats(in_n, 5), out[30], plain[30];
  observation o = {m, 3, 0, 1, 1, {0}};
  cr_assert_eq(out_n, 30);
  cr_assert_eq(cnnrt_run_observed(s, in, in_n, out, out_n, observe, &o), CNNRT_OK);
  cr_assert_eq(o.calls, cnnrt_model_node_count(m), "%zu calls for %zu nodes", o.calls,
               cnnrt_model_node_count(m));
  cr_assert(o.in_order, "nodes not reported in order");
  cr_assert(o.counts_ok, "a count does not match the node's shape at batch 3");
  cr_assert_arr_eq(o.last, out, sizeof out, "the last node's data is not the output");
  cr_assert_eq(cnnrt_run(s, in, in_n, plain, out_n), CNNRT_OK);
  cr_assert_arr_eq(plain, out, sizeof out, "observing changed the result");
  free(in);
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

typedef struct {
  pthread_barrier_t *barrier;
  const cnnrt_model *m;
  int which;
  char message[256];
  const float *in;
  float out[10 * 4];
  int ok;
} worker;

/* Fails a call of its own, waits until the other thread failed too, reads its message. */
static void *fail_and_read(void *arg) {
  worker *w = arg;
  cnnrt_model *m = NULL;
  if (w->which == 0)
    cnnrt_model_load("/nonexistent-cnnrt/thread-zero.json", &m);
  else
    cnnrt_top_k(NULL, 1, 1, NULL);
  pthread_barrier_wait(w->barrier);
  snprintf(w->message, sizeof w->message, "%s", cnnrt_last_error());
  return NULL;
}

Test(api, last_error_is_per_thread) {
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  worker w[2] = {{&barrier, NULL, 0, "", NULL, {0}, 0}, {&barrier, NULL, 1, "", NULL, {0}, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, fail_and_read, &w[i]);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&barrier);
  cr_assert(strstr(w[0].message, "thread-zero.json"), "thread 0 read: %s", w[0].message);
  cr_assert(strstr(w[1].message, "cnnrt_top_k"), "thread 1 read: %s", w[1].message);
  cr_assert_str_eq(cnnrt_last_error(), "", "the main thread failed nothing");
}

/* Each thread has its own session on the shared model and runs it many times. */
static void *run_shared(void *arg) {
  worker *w = arg;
  cnnrt_session *s = NULL;
  w->ok = cnnrt_session_create_batch(w->m, 1 + w->which, 4, &s) == CNNRT_OK;
  pthread_barrier_wait(w->barrier);
  size_t in_n = cnnrt_session_input_count(s);
  for (int i = 0; w->ok && i < 20; i++)
    w->ok = cnnrt_run(s, w->in, in_n, w->out, sizeof w->out / sizeof w->out[0]) == CNNRT_OK;
  cnnrt_session_free(s);
  return NULL;
}

Test(api, model_shared_between_threads) {
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  float *in = tu_random_floats(4 * cnnrt_model_input_count(m), 21);
  float *reference = run_batch(m, 4, in);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  worker w[2] = {{&barrier, m, 0, "", in, {0}, 0}, {&barrier, m, 1, "", in, {0}, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, run_shared, &w[i]);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&barrier);
  for (int i = 0; i < 2; i++) {
    cr_assert(w[i].ok, "thread %d failed", i);
    cr_assert_arr_eq(w[i].out, reference, sizeof w[i].out, "thread %d differs", i);
  }
  free(reference);
  free(in);
  cnnrt_model_free(m);
}
