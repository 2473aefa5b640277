/* The public API end to end in one process, for valgrind memcheck (tests/security_tests.cmake
 * runs it with --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1): loading
 * from files and memory, introspection, sessions at several batch sizes and thread counts,
 * runs, images of every kind, limits, and every failure path (each must free what it
 * allocated), plus two threads sharing a model. Exits 1 at the first failed check.
 * Usage: api_memcheck WORK_DIR (created; temporary files go there). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cnnrt.h"

#define SRC(p) CNNRT_SOURCE_DIR "/" p

static int checks;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    checks++;                                                                                      \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "api_memcheck: %s:%d: check failed: %s\n  ", __FILE__, __LINE__, #cond);     \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fprintf(stderr, "\n  last error: %s\n", cnnrt_last_error());                                 \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

/* A call that must fail with want and a message containing text. */
#define FAILS(call, want, text)                                                                    \
  do {                                                                                             \
    cnnrt_status st_ = (call);                                                                     \
    CHECK(st_ == (want) && strstr(cnnrt_last_error(), (text)), "%s: got %s, want %s with '%s'",    \
          #call, cnnrt_status_name(st_), cnnrt_status_name(want), (text));                         \
  } while (0)

static const char *work;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  CHECK(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char *data = malloc((size_t)size + 1);
  CHECK(data && fread(data, 1, (size_t)size, f) == (size_t)size, "cannot read %s", path);
  fclose(f);
  data[size] = '\0';
  *len = (size_t)size;
  return data;
}

static char *work_file(const char *name, const void *data, size_t len) {
  size_t size = strlen(work) + strlen(name) + 2;
  char *path = malloc(size);
  CHECK(path, "malloc");
  snprintf(path, size, "%s/%s", work, name);
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(data, 1, len, f) == len && fclose(f) == 0, "cannot write %s", path);
  return path;
}

static cnnrt_model *load_json(const char *json, const void *blob, size_t blob_len) {
  cnnrt_model *m = NULL;
  cnnrt_status st = cnnrt_model_load_memory(json, strlen(json), blob, blob_len, &m);
  CHECK(st == CNNRT_OK && m, "load_memory: %s", cnnrt_status_name(st));
  return m;
}

static void introspect(const cnnrt_model *m) {
  size_t dims[6];
  int rank;
  CHECK(cnnrt_model_input_shape(m, dims) == CNNRT_OK, "input shape");
  CHECK(cnnrt_model_output_shape(m, dims, 6, &rank) == CNNRT_OK, "output shape");
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
    CHECK(cnnrt_model_node_name(m, i) && cnnrt_model_node_op(m, i) && cnnrt_model_node_kernel(m, i),
          "node %zu", i);
    CHECK(cnnrt_model_node_shape(m, i, dims, 6, &rank) == CNNRT_OK, "node shape %zu", i);
    (void)cnnrt_model_node_macs(m, i);
    (void)cnnrt_model_node_param_count(m, i);
    (void)cnnrt_model_node_is_fused(m, i);
  }
  CHECK(cnnrt_model_node_name(m, 9999) == NULL, "out of range name");
  FAILS(cnnrt_model_node_shape(m, 9999, dims, 6, &rank), CNNRT_ERR_ARGUMENT, "out of range");
  FAILS(cnnrt_model_output_shape(m, dims, 0, &rank), CNNRT_ERR_ARGUMENT, "max_dims is 0");
}

static void observe(void *user, size_t node, const float *data, size_t count) {
  double *sum = user;
  for (size_t i = 0; i < count; i++) *sum += data[i] * 1e-9;
  (void)node;
}

/* Sessions at batches 1 and 3 with 1 and 3 threads: the same sample gives the same output. */
static void run_sessions(const cnnrt_model *m, const float *sample) {
  size_t n_in = cnnrt_model_input_count(m), n_out = cnnrt_model_output_count(m);
  float *first = NULL;
  for (int threads = 1; threads <= 3; threads += 2)
    for (size_t batch = 1; batch <= 3; batch += 2) {
      cnnrt_session *s = NULL;
      CHECK(cnnrt_session_create_batch(m, threads, batch, &s) == CNNRT_OK, "session %d/%zu",
            threads, batch);
      size_t in_count = cnnrt_session_input_count(s), out_count = cnnrt_session_output_count(s);
      CHECK(in_count == n_in * batch && out_count == n_out * batch, "counts");
      float *in = malloc(in_count * sizeof *in), *out = malloc(out_count * sizeof *out);
      CHECK(in && out, "malloc");
      for (size_t b = 0; b < batch; b++) memcpy(in + b * n_in, sample, n_in * sizeof *in);
      CHECK(cnnrt_run(s, in, in_count, out, out_count) == CNNRT_OK, "run");
      double sum = 0;
      CHECK(cnnrt_run_observed(s, in, in_count, out, out_count, observe, &sum) == CNNRT_OK, "obs");
      for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
        size_t offset, bytes;
        CHECK(cnnrt_session_node_arena(s, i, &offset, &bytes) == CNNRT_OK, "arena %zu", i);
        CHECK(bytes == 0 || offset + bytes <= cnnrt_session_arena_bytes(s), "arena bounds");
      }
      FAILS(cnnrt_run(s, in, in_count - 1, out, out_count), CNNRT_ERR_ARGUMENT, "input count");
      FAILS(cnnrt_run(s, in, in_count, NULL, out_count), CNNRT_ERR_ARGUMENT, "output is NULL");
      if (!first) {
        first = malloc(n_out * sizeof *first);
        CHECK(first, "malloc");
        memcpy(first, out, n_out * sizeof *first);
      }
      for (size_t b = 0; b < batch; b++)
        CHECK(memcmp(out + b * n_out, first, n_out * sizeof *out) == 0, "batch %zu differs", b);
      float probs[64];
      size_t best[3];
      if (n_out <= 64) {
        CHECK(cnnrt_probabilities(m, out, probs, n_out) == CNNRT_OK, "probs");
        CHECK(cnnrt_top_k(probs, n_out, 3, best) == CNNRT_OK, "top_k");
      }
      free(in);
      free(out);
      cnnrt_session_free(s);
    }
  free(first);
}

static void models_and_runs(void) {
  cnnrt_model *m = NULL;
  CHECK(cnnrt_model_load(SRC("models/fashion_mnist/model.json"), &m) == CNNRT_OK, "fashion");
  introspect(m);
  size_t n_in = cnnrt_model_input_count(m);
  float *sample = malloc(n_in * sizeof *sample);
  CHECK(sample, "malloc");
  CHECK(cnnrt_image_file_to_input(m, SRC("models/fashion_mnist/samples/bag_18.jpg"), sample,
                                  n_in) == CNNRT_OK,
        "bag");
  run_sessions(m, sample);
  free(sample);
  cnnrt_model_free(m);

  /* the tutorial CIFAR-10 model from memory, with a PNG and a CMYK JPEG */
  size_t json_len, blob_len;
  char *json = slurp(SRC("models/tudui_cifar10/model.json"), &json_len);
  char *blob = slurp(SRC("models/tudui_cifar10/model.bin"), &blob_len);
  CHECK(cnnrt_model_load_memory(json, json_len, blob, blob_len, &m) == CNNRT_OK, "tudui");
  free(json);
  free(blob);
  introspect(m);
  n_in = cnnrt_model_input_count(m);
  sample = malloc(n_in * sizeof *sample);
  CHECK(sample, "malloc");
  CHECK(cnnrt_image_file_to_input(m, SRC("tests/images/rgba16.png"), sample, n_in) == CNNRT_OK,
        "png");
  CHECK(cnnrt_image_file_to_input(m, SRC("tests/images/cmyk_adobe.jpg"), sample, n_in) == CNNRT_OK,
        "cmyk");
  run_sessions(m, sample);
  free(sample);
  cnnrt_model_free(m);
}

#define MODEL_HEAD "{\"format\": \"cnnrt\", \"version\": 1, "
#define CHAIN(shape, nodes)                                                                        \
  MODEL_HEAD "\"input\": {\"name\": \"x\", \"shape\": " shape "}, \"nodes\": [" nodes "]}"
#define RELU "{\"name\": \"r%d\", \"op\": \"ReLU\"}"

/* Loads that fail must leave nothing allocated. */
static void load_failures(void) {
  cnnrt_model *m = (cnnrt_model *)&m;
  FAILS(cnnrt_model_load(SRC("models/none/model.json"), &m), CNNRT_ERR_IO, "cannot open");
  CHECK(m == NULL, "out not NULL");
  FAILS(cnnrt_model_load(SRC("models"), &m), CNNRT_ERR_IO, "not a regular file");
  FAILS(cnnrt_model_load(NULL, &m), CNNRT_ERR_ARGUMENT, "json_path");
  const char *bad[] = {
      "{",
      "[1, 2]",
      MODEL_HEAD "\"input\": {\"name\": \"x\", \"shape\": [1, 1, 2, 2]}, \"labels\": [\"a\", 1], "
                 "\"nodes\": [{\"name\": \"f\", \"op\": \"Flatten\"}]}",
      CHAIN("[1, 1, 4, 4]", "{\"name\": \"a\", \"op\": \"ReLU\", \"inputs\": [\"b\"]},"
                            " {\"name\": \"b\", \"op\": \"ReLU\", \"inputs\": [\"a\"]}"),
      CHAIN("[1, 1, 4, 4]",
            "{\"name\": \"c\", \"op\": \"Conv2d\", \"params\": {\"in_channels\": 1, "
            "\"out_channels\": 4, \"kernel_size\": 3}}"),
      CHAIN("[1, 1, 4, 4]", "{\"name\": \"p\", \"op\": \"AdaptiveAvgPool2d\", \"params\": "
                            "{\"output_size\": 1073741824}}"),
      CHAIN("[1, 1, 4, 4]", "{\"name\": \"s\", \"op\": \"Softmax\", \"params\": {\"dim\": 9}}"),
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cnnrt_status st = cnnrt_model_load_memory(bad[i], strlen(bad[i]), NULL, 0, &m);
    CHECK(st != CNNRT_OK && m == NULL && strncmp(cnnrt_last_error(), "<memory>", 8) == 0,
          "bad model %zu loaded (%s)", i, cnnrt_status_name(st));
  }
  /* over the limits, on the way in and after much was built */
  char json[4096];
  size_t n = (size_t)snprintf(json, sizeof json,
                              MODEL_HEAD "\"input\": {\"name\": \"x\", "
                                         "\"shape\": [1, 1, 4, 4]}, \"nodes\": [");
  for (int i = 0; i < 20; i++)
    n += (size_t)snprintf(json + n, sizeof json - n, "%s" RELU, i ? ", " : "", i);
  snprintf(json + n, sizeof json - n, "]}");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_NODES, 19) == CNNRT_OK, "set");
  FAILS(cnnrt_model_load_memory(json, strlen(json), NULL, 0, &m), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_NODES");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_NODES, 0) == CNNRT_OK, "reset");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 10) == CNNRT_OK, "set");
  FAILS(cnnrt_model_load_memory(json, strlen(json), NULL, 0, &m), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_GRAPH_DEPTH");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_GRAPH_DEPTH, 0) == CNNRT_OK, "reset");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 63) == CNNRT_OK, "set");
  FAILS(cnnrt_model_load_memory(json, strlen(json), NULL, 0, &m), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_TENSOR_BYTES");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 0) == CNNRT_OK, "reset");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_MODEL_BYTES, 100) == CNNRT_OK, "set");
  FAILS(cnnrt_model_load(SRC("models/fashion_mnist/model.json"), &m), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_MODEL_BYTES");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_MODEL_BYTES, 0) == CNNRT_OK, "reset");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_WEIGHTS_BYTES, 1000) == CNNRT_OK, "set");
  FAILS(cnnrt_model_load(SRC("models/fashion_mnist/model.json"), &m), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_WEIGHTS_BYTES");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_WEIGHTS_BYTES, 0) == CNNRT_OK, "reset");
  /* a model whose file's blob is truncated: read, then refused */
  size_t json_len, blob_len;
  char *text = slurp(SRC("models/fashion_mnist/model.json"), &json_len);
  char *blob = slurp(SRC("models/fashion_mnist/model.bin"), &blob_len);
  char *json_path = work_file("model.json", text, json_len);
  free(work_file("model.bin", blob, blob_len / 2));
  FAILS(cnnrt_model_load(json_path, &m), CNNRT_ERR_FORMAT, "runs past the end of the weight blob");
  free(json_path);
  free(text);
  free(blob);
}

static void session_failures(void) {
  cnnrt_model *m = load_json(CHAIN("[2, 3, 8, 8]", "{\"name\": \"s\", \"op\": \"Sigmoid\"}, "
                                                   "{\"name\": \"f\", \"op\": \"Flatten\"}"),
                             NULL, 0);
  cnnrt_session *s = (cnnrt_session *)&s;
  FAILS(cnnrt_session_create_batch(m, 1, 0, &s), CNNRT_ERR_ARGUMENT, "batch");
  CHECK(s == NULL, "out not NULL");
  FAILS(cnnrt_session_create_batch(NULL, 1, 1, &s), CNNRT_ERR_ARGUMENT, "model is NULL");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_ARENA_BYTES, 1000) == CNNRT_OK, "set");
  FAILS(cnnrt_session_create(m, 2, &s), CNNRT_ERR_LIMIT, "the arena at batch 2");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_ARENA_BYTES, 0) == CNNRT_OK, "reset");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 4 * 3 * 64 * 100) == CNNRT_OK, "set");
  FAILS(cnnrt_session_create_batch(m, 1, 101, &s), CNNRT_ERR_LIMIT, "at batch 101");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_TENSOR_BYTES, 0) == CNNRT_OK, "reset");
  CHECK(cnnrt_session_create_batch(m, 2, 101, &s) == CNNRT_OK, "batch 101");
  cnnrt_session_free(s);
  cnnrt_session_free(NULL);
  cnnrt_model_free(m);
  cnnrt_model_free(NULL);
}

static void image_failures(void) {
  cnnrt_model *m = load_json(MODEL_HEAD "\"preprocess\": {\"color\": \"rgb\"}, \"input\": "
                                        "{\"name\": \"x\", \"shape\": [1, 3, 8, 8]}, \"nodes\": "
                                        "[{\"name\": \"f\", \"op\": \"Flatten\"}]}",
                             NULL, 0);
  float dst[192];
  size_t len;
  char *jpeg = slurp(SRC("tests/images/progressive_420.jpg"), &len);
  for (size_t cut = 0; cut < len; cut += len / 13 + 1)
    FAILS(cnnrt_image_memory_to_input(m, jpeg, cut, "cut.jpg", dst, 192), CNNRT_ERR_IMAGE,
          "cut.jpg");
  char *path = work_file("half.JPG", jpeg, len / 2);
  FAILS(cnnrt_image_file_to_input(m, path, dst, 192), CNNRT_ERR_IMAGE, "half.JPG");
  free(path);
  free(jpeg);
  char *png = slurp(SRC("tests/images/rgb8_adam7.png"), &len);
  for (size_t cut = 0; cut < len; cut += len / 13 + 1)
    FAILS(cnnrt_image_memory_to_input(m, png, cut, "cut.png", dst, 192), CNNRT_ERR_IMAGE,
          "cut.png");
  png[len / 2] ^= 0x40;
  FAILS(cnnrt_image_memory_to_input(m, png, len, "crc.png", dst, 192), CNNRT_ERR_IMAGE, "crc.png");
  free(png);
  FAILS(cnnrt_image_file_to_input(m, work, dst, 192), CNNRT_ERR_IO, "not a regular file");
  FAILS(cnnrt_image_memory_to_input(m, "GIF89a", 6, "g", dst, 192), CNNRT_ERR_IMAGE, "GIF");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 100) == CNNRT_OK, "set");
  FAILS(cnnrt_image_file_to_input(m, SRC("tests/images/rgb8.png"), dst, 192), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_IMAGE_PIXELS");
  FAILS(cnnrt_image_file_to_input(m, SRC("tests/images/cmyk_adobe.jpg"), dst, 192), CNNRT_ERR_LIMIT,
        "CNNRT_LIMIT_IMAGE_PIXELS");
  CHECK(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 0) == CNNRT_OK, "reset");
  const char *ok[] = {"gray1.png",      "graya16.png",       "pal8_trns.png",
                      "rgb8_adam7.png", "cmyk_no_adobe.jpg", "gray_progressive.jpg",
                      "exif_icc.jpg",   "tiny_1x1.jpg"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    char name[256];
    snprintf(name, sizeof name, "%s/tests/images/%s", CNNRT_SOURCE_DIR, ok[i]);
    CHECK(cnnrt_image_file_to_input(m, name, dst, 192) == CNNRT_OK, "%s", ok[i]);
  }
  cnnrt_model_free(m);
}

static void limits_api(void) {
  for (int l = 0; l < CNNRT_LIMIT_COUNT; l++) {
    CHECK(cnnrt_get_limit((cnnrt_limit)l) == cnnrt_limit_default((cnnrt_limit)l), "default %d", l);
    CHECK(strncmp(cnnrt_limit_name((cnnrt_limit)l), "CNNRT_LIMIT_", 12) == 0, "name %d", l);
  }
  FAILS(cnnrt_set_limit((cnnrt_limit)99, 1), CNNRT_ERR_ARGUMENT, "unknown limit");
  FAILS(cnnrt_set_limit(CNNRT_LIMIT_NODES, cnnrt_limit_max(CNNRT_LIMIT_NODES) + 1),
        CNNRT_ERR_ARGUMENT, "CNNRT_LIMIT_NODES must be from 1 to");
  CHECK(strcmp(cnnrt_status_name(CNNRT_ERR_LIMIT), "CNNRT_ERR_LIMIT") == 0, "status name");
}

/* Two threads, one model, a session each. */
typedef struct {
  const cnnrt_model *m;
  const float *in;
  float out[10];
  int ok;
} worker;

static void *work_thread(void *arg) {
  worker *w = arg;
  cnnrt_session *s = NULL;
  if (cnnrt_session_create(w->m, 2, &s) != CNNRT_OK) return NULL;
  w->ok = 1;
  for (int i = 0; i < 3; i++)
    w->ok &= cnnrt_run(s, w->in, cnnrt_session_input_count(s), w->out, 10) == CNNRT_OK;
  cnnrt_session_free(s);
  return NULL;
}

static void two_threads(void) {
  cnnrt_model *m = NULL;
  CHECK(cnnrt_model_load(SRC("models/fashion_mnist/model.json"), &m) == CNNRT_OK, "load");
  float in[784];
  CHECK(cnnrt_image_file_to_input(m, SRC("models/fashion_mnist/samples/coat_6.jpg"), in, 784) ==
            CNNRT_OK,
        "coat");
  worker w[2] = {{m, in, {0}, 0}, {m, in, {0}, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, work_thread, &w[i]) == 0, "thread");
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CHECK(w[0].ok && w[1].ok, "a thread failed");
  CHECK(memcmp(w[0].out, w[1].out, sizeof w[0].out) == 0, "threads disagree");
  cnnrt_model_free(m);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: api_memcheck WORK_DIR\n");
    return 2;
  }
  work = argv[1];
  if (mkdir(work, 0700) != 0 && errno != EEXIST) {
    perror(work);
    return 2;
  }
  limits_api();
  models_and_runs();
  load_failures();
  session_failures();
  image_failures();
  two_threads();
  printf("api_memcheck: %d checks passed\n", checks);
  return 0;
}
