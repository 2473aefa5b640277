/* cnnrt: classify images and folders, look inside (feature maps), run raw tensors,
 * benchmark and summarise cnnrt models. */
#include <stdio.h>
#include "cli.h"
#include "cli_text.h"

int cli_fail(void) {
  fprintf(stderr, "cnnrt: %s\n", cnnrt_last_error());
  return 1;
}

int main(int argc, char **argv) {
  cli_options o;
  bool exit_now;
  int status = 2;
  if (!cli_parse(argc, argv, &o, &exit_now, &status)) return 2;
  if (exit_now) return status;
  cnnrt_model *m = NULL;
  double t0 = cli_seconds();
  cnnrt_status loaded = cnnrt_model_load(o.model, &m);
  o.load_ms = 1e3 * (cli_seconds() - t0);
  if (loaded != CNNRT_OK)
    status = cli_fail();
  else if (o.summary)
    status = o.json ? cli_summary_json(m, &o) : cli_summary(m, &o);
  else if (o.dump_features)
    status = cli_dump_features(m, &o);
  else if (o.image_count)
    status = cli_classify(m, &o);
  else
    status = cli_tensor(m, &o);
  cnnrt_model_free(m);
  cli_options_free(&o);
  return status;
}
