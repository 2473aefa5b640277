/* A model compiled into the program: no model file is read at run time. The build runs
 * cnnrt-embed (cnnrt_embed_model in CMakeLists.txt), which writes embedded_model.c with
 * the JSON and the weights as const arrays; cnnrt_model_load_memory loads them.
 *
 *   embedded_classify IMAGE...
 */
#include <cnnrt.h>
#include <stdio.h>
#include <stdlib.h>
#include "embedded_model.h"

/* Classifies one image and prints "IMAGE: LABEL (P%)"; returns 0 on success. */
static int classify(const cnnrt_model *model, cnnrt_session *session, const char *image,
                    float *input, float *output, float *probs) {
  size_t n_in = cnnrt_session_input_count(session), n_out = cnnrt_session_output_count(session);
  size_t best;
  if (cnnrt_image_file_to_input(model, image, input, n_in) != CNNRT_OK ||
      cnnrt_run(session, input, n_in, output, n_out) != CNNRT_OK ||
      cnnrt_probabilities(model, output, probs, n_out) != CNNRT_OK ||
      cnnrt_top_k(probs, n_out, 1, &best) != CNNRT_OK) {
    fprintf(stderr, "embedded_classify: %s\n", cnnrt_last_error());
    return 1;
  }
  const char *label = cnnrt_model_label(model, best);
  printf("%s: %s (%.2f%%)\n", image, label ? label : "(no label)", 100.0 * probs[best]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s IMAGE...\n", argv[0]);
    return 2;
  }
  cnnrt_model *model = NULL;
  cnnrt_session *session = NULL;
  if (cnnrt_model_load_memory(embedded_model_json, embedded_model_json_len, embedded_model_weights,
                              embedded_model_weights_len, &model) != CNNRT_OK ||
      cnnrt_session_create_batch(model, 1, 1, &session) != CNNRT_OK) {
    fprintf(stderr, "embedded_classify: %s\n", cnnrt_last_error());
    cnnrt_model_free(model);
    return 1;
  }
  printf("embedded model: %zu nodes, %zu classes, %zu bytes of weights\n",
         cnnrt_model_node_count(model), cnnrt_model_label_count(model), embedded_model_weights_len);
  size_t n_in = cnnrt_session_input_count(session), n_out = cnnrt_session_output_count(session);
  float *input = malloc(n_in * sizeof *input), *output = malloc(n_out * sizeof *output);
  float *probs = malloc(n_out * sizeof *probs);
  int failures = input && output && probs ? 0 : argc - 1;
  for (int i = 1; !failures && i < argc; i++)
    failures += classify(model, session, argv[i], input, output, probs);
  free(input), free(output), free(probs);
  cnnrt_session_free(session);
  cnnrt_model_free(model);
  return failures ? 1 : 0;
}
