/* Loading from files: the blob beside model.json, and files that are missing, empty,
 * truncated or not files at all (messages name the path). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime/graph.h"
#include "tests/test_util.h"

#define MODEL_JSON                                                                                 \
  "{'format': 'cnnrt', 'version': 1, 'weights': 'm.bin',"                                          \
  " 'input': {'name': 'x', 'shape': [1, 1, 4, 4]},"                                                \
  " 'nodes': [{'name': 'r', 'op': 'ReLU'},"                                                        \
  "           {'name': 'c', 'op': 'Conv2d',"                                                       \
  "            'params': {'in_channels': 1, 'out_channels': 2, 'kernel_size': 3%s},"               \
  "            'weights': {'weight': {'offset': 0, 'shape': [2, 1, 3, 3]},"                        \
  "                        'bias': {'offset': 128, 'shape': [2]}}}]}"

/* conv channel 0 = top-left tap + 0.5, channel 1 = centre tap - 0.5 */
static const float blob[40] = {[0] = 1, [13] = 1, [32] = 0.5f, [33] = -0.5f};

/* A temp dir holding model.json (with extra conv params) and, when blob_len > 0, m.bin. */
static char *make_model_dir(const char *extra_params, size_t blob_len, char **json_path) {
  char *dir = tu_temp_dir(), text[1024];
  snprintf(text, sizeof text, MODEL_JSON, extra_params);
  char *json = tu_json(text);
  *json_path = tu_write_file(dir, "model.json", json, strlen(json));
  free(json);
  if (blob_len) free(tu_write_file(dir, "m.bin", blob, blob_len));
  return dir;
}

static char *join(const char *dir, const char *name) {
  char *path = malloc(strlen(dir) + strlen(name) + 2);
  cr_assert_not_null(path);
  sprintf(path, "%s/%s", dir, name);
  return path;
}

Test(loader_files, loads_with_the_blob_beside_it) {
  char *json_path, *dir = make_model_dir("", sizeof blob, &json_path);
  cnnrt_model *m = tu_load_file(json_path);
  float in[16], *out;
  for (int i = 0; i < 16; i++) in[i] = (float)i - 8;
  out = tu_run(m, 1, 1, in, NULL);
  /* channel 0 picks the top-left tap, channel 1 the centre, of relu(x) */
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 2; x++) {
      float tl = in[y * 4 + x], centre = in[(y + 1) * 4 + x + 1];
      cr_assert_float_eq(out[y * 2 + x], (tl < 0 ? 0 : tl) + 0.5f, 1e-6);
      cr_assert_float_eq(out[4 + y * 2 + x], (centre < 0 ? 0 : centre) - 0.5f, 1e-6);
    }
  free(out);
  cnnrt_model_free(m);
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}

/* "model.json" without a directory part: the blob is looked up in the working directory. */
Test(loader_files, relative_path_without_directory) {
  char *json_path, *dir = make_model_dir("", sizeof blob, &json_path), cwd[4096];
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(dir), 0);
  cnnrt_model *m = tu_load_file("model.json");
  cnnrt_model_free(m);
  cr_assert_eq(chdir(cwd), 0);
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, node_errors_name_the_file) {
  char *json_path, *dir = make_model_dir(", 'stride': 0", sizeof blob, &json_path);
  cnnrt_model *m = NULL;
  char where[512];
  snprintf(where, sizeof where, "%s: node 1 'c' (Conv2d): ", json_path);
  tu_assert_error("stride 0", cnnrt_model_load(json_path, &m), CNNRT_ERR_FORMAT, where,
                  "stride must be positive");
  cr_assert_null(m);
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, missing_model_file) {
  cnnrt_model *m = NULL;
  const char *path = "/nonexistent-cnnrt-dir/model.json";
  tu_assert_error("missing model", cnnrt_model_load(path, &m), CNNRT_ERR_IO, path,
                  "cannot open model file");
  cr_assert_null(m);
}

Test(loader_files, missing_blob_names_its_path) {
  char *json_path, *dir = make_model_dir("", 0, &json_path), *blob_path = join(dir, "m.bin");
  cnnrt_model *m = NULL;
  tu_assert_error("missing blob", cnnrt_model_load(json_path, &m), CNNRT_ERR_IO, blob_path,
                  "cannot open weights file");
  cr_assert_null(m);
  free(blob_path);
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, truncated_blob) {
  char *json_path, *dir = make_model_dir("", 100, &json_path);
  cnnrt_model *m = NULL;
  tu_assert_error("truncated blob", cnnrt_model_load(json_path, &m), CNNRT_ERR_FORMAT, json_path,
                  "runs past the end of the weight blob (100 bytes)");
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, blob_is_a_directory) {
  char *json_path, *dir = make_model_dir("", 0, &json_path), *blob_path = join(dir, "m.bin");
  cr_assert_eq(mkdir(blob_path, 0700), 0);
  cnnrt_model *m = NULL;
  tu_assert_error("blob directory", cnnrt_model_load(json_path, &m), CNNRT_ERR_IO, blob_path,
                  "not a regular file");
  cr_assert_null(m);
  free(blob_path);
  free(json_path);
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, model_is_a_directory) {
  char *dir = tu_temp_dir();
  cnnrt_model *m = NULL;
  tu_assert_error("model directory", cnnrt_model_load(dir, &m), CNNRT_ERR_IO, dir,
                  "not a regular file");
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, empty_model_file) {
  char *dir = tu_temp_dir(), *path = tu_write_file(dir, "model.json", "", 0);
  cnnrt_model *m = NULL;
  tu_assert_error("empty model", cnnrt_model_load(path, &m), CNNRT_ERR_FORMAT, path,
                  "invalid JSON");
  free(path);
  tu_remove_dir(dir);
  free(dir);
}

Test(loader_files, shipped_models_load) {
  const char *paths[2] = {TU_FASHION_JSON, TU_TUDUI_JSON};
  for (int i = 0; i < 2; i++) {
    cnnrt_model *m = tu_load_file(paths[i]);
    cr_assert_eq(cnnrt_model_label_count(m), 10, "%s", paths[i]);
    cr_assert_eq(cnnrt_model_output_count(m), 10, "%s", paths[i]);
    cnnrt_model_free(m);
  }
}

/* The weights file is mapped, not copied (Linux, little-endian), and the weights that the
 * kernels read in place (depthwise filters, biases, PReLU slopes) end exactly at the end of
 * a page-sized file: a read past a tensor would run off the mapping. Same result as the
 * same model loaded from memory (a copy) and read with CNNRT_MAP_WEIGHTS=0. */
Test(loader_files, weights_file_is_mapped_and_read_to_its_end) {
  enum { PAGE = 4096, FLOATS = PAGE / 4, C = 16, DW = C * 9 }; /* offsets: multiples of 64 B */
  static float weights[FLOATS];
  for (size_t i = 0; i < FLOATS; i++) weights[i] = 0.25f * (float)(i % 7) - 0.5f;
  char text[1024];
  snprintf(text, sizeof text,
           "{'format': 'cnnrt', 'version': 1, 'weights': 'm.bin',"
           " 'input': {'name': 'x', 'shape': [1, 16, 5, 5]},"
           " 'nodes': [{'name': 'dw', 'op': 'Conv2d',"
           "            'params': {'in_channels': 16, 'out_channels': 16, 'kernel_size': 3,"
           "                       'padding': 1, 'groups': 16},"
           "            'weights': {'weight': {'offset': %d, 'shape': [16, 1, 3, 3]},"
           "                        'bias': {'offset': %d, 'shape': [16]}}},"
           "           {'name': 'act', 'op': 'PReLU', 'params': {'num_parameters': 16},"
           "            'weights': {'weight': {'offset': %d, 'shape': [16]}}}]}",
           4 * (FLOATS - 2 * C - DW), 4 * (FLOATS - 2 * C), 4 * (FLOATS - C));
  char *json = tu_json(text), *dir = tu_temp_dir();
  char *json_path = tu_write_file(dir, "model.json", json, strlen(json));
  free(tu_write_file(dir, "m.bin", weights, sizeof weights));
  cnnrt_model *mapped = tu_load_file(json_path);
#if defined(__linux__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  cr_assert_eq(mapped->blob_mapped_bytes, (size_t)PAGE, "the weights file is mapped");
#endif
  cnnrt_model *copied = NULL;
  cr_assert_eq(cnnrt_model_load_memory(json, strlen(json), weights, sizeof weights, &copied),
               CNNRT_OK, "%s", cnnrt_last_error());
  cr_assert_eq(copied->blob_mapped_bytes, 0, "memory loading copies the weights");
  setenv("CNNRT_MAP_WEIGHTS", "0", 1);
  cnnrt_model *read = tu_load_file(json_path);
  unsetenv("CNNRT_MAP_WEIGHTS");
  cr_assert_eq(read->blob_mapped_bytes, 0, "CNNRT_MAP_WEIGHTS=0 reads the file");
  float *input = tu_random_floats(C * 5 * 5, 7);
  size_t n;
  float *got = tu_run(mapped, 1, 1, input, &n), *want = tu_run(copied, 1, 1, input, NULL);
  float *got_read = tu_run(read, 1, 1, input, NULL);
  cr_assert_eq(memcmp(got, want, n * sizeof *got), 0, "mapped and copied weights agree");
  cr_assert_eq(memcmp(got_read, want, n * sizeof *got), 0, "read and copied weights agree");
  free(got), free(got_read), free(want), free(input), free(json), free(json_path);
  cnnrt_model_free(mapped);
  cnnrt_model_free(copied);
  cnnrt_model_free(read);
  tu_remove_dir(dir);
  free(dir);
}
