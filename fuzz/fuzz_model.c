/* Fuzz target: the model loader from memory (JSON + weight blob), then the introspection
 * API on whatever loads. */
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t json_len;
  cnnrt_model *m = fuzz_load(data, size, &json_len);
  if (!m) return 0;
  fuzz_introspect(m);
  cnnrt_model_free(m);
  return 0;
}
