/* A 5x7 pixel font for text in the pictures the cnnrt command draws (upper case,
 * digits and common punctuation; lower case is drawn as upper case). */
#ifndef CNNRT_TOOLS_CLI_FONT_H
#define CNNRT_TOOLS_CLI_FONT_H

#include <stdint.h>
#include "cli_png.h"

#define CLI_FONT_W 5
#define CLI_FONT_H 7
#define CLI_FONT_ADVANCE 6 /* glyph width plus one column of space */

/* Width in pixels of text drawn at the given scale. */
int cli_text_width(const char *text, int scale);

/* Draws text with its top-left corner at (x, y) on an RGB canvas, each font pixel a
 * scale x scale block; pixels outside the canvas are clipped. */
void cli_draw_text(cli_canvas *c, int x, int y, const char *text, int scale, const uint8_t rgb[3]);

#endif
