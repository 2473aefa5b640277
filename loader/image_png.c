/* PNG through libpng 1.6: every colour type and bit depth to 8-bit gray or RGB. Alpha (and
 * palette / tRNS transparency) is dropped, not composited, as Pillow's convert("RGB") and
 * convert("L") do; 16-bit samples keep their high byte; gamma, colour profiles and text are
 * skipped unread (raw values, as Pillow gives them). Errors unwind with longjmp, so all state a
 * failure must clean up lives in png_job, outside the function that calls setjmp. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/image.h"
#include "runtime/checked.h"
#include "runtime/error.h"

/* Limits on chunk data libpng would keep in memory. Ancillary chunks are all discarded
 * unread (below), so these are a second line of defence. */
#define PNG_CHUNK_MALLOC_MAX ((png_alloc_size_t)8 << 20)
#define PNG_CHUNK_CACHE_MAX 128

typedef struct {
  const uint8_t *data;
  size_t len, pos;
  const char *name;
  char why[200]; /* libpng's message, or ours */
  cnnrt_status status;
  png_structp png;
  png_infop info;
  uint8_t *pixels;
  png_bytep *rows;
  png_uint_32 width, height;
  int channels;
} png_job;

static void on_error(png_structp png, png_const_charp message) {
  png_job *job = png_get_error_ptr(png);
  snprintf(job->why, sizeof job->why, "%s", message ? message : "unknown error");
  png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
  (void)png, (void)message; /* e.g. a known-incorrect sRGB profile: the pixels are fine */
}

static void read_bytes(png_structp png, png_bytep dst, size_t n) {
  png_job *job = png_get_io_ptr(png);
  if (n > job->len - job->pos) png_error(png, "the file ends early (truncated?)");
  memcpy(dst, job->data + job->pos, n);
  job->pos += n;
}

/* Everything that can longjmp. Returns false when it stopped early for a reason of ours
 * (job->status set); a libpng error longjmps out to decode_png instead. */
static bool read_png(png_job *job) {
  png_structp png = job->png;
  png_infop info = job->info;
  int depth, color, interlace;
  png_set_read_fn(png, job, read_bytes);
  png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
  png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
  /* Every chunk but IHDR, PLTE, tRNS, IDAT and IEND is skipped without being read into
   * memory: none changes the pixels cnnrt uses (no gamma or colour management), and
   * libpng 1.6 would otherwise allocate a text or ICC chunk's declared length (up to 2 GB
   * for a 55-byte file: its "chunk data is too large" check is only a warning on read). */
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
  png_read_info(png, info);
  png_get_IHDR(png, info, &job->width, &job->height, &depth, &color, &interlace, NULL, NULL);
  if ((job->status = image_check_size(job->width, job->height, job->name))) return false;
  if (depth == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_set_strip_alpha(png); /* also the alpha palette_to_rgb makes from tRNS */
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  job->channels = png_get_channels(png, info);
  size_t row = png_get_rowbytes(png, info), bytes;
  if ((job->channels != 1 && job->channels != 3) || png_get_bit_depth(png, info) != 8 ||
      row != (size_t)job->width * (size_t)job->channels) {
    job->status = err_set(NULL, CNNRT_ERR_IMAGE, "%s: unsupported PNG layout (%d channels)",
                          job->name, job->channels);
    return false;
  }
  if (!mul_size(row, job->height, &bytes) || !(job->pixels = malloc(bytes)) ||
      !(job->rows = malloc(job->height * sizeof *job->rows))) {
    job->status = err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory decoding a %ux%u image",
                          job->name, (unsigned)job->width, (unsigned)job->height);
    return false;
  }
  for (png_uint_32 y = 0; y < job->height; y++) job->rows[y] = job->pixels + y * row;
  png_read_image(png, job->rows);
  png_read_end(png, NULL); /* the rest of the data and its checksums, up to IEND */
  return true;
}

static bool run_read(png_job *job) {
  if (setjmp(png_jmpbuf(job->png))) {
    job->status = err_set(NULL, CNNRT_ERR_IMAGE, "%s: cannot decode PNG: %s", job->name, job->why);
    return false;
  }
  return read_png(job);
}

cnnrt_status image_decode_png(const uint8_t *data, size_t len, const char *name,
                              decoded_image *out) {
  png_job job = {.data = data, .len = len, .name = name};
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error, on_warning);
  if (job.png) job.info = png_create_info_struct(job.png);
  if (!job.png || !job.info) {
    png_destroy_read_struct(job.png ? &job.png : NULL, NULL, NULL);
    return err_set(NULL, CNNRT_ERR_MEMORY, "%s: cannot start the PNG decoder", name);
  }
  bool ok = run_read(&job);
  png_destroy_read_struct(&job.png, &job.info, NULL);
  free(job.rows);
  if (!ok) {
    free(job.pixels);
    return job.status;
  }
  out->pixels = job.pixels;
  out->width = (int)job.width;
  out->height = (int)job.height;
  out->channels = job.channels;
  return CNNRT_OK;
}
