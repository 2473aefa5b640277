#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: cnnrt MODEL.json IMAGE|DIR...        classify images (JPEG, PNG) and every image\n"
      "                                           in folders (recursively); top classes each\n"
      "       cnnrt MODEL.json DIR --labels-from-dirs [--plot FILE.png]\n"
      "                                           accuracy, per-class accuracy, confusion matrix\n"
      "       cnnrt MODEL.json IMAGE --dump-features DIR\n"
      "                                           every node's feature maps as PNG + index.html\n"
      "       cnnrt MODEL.json --summary [--json]  one row per node, arena plan, totals\n"
      "       cnnrt MODEL.json --input-f32 IN [--output-f32 OUT] [--dump-tensors DIR]\n"
      "                        [--bench N [--profile]]  run a raw float32 tensor\n"
      "options:\n"
      "  --top K            classes to print per image (default 5)\n"
      "  --threads N        worker threads (default: all online CPUs); results are\n"
      "                     bit-identical for any N\n"
      "  --readers N        image decoding threads when classifying (default: online\n"
      "                     CPUs, at most 8); they decode the next batches meanwhile\n"
      "  --batch N          images per run when classifying (default 16), or the batch\n"
      "                     size of the --input-f32 tensor (default: the model's N)\n"
      "  --json             one JSON object per line and image:\n"
      "                     {\"image\": PATH, \"top\": [{\"index\", \"label\", \"prob\"}...]};\n"
      "                     with --labels-from-dirs a last line {\"report\": {...}};\n"
      "                     with --summary the summary as one JSON document\n"
      "  --quiet, -q        no per-image results (reports and errors only)\n"
      "  --labels-from-dirs the first sub-folder below each DIR names an image's true class\n"
      "                     (the label itself, its lower-case form with '_' for other\n"
      "                     characters, or the class index); prints accuracy, per-class\n"
      "                     accuracy and the confusion matrix\n"
      "  --plot FILE        with --labels-from-dirs: the confusion matrix as a PNG heat map\n"
      "  --dump-features DIR  with one IMAGE: each node's output as a PNG grid (channels\n"
      "                     tiled, each normalised), the input, and DIR/index.html\n"
      "  --summary          print the model summary and exit\n"
      "  --input-f32 FILE   raw little-endian float32 input of the session's input shape\n"
      "  --output-f32 FILE  write the raw float32 output there (atomically)\n"
      "  --dump-tensors DIR with --input-f32: write every node's output as DIR/NNN_NAME.f32\n"
      "  --bench N          time N runs after warm-up; prints median and min in ms,\n"
      "                     and the model's load and the session's creation times\n"
      "  --profile          with --bench: also each node's median time and share\n"
      "  --version          print the library and model format versions\n"
      "  --help, -h         print this help\n"
      "Folders: progress on stderr when it is a terminal, throughput at the end (stderr);\n"
      "images are decoded by reader threads while the previous batch runs.\n"
      "Exit status: 0 success, 1 a model, image or file failed, 2 bad usage.\n");
}

/* A whole positive integer within [min, max]. */
static bool parse_count(const char *flag, const char *text, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = text ? strtol(text, &end, 10) : 0;
  if (!text || errno || *end || end == text || v < min || v > max) {
    fprintf(stderr, "cnnrt: %s needs an integer from %ld to %ld, got '%s'\n", flag, min, max,
            text ? text : "(nothing)");
    return false;
  }
  *out = v;
  return true;
}

/* Handles one option at argv[*i] (advancing *i past its value); false on error. */
static bool parse_option(int argc, char **argv, int *i, cli_options *o) {
  const char *flag = argv[*i], *value = *i + 1 < argc ? argv[*i + 1] : NULL;
  long v = 0;
  if (strcmp(flag, "--json") == 0)
    o->json = true;
  else if (strcmp(flag, "--summary") == 0)
    o->summary = true;
  else if (strcmp(flag, "--quiet") == 0)
    o->quiet = true;
  else if (strcmp(flag, "--profile") == 0)
    o->profile = true;
  else if (strcmp(flag, "--labels-from-dirs") == 0)
    o->labels_from_dirs = true;
  else if (strcmp(flag, "--plot") == 0)
    o->plot = value;
  else if (strcmp(flag, "--dump-features") == 0)
    o->dump_features = value;
  else if (strcmp(flag, "--input-f32") == 0)
    o->input_f32 = value;
  else if (strcmp(flag, "--output-f32") == 0)
    o->output_f32 = value;
  else if (strcmp(flag, "--dump-tensors") == 0)
    o->dump_tensors = value;
  else if (strcmp(flag, "--top") == 0) {
    if (!parse_count(flag, value, 1, 1000000, &v)) return false;
    o->top = (int)v;
  } else if (strcmp(flag, "--threads") == 0) {
    if (!parse_count(flag, value, 1, 256, &v)) return false;
    o->threads = (int)v;
  } else if (strcmp(flag, "--readers") == 0) {
    if (!parse_count(flag, value, 1, 64, &v)) return false;
    o->readers = (int)v;
  } else if (strcmp(flag, "--batch") == 0) {
    if (!parse_count(flag, value, 1, 1 << 20, &v)) return false;
    o->batch = (size_t)v;
  } else if (strcmp(flag, "--bench") == 0) {
    if (!parse_count(flag, value, 1, 1000000, &v)) return false;
    o->bench_runs = (int)v;
  } else {
    fprintf(stderr, "cnnrt: unknown option '%s'\n", flag);
    return false;
  }
  if (strcmp(flag, "--json") == 0 || strcmp(flag, "--summary") == 0 ||
      strcmp(flag, "--profile") == 0 || strcmp(flag, "--quiet") == 0 ||
      strcmp(flag, "--labels-from-dirs") == 0)
    return true;
  if (!value) {
    fprintf(stderr, "cnnrt: %s needs a value\n", flag);
    return false;
  }
  (*i)++;
  return true;
}

static bool check_modes(const cli_options *o) {
  const char *problem = NULL;
  if (!o->model)
    problem = "no MODEL.json given";
  else if (o->image_count && (o->input_f32 || o->summary))
    problem = "images cannot be combined with --input-f32 or --summary";
  else if (o->profile && !o->bench_runs)
    problem = "--profile needs --bench N";
  else if (o->bench_runs && (o->image_count || o->summary))
    problem = "--bench cannot be combined with images or --summary";
  else if (!o->image_count && !o->input_f32 && !o->summary && !o->bench_runs)
    problem = "nothing to do: give images, --input-f32, --bench or --summary";
  else if ((o->output_f32 || o->dump_tensors) && !o->input_f32)
    problem = "--output-f32 and --dump-tensors need --input-f32";
  else if (o->dump_features && o->image_count != 1)
    problem = "--dump-features needs exactly one IMAGE";
  else if (o->dump_features && (o->labels_from_dirs || o->json || o->quiet))
    problem = "--dump-features cannot be combined with --labels-from-dirs, --json or --quiet";
  else if ((o->labels_from_dirs || o->quiet) && !o->image_count)
    problem = "--labels-from-dirs and --quiet need images or folders";
  else if (o->plot && !o->labels_from_dirs)
    problem = "--plot needs --labels-from-dirs (the true labels)";
  if (problem) fprintf(stderr, "cnnrt: %s\n", problem);
  return problem == NULL;
}

bool cli_parse(int argc, char **argv, cli_options *o, bool *exit_now, int *status) {
  static const char *no_images[1];
  memset(o, 0, sizeof *o);
  o->top = 5;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o->threads = cpus > 0 ? (int)(cpus < 256 ? cpus : 256) : 1;
  o->readers = o->threads < 8 ? o->threads : 8;
  o->images = no_images;
  *exit_now = false;
  const char **positional = calloc((size_t)argc + 1, sizeof *positional);
  if (!positional) return false;
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      *exit_now = true, *status = 0;
      free(positional);
      return true;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("cnnrt %s (model format version %d)\n", cnnrt_version(), CNNRT_FORMAT_VERSION);
      *exit_now = true, *status = 0;
      free(positional);
      return true;
    }
    if (strcmp(argv[i], "-q") == 0) {
      o->quiet = true;
    } else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2]) {
      if (!parse_option(argc, argv, &i, o)) goto fail;
    } else
      positional[n++] = argv[i];
  }
  o->model = n > 0 ? positional[0] : NULL;
  o->images = (const char **)positional + (n > 0 ? 1 : 0);
  o->image_count = n > 0 ? n - 1 : 0;
  o->owned_args = positional;
  if (check_modes(o)) return true;
fail:
  free(positional);
  o->owned_args = NULL;
  o->images = no_images;
  usage(stderr);
  return false;
}

void cli_options_free(cli_options *o) {
  free(o->owned_args);
  o->owned_args = NULL;
}
