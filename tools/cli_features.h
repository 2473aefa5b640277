/* --dump-features: what was drawn for each node, shared by the dump and its index.html. */
#ifndef CNNRT_TOOLS_CLI_FEATURES_H
#define CNNRT_TOOLS_CLI_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include "cli_grid.h"
#include "cnnrt.h"

#define CLI_FEATURE_MAX_RANK 8
#define CLI_FEATURE_FILE 300

typedef struct {
  char file[CLI_FEATURE_FILE]; /* PNG name inside the folder ("" when not written) */
  size_t dims[CLI_FEATURE_MAX_RANK];
  int rank;
  float lo, hi, mean; /* over the node's finite output values */
  int width, height;  /* of the picture, in pixels */
  cli_grid_layout layout;
} cli_feature_picture;

typedef struct {
  const cnnrt_model *model;
  const char *model_path, *image_path, *dir;
  char image_copy[CLI_FEATURE_FILE]; /* the original image inside the folder ("" if none) */
  cli_feature_picture input;         /* the preprocessed input tensor */
  cli_feature_picture *nodes;        /* one per node */
  const float *probs;                /* class probabilities of the image */
  const size_t *ranked;              /* class indices, most probable first */
  size_t top;
} cli_feature_dump;

/* Writes DIR/index.html: the input, then every node's picture in execution order with
 * its name, op, shape and value range; fused nodes say whose output they show. Every
 * <img> records whether it loaded (data-state), and the body counts them
 * (data-images, data-loaded) once the page has loaded. Prints the error on failure. */
bool cli_features_write_html(const cli_feature_dump *d);

#endif
