#include "cli_png.h"
#include "cli_files.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Larger pictures than this are refused: a cnnrt picture is meant to be looked at. */
#define CLI_CANVAS_MAX_SIDE 32768
#define CLI_CANVAS_MAX_BYTES ((size_t)1 << 30)

bool cli_canvas_init(cli_canvas *c, int width, int height, int channels, uint8_t fill) {
  c->width = width, c->height = height, c->channels = channels, c->pixels = NULL;
  size_t bytes = (size_t)width * (size_t)height * (size_t)channels;
  if (width < 1 || height < 1 || width > CLI_CANVAS_MAX_SIDE || height > CLI_CANVAS_MAX_SIDE ||
      bytes > CLI_CANVAS_MAX_BYTES) {
    fprintf(stderr, "cnnrt: a %dx%d picture is too large to draw\n", width, height);
    return false;
  }
  c->pixels = malloc(bytes);
  if (!c->pixels) {
    fprintf(stderr, "cnnrt: out of memory for a %dx%d picture\n", width, height);
    return false;
  }
  memset(c->pixels, fill, bytes);
  return true;
}

void cli_canvas_free(cli_canvas *c) {
  free(c->pixels);
  c->pixels = NULL;
}

/* Encodes c into f; false on a libpng error (reported through its message). */
static bool encode(FILE *f, const cli_canvas *c, char *error, size_t error_size) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, NULL);
    snprintf(error, error_size, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    snprintf(error, error_size, "libpng failed to encode the picture");
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)c->width, (png_uint_32)c->height, 8,
               c->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t stride = (size_t)c->width * (size_t)c->channels;
  for (int y = 0; y < c->height; y++) png_write_row(png, c->pixels + (size_t)y * stride);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return true;
}

bool cli_png_write(const char *path, const cli_canvas *c) {
  char error[128] = "";
  cli_out o;
  if (!cli_out_open(&o, path)) return false;
  bool ok = encode(o.f, c, error, sizeof error);
  if (!ok) fprintf(stderr, "cnnrt: %s: cannot write PNG: %s\n", path, error);
  return cli_out_close(&o, ok);
}
