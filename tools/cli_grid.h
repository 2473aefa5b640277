/* Tensors as pictures: feature maps tiled into a grid, vectors as a strip of cells. */
#ifndef CNNRT_TOOLS_CLI_GRID_H
#define CNNRT_TOOLS_CLI_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include "cli_png.h"

/* What was drawn: "grid" (rows x cols tiles of h x w) or "strip" (count values). */
typedef struct {
  bool strip;
  size_t rows, cols; /* tiles (grid) or cells (strip) */
  size_t count;      /* channels (grid) or values (strip) */
  int scale;         /* pixels per value along each axis */
} cli_grid_layout;

/* Draws the first sample of a tensor of the given shape (dims[0] is the batch) as gray:
 * a 4-D [N, C, H, W] with H * W > 1 becomes C tiles, each normalised to its own range;
 * anything else becomes a strip of cells wrapped into rows, normalised together. */
bool cli_grid_draw(const float *data, const size_t *dims, int rank, cli_canvas *out,
                   cli_grid_layout *layout);

/* Draws the first sample of a [N, 3, H, W] tensor as one RGB picture (normalised over
 * all three channels together, so colours keep their balance). */
bool cli_grid_draw_rgb(const float *data, const size_t *dims, cli_canvas *out);

#endif
