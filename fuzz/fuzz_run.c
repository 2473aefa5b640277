/* Fuzz target: load + session + run end to end. Models whose multiply-accumulates exceed
 * FUZZ_MAX_MACS are loaded and planned but not run (they are valid, just slow); the
 * fuzzing limits keep every tensor small, which bounds the ops without a MAC count
 * (pooling windows, softmax) too. */
#include <stdlib.h>
#include "fuzz/fuzz_common.h"

#define FUZZ_MAX_MACS ((uint64_t)50 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void observe(void *user, size_t node, const float *out, size_t count) {
  volatile float sink = count ? out[0] + out[count - 1] : 0.0f; /* reads both ends */
  (void)sink;
  *(size_t *)user += node + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t json_len;
  cnnrt_model *m = fuzz_load(data, size, &json_len);
  if (!m) return 0;
  uint64_t macs = 0;
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) macs += cnnrt_model_node_macs(m, i);
  size_t batch = 1 + (json_len & 1); /* batch 2 for odd lengths: batch-dependent shapes */
  cnnrt_session *s = NULL;
  if (cnnrt_session_create_batch(m, 1, batch, &s) != CNNRT_OK) {
    FUZZ_CHECK(s == NULL);
    fuzz_check_failure("<memory>");
    cnnrt_model_free(m);
    return 0;
  }
  size_t n_in = cnnrt_session_input_count(s), n_out = cnnrt_session_output_count(s);
  FUZZ_CHECK(n_in > 0 && n_out > 0);
  FUZZ_CHECK(cnnrt_session_arena_bytes(s) <= cnnrt_get_limit(CNNRT_LIMIT_ARENA_BYTES));
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
    size_t offset, bytes;
    FUZZ_CHECK(cnnrt_session_node_arena(s, i, &offset, &bytes) == CNNRT_OK);
    FUZZ_CHECK(bytes == 0 || offset + bytes <= cnnrt_session_arena_bytes(s));
  }
  if (macs * batch <= FUZZ_MAX_MACS) {
    float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
    FUZZ_CHECK(in && out);
    for (size_t i = 0; i < n_in; i++) in[i] = (float)((int)(i % 23) - 11) * 0.25f;
    FUZZ_CHECK(cnnrt_run(s, in, n_in, out, n_out) == CNNRT_OK);
    size_t seen = 0;
    FUZZ_CHECK(cnnrt_run_observed(s, in, n_in, out, n_out, observe, &seen) == CNNRT_OK);
    FUZZ_CHECK(seen == cnnrt_model_node_count(m) * (cnnrt_model_node_count(m) + 1) / 2);
    size_t row = n_out / batch, best[3], k = row < 3 ? row : 3;
    float *probs = malloc(row * sizeof *probs);
    FUZZ_CHECK(probs);
    FUZZ_CHECK(cnnrt_probabilities(m, out, probs, row) == CNNRT_OK);
    FUZZ_CHECK(cnnrt_top_k(probs, row, k, best) == CNNRT_OK);
    for (size_t i = 0; i < k; i++) FUZZ_CHECK(best[i] < row);
    free(probs);
    free(in);
    free(out);
  }
  cnnrt_session_free(s);
  cnnrt_model_free(m);
  return 0;
}
