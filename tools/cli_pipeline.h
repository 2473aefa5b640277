/* Image decoding overlapped with compute: reader threads decode and preprocess the next
 * batches (one batch per reader at a time, each into its own buffer) while the caller runs
 * the current one; the caller gets the batches in order. */
#ifndef CNNRT_TOOLS_CLI_PIPELINE_H
#define CNNRT_TOOLS_CLI_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include "cnnrt.h"

typedef struct {
  float *input; /* batch samples (a failed image's sample is zeros) */
  size_t first; /* index of its first image */
  size_t count; /* images in it (the last batch may be short) */
  bool *ok;     /* per image: decoded */
  char **error; /* per image: the decode error message, or NULL */
} cli_batch;

typedef struct cli_pipeline cli_pipeline;

/* Starts `readers` reader threads (at least 1, at most one per batch) on paths[0..n) in
 * batches of batch images of sample floats. The pipeline keeps pointers to m and paths.
 * Prints the problem and returns NULL on failure. */
cli_pipeline *cli_pipeline_start(const cnnrt_model *m, char *const *paths, size_t n, size_t batch,
                                 size_t sample, int readers);

/* The next batch in order, waiting for its reader when it is not decoded yet (the wait
 * is added to *waited, in seconds); NULL after the last one. */
const cli_batch *cli_pipeline_next(cli_pipeline *p, double *waited);

/* Hands the batch last returned by cli_pipeline_next back for a reader to refill. */
void cli_pipeline_release(cli_pipeline *p);

/* Stops and joins the readers (also mid-way) and frees everything; returns the seconds
 * the readers spent decoding (summed). Accepts NULL. */
double cli_pipeline_stop(cli_pipeline *p);

#endif
