/* Turning output rows into class probabilities and rankings. */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include "runtime/graph.h"

cnnrt_status cnnrt_probabilities(const cnnrt_model *m, const float *row, float *probs, size_t n) {
  if (!m || !row || !probs || n == 0)
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_probabilities: %s",
                   n == 0 ? "n is 0" : "NULL argument");
  if (cnnrt_model_output_is_probability(m)) {
    memmove(probs, row, n * sizeof *probs);
    return CNNRT_OK;
  }
  float max = row[0], sum = 0.0f;
  for (size_t i = 1; i < n; i++)
    if (row[i] > max) max = row[i];
  for (size_t i = 0; i < n; i++) sum += probs[i] = expf(row[i] - max);
  for (size_t i = 0; i < n; i++) probs[i] /= sum;
  return CNNRT_OK;
}

/* a ranks before b: larger first; NaN last; ties by lower index. */
static bool ranks_before(const float *s, size_t a, size_t b) {
  if (isnan(s[a]) != isnan(s[b])) return !isnan(s[a]);
  if (s[a] != s[b]) return s[a] > s[b];
  return a < b;
}

cnnrt_status cnnrt_top_k(const float *scores, size_t n, size_t k, size_t *indices) {
  if (!scores || !indices) return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_top_k: NULL argument");
  if (k > n) return err_set(NULL, CNNRT_ERR_ARGUMENT, "cnnrt_top_k: k %zu > n %zu", k, n);
  /* insertion into a sorted list of k: O(n k), fine for class counts */
  size_t filled = 0;
  for (size_t i = 0; i < n && k > 0; i++) {
    size_t pos = filled < k ? filled : k;
    while (pos > 0 && ranks_before(scores, i, indices[pos - 1])) pos--;
    if (pos >= k) continue;
    size_t last = filled < k ? filled : k - 1;
    for (size_t j = last; j > pos; j--) indices[j] = indices[j - 1];
    indices[pos] = i;
    if (filled < k) filled++;
  }
  return CNNRT_OK;
}
