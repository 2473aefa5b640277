#include "tests/test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ops/gemm.h"

char *tu_json(const char *quoted) {
  char *json = strdup(quoted);
  cr_assert_not_null(json);
  for (char *c = json; *c; c++)
    if (*c == '\'') *c = '"';
  return json;
}

cnnrt_status tu_try_load(const char *quoted, const void *blob, size_t blob_bytes,
                         cnnrt_model **out) {
  char *json = tu_json(quoted);
  cnnrt_status st = cnnrt_model_load_memory(json, strlen(json), blob, blob_bytes, out);
  free(json);
  return st;
}

cnnrt_model *tu_load(const char *quoted, const void *blob, size_t blob_bytes) {
  cnnrt_model *m = NULL;
  cnnrt_status st = tu_try_load(quoted, blob, blob_bytes, &m);
  cr_assert_eq(st, CNNRT_OK, "loading %s failed: %s: %s", quoted, cnnrt_status_name(st),
               cnnrt_last_error());
  return m;
}

cnnrt_model *tu_load_conv(const tu_conv_spec *s, float **blob) {
  size_t weights = (size_t)s->out_c * (size_t)(s->in_c / s->groups) * (size_t)(s->kh * s->kw);
  size_t array = ((size_t)s->out_c * 4 + 63) / 64 * 64; /* bytes per per-channel array */
  size_t bias_at = (weights * 4 + 63) / 64 * 64, bn_at = bias_at + array;
  size_t floats = (bn_at + 4 * array) / 4;
  *blob = tu_random_floats(floats, s->seed);
  for (size_t i = (bn_at + 3 * array) / 4; i < floats; i++) (*blob)[i] = 1.0f + 0.5f * (*blob)[i];
  char pad[64], bias[128] = "", bn[512] = "", act[96] = "", json[3072];
  if (s->same)
    snprintf(pad, sizeof pad, "'same'");
  else
    snprintf(pad, sizeof pad, "[%d, %d]", s->ph, s->pw);
  if (s->bias)
    snprintf(bias, sizeof bias, ", 'bias': {'offset': %zu, 'shape': [%d]}", bias_at, s->out_c);
  if (s->bn)
    snprintf(bn, sizeof bn,
             ", {'name': 'bn', 'op': 'BatchNorm2d', 'params': {'num_features': %d}, 'weights': "
             "{'weight': {'offset': %zu, 'shape': [%d]}, 'bias': {'offset': %zu, 'shape': [%d]}, "
             "'running_mean': {'offset': %zu, 'shape': [%d]}, 'running_var': {'offset': %zu, "
             "'shape': [%d]}}}",
             s->out_c, bn_at, s->out_c, bn_at + array, s->out_c, bn_at + 2 * array, s->out_c,
             bn_at + 3 * array, s->out_c);
  if (s->act) snprintf(act, sizeof act, ", {'name': 'act', 'op': '%s'}", s->act);
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'weights': 'w.bin', 'input': {'name': 'input', "
           "'shape': [%d, %d, %d, %d]}, 'nodes': [{'name': 'conv', 'op': 'Conv2d', 'params': "
           "{'in_channels': %d, 'out_channels': %d, 'kernel_size': [%d, %d], 'stride': [%d, %d], "
           "'padding': %s, 'dilation': [%d, %d], 'groups': %d, 'bias': %s, 'padding_mode': '%s'}, "
           "'weights': {'weight': {'offset': 0, 'shape': [%d, %d, %d, %d]}%s}}%s%s]}",
           s->batch, s->in_c, s->h, s->w, s->in_c, s->out_c, s->kh, s->kw, s->sh, s->sw, pad, s->dh,
           s->dw, s->groups, s->bias ? "true" : "false", s->mode ? s->mode : "zeros", s->out_c,
           s->in_c / s->groups, s->kh, s->kw, bias, bn, act);
  return tu_load(json, *blob, floats * sizeof(float));
}

cnnrt_model *tu_load_file(const char *path) {
  cnnrt_model *m = NULL;
  cnnrt_status st = cnnrt_model_load(path, &m);
  cr_assert_eq(st, CNNRT_OK, "loading %s failed: %s: %s", path, cnnrt_status_name(st),
               cnnrt_last_error());
  return m;
}

float *tu_run(const cnnrt_model *m, int threads, size_t batch, const float *input, size_t *count) {
  cnnrt_session *s = NULL;
  cnnrt_status st = cnnrt_session_create_batch(m, threads, batch, &s);
  cr_assert_eq(st, CNNRT_OK, "session (threads %d, batch %zu): %s", threads, batch,
               cnnrt_last_error());
  size_t n_in = cnnrt_session_input_count(s), n_out = cnnrt_session_output_count(s);
  float *out = malloc((n_out ? n_out : 1) * sizeof *out);
  cr_assert_not_null(out);
  st = cnnrt_run(s, input, n_in, out, n_out);
  cr_assert_eq(st, CNNRT_OK, "run (threads %d, batch %zu): %s", threads, batch, cnnrt_last_error());
  cnnrt_session_free(s);
  if (count) *count = n_out;
  return out;
}

uint64_t tu_rand(uint64_t *state) {
  uint64_t x = *state ? *state : 0x9E3779B97F4A7C15u;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Du;
}

double tu_uniform(uint64_t *state, double lo, double hi) {
  return lo + (hi - lo) * (double)(tu_rand(state) >> 11) / 9007199254740992.0;
}

float *tu_random_floats(size_t count, uint64_t seed) {
  float *v = malloc((count ? count : 1) * sizeof *v);
  cr_assert_not_null(v);
  for (size_t i = 0; i < count; i++) v[i] = (float)tu_uniform(&seed, -1.0, 1.0);
  return v;
}

void tu_assert_close(const char *what, const float *got, const float *want, size_t n) {
  double ref_max = 1.0, worst = 0.0;
  size_t worst_at = 0;
  for (size_t i = 0; i < n; i++)
    if (fabs(want[i]) > ref_max) ref_max = fabs(want[i]);
  for (size_t i = 0; i < n; i++) {
    double err = fabs((double)got[i] - (double)want[i]);
    if (!(err <= worst)) worst = err, worst_at = i; /* NaN counts as the worst */
  }
  cr_assert(worst <= 1e-5 * ref_max,
            "%s: max abs error %g at index %zu (got %.9g, want %.9g), tolerance %g", what, worst,
            worst_at, n ? got[worst_at] : 0.0, n ? want[worst_at] : 0.0, 1e-5 * ref_max);
}

void tu_check_golden(const golden_case *c, int threads) {
  cnnrt_model *m = NULL;
  cnnrt_status st =
      cnnrt_model_load_memory(c->json, strlen(c->json), c->weights, c->weights_bytes, &m);
  cr_assert_eq(st, CNNRT_OK, "golden case %s: load failed: %s", c->name, cnnrt_last_error());
  size_t dims[6];
  int rank = 0;
  cr_assert_eq(cnnrt_model_output_shape(m, dims, 6, &rank), CNNRT_OK);
  cr_assert_eq(rank, c->rank, "golden case %s: output rank %d, PyTorch %d", c->name, rank, c->rank);
  for (int i = 0; i < rank; i++)
    cr_assert_eq(dims[i], c->shape[i], "golden case %s: output dim %d is %zu, PyTorch %zu", c->name,
                 i, dims[i], c->shape[i]);
  cr_assert_eq(cnnrt_model_input_count(m), c->input_count, "golden case %s: input count", c->name);
  size_t dims_in[4];
  cr_assert_eq(cnnrt_model_input_shape(m, dims_in), CNNRT_OK);
  size_t n = 0;
  float *out = tu_run(m, threads, dims_in[0], c->input, &n);
  cr_assert_eq(n, c->expected_count, "golden case %s: %zu outputs, PyTorch %zu", c->name, n,
               c->expected_count);
  char what[128];
  snprintf(what, sizeof what, "golden case %s (threads %d, %s GEMM kernel)", c->name, threads,
           gemm_kernel_name());
  tu_assert_close(what, out, c->expected, n);
  free(out);
  cnnrt_model_free(m);
}

char *tu_temp_dir(void) {
  char *dir = strdup("/tmp/cnnrt-test-XXXXXX");
  cr_assert_not_null(dir);
  cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
  return dir;
}

char *tu_write_file(const char *dir, const char *name, const void *data, size_t len) {
  size_t size = strlen(dir) + strlen(name) + 2;
  char *path = malloc(size);
  cr_assert_not_null(path);
  snprintf(path, size, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s", path);
  cr_assert_eq(fwrite(data, 1, len, f), len, "cannot write %s", path);
  cr_assert_eq(fclose(f), 0);
  return path;
}

void tu_remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *entry;
  char path[4096];
  if (!d) return;
  while ((entry = readdir(d)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    if (unlink(path) != 0) rmdir(path);
  }
  closedir(d);
  rmdir(dir);
}

unsigned char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  cr_assert_eq(fseek(f, 0, SEEK_END), 0);
  long size = ftell(f);
  cr_assert_geq(size, 0);
  rewind(f);
  unsigned char *data = malloc((size_t)size + 1);
  cr_assert_not_null(data);
  cr_assert_eq(fread(data, 1, (size_t)size, f), (size_t)size, "cannot read %s", path);
  fclose(f);
  *len = (size_t)size;
  return data;
}

void tu_assert_error(const char *what, cnnrt_status status, cnnrt_status want, const char *text1,
                     const char *text2) {
  const char *msg = cnnrt_last_error();
  cr_assert_eq(status, want, "%s: status %s, expected %s (message: %s)", what,
               cnnrt_status_name(status), cnnrt_status_name(want), msg);
  cr_assert(!text1 || strstr(msg, text1), "%s: message \"%s\" lacks \"%s\"", what, msg, text1);
  cr_assert(!text2 || strstr(msg, text2), "%s: message \"%s\" lacks \"%s\"", what, msg, text2);
}
