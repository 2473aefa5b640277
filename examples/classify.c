/* The smallest cnnrt program: load a model, classify one image, print the top classes.
 *
 *   classify MODEL.json IMAGE.jpg
 *
 * Build against an installed cnnrt with CMake (see CMakeLists.txt here) or pkg-config:
 *   cc classify.c $(pkg-config --cflags --libs cnnrt) -o classify
 */
#include <cnnrt.h>
#include <stdio.h>
#include <stdlib.h>

#define TOP 3

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.json IMAGE\n", argv[0]);
    return 2;
  }
  cnnrt_model *model = NULL;
  cnnrt_session *session = NULL;
  float *input = NULL, *output = NULL, *probs = NULL;
  size_t best[TOP];
  int status = 1;
  if (cnnrt_model_load(argv[1], &model) != CNNRT_OK ||
      cnnrt_session_create(model, 1, &session) != CNNRT_OK)
    goto done;
  size_t n_in = cnnrt_session_input_count(session), n_out = cnnrt_session_output_count(session);
  input = malloc(n_in * sizeof *input);
  output = malloc(n_out * sizeof *output);
  probs = malloc(n_out * sizeof *probs);
  if (!input || !output || !probs) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  size_t top = n_out < TOP ? n_out : TOP;
  if (cnnrt_image_file_to_input(model, argv[2], input, n_in) != CNNRT_OK ||
      cnnrt_run(session, input, n_in, output, n_out) != CNNRT_OK ||
      cnnrt_probabilities(model, output, probs, n_out) != CNNRT_OK ||
      cnnrt_top_k(probs, n_out, top, best) != CNNRT_OK)
    goto done;
  printf("%s (cnnrt %s)\n", argv[2], cnnrt_version());
  for (size_t k = 0; k < top; k++) {
    const char *label = cnnrt_model_label(model, best[k]);
    printf("  %6.2f%%  %s\n", 100.0 * probs[best[k]], label ? label : "(no label)");
  }
  status = 0;
done:
  if (status) fprintf(stderr, "classify: %s\n", cnnrt_last_error());
  free(input), free(output), free(probs);
  cnnrt_session_free(session);
  cnnrt_model_free(model);
  return status;
}
