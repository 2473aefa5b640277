/* Fuzz target: the model loader from memory (JSON + weight blob), then the introspection
 * API on whatever loads. */
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    fuzz_set_limits();
    ready = 1;
  }
  size_t json_len, blob_len;
  fuzz_split(data, size, &json_len, &blob_len);
  cnnrt_model *m = (cnnrt_model *)&m; /* must come back NULL on failure */
  cnnrt_status st =
      cnnrt_model_load_memory((const char *)data, json_len, fuzz_blob(), blob_len, &m);
  if (st != CNNRT_OK) {
    FUZZ_CHECK(m == NULL);
    fuzz_check_failure("<memory>");
    return 0;
  }
  fuzz_introspect(m);
  cnnrt_model_free(m);
  return 0;
}
