/* Fuzz target: image decoding (JPEG, PNG, anything else) and preprocessing, through the
 * public API, into a gray 28x28 model and an RGB 32x32 one. */
#include <stdlib.h>
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cnnrt_model *image_model(const char *json) {
  cnnrt_model *m = NULL;
  FUZZ_CHECK(cnnrt_model_load_memory(json, strlen(json), NULL, 0, &m) == CNNRT_OK);
  return m;
}

static void decode_into(const cnnrt_model *m, const uint8_t *data, size_t size) {
  size_t dims[4];
  FUZZ_CHECK(cnnrt_model_input_shape(m, dims) == CNNRT_OK);
  size_t count = dims[1] * dims[2] * dims[3];
  float *dst = malloc(count * sizeof *dst);
  FUZZ_CHECK(dst);
  cnnrt_status st = cnnrt_image_memory_to_input(m, data, size, "<fuzz>", dst, count);
  if (st == CNNRT_OK) {
    volatile float sum = 0; /* every value written */
    for (size_t i = 0; i < count; i++) sum += dst[i];
    (void)sum;
  } else {
    FUZZ_CHECK(st == CNNRT_ERR_IMAGE || st == CNNRT_ERR_LIMIT || st == CNNRT_ERR_MEMORY);
    fuzz_check_failure("<fuzz>");
  }
  free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static cnnrt_model *gray, *rgb;
  if (!gray) {
    fuzz_set_limits();
    gray = image_model("{\"format\": \"cnnrt\", \"version\": 1, \"input\": {\"name\": \"x\", "
                       "\"shape\": [1, 1, 28, 28]}, \"preprocess\": {\"color\": \"gray\", "
                       "\"mean\": [0.5], \"std\": [0.25]}, \"nodes\": [{\"name\": \"f\", "
                       "\"op\": \"Flatten\"}]}");
    rgb = image_model("{\"format\": \"cnnrt\", \"version\": 1, \"input\": {\"name\": \"x\", "
                      "\"shape\": [1, 3, 32, 32]}, \"preprocess\": {\"color\": \"rgb\"}, "
                      "\"nodes\": [{\"name\": \"f\", \"op\": \"Flatten\"}]}");
  }
  decode_into(gray, data, size);
  decode_into(rgb, data, size);
  return 0;
}
