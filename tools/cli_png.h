/* PNG writing for the cnnrt command (feature maps, heat maps), through libpng. */
#ifndef CNNRT_TOOLS_CLI_PNG_H
#define CNNRT_TOOLS_CLI_PNG_H

#include <stdbool.h>
#include <stdint.h>

/* An 8-bit image being drawn: channels 1 (gray) or 3 (RGB), rows packed. */
typedef struct {
  int width, height, channels;
  uint8_t *pixels;
} cli_canvas;

/* Allocates a canvas filled with one gray level; false (message printed) when out of
 * memory or too large. */
bool cli_canvas_init(cli_canvas *c, int width, int height, int channels, uint8_t fill);
void cli_canvas_free(cli_canvas *c);

/* Writes the canvas as a PNG through a temporary file renamed on success; prints the
 * error and returns false on failure. */
bool cli_png_write(const char *path, const cli_canvas *c);

#endif
