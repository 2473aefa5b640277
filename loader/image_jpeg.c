#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include "loader/image.h"
#include "loader/loader.h"
#include "runtime/error.h"

#define MAX_IMAGE_FILE_BYTES ((size_t)256 << 20)

static cnnrt_status decode_with(tjhandle tj, const unsigned char *data, unsigned long len,
                                const char *name, int channels, decoded_image *out) {
  /* tjDecompressHeader3 succeeds without setting the size on a tables-only stream (which is
   * what a file cut inside its header looks like), so start from 0. */
  int width = 0, height = 0, subsamp, colorspace;
  if (tjDecompressHeader3(tj, data, len, &width, &height, &subsamp, &colorspace) != 0)
    return err_set(NULL, CNNRT_ERR_IMAGE, "%s: not a readable JPEG image (%s)", name,
                   tjGetErrorStr2(tj));
  if (width == 0 || height == 0)
    return err_set(NULL, CNNRT_ERR_IMAGE,
                   "%s: not a readable JPEG image (no frame header: truncated file?)", name);
  if (width < 1 || height < 1 || (uint64_t)width * (uint64_t)height > IMAGE_MAX_PIXELS)
    return err_set(NULL, CNNRT_ERR_IMAGE,
                   "%s: image size %dx%d is outside the accepted range "
                   "(at most %llu pixels)",
                   name, width, height, (unsigned long long)IMAGE_MAX_PIXELS);
  size_t row = (size_t)width * (size_t)channels;
  uint8_t *pixels = malloc(row * (size_t)height);
  if (!pixels) return err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory decoding", name);
  /* Warnings (e.g. truncated data) also fail here: the result would be partly garbage. */
  if (tjDecompress2(tj, data, len, pixels, width, (int)row, height,
                    channels == 1 ? TJPF_GRAY : TJPF_RGB, TJFLAG_ACCURATEDCT) != 0) {
    cnnrt_status st =
        err_set(NULL, CNNRT_ERR_IMAGE, "%s: cannot decode JPEG: %s", name, tjGetErrorStr2(tj));
    free(pixels);
    return st;
  }
  out->pixels = pixels;
  out->width = width;
  out->height = height;
  out->channels = channels;
  return CNNRT_OK;
}

cnnrt_status image_decode_jpeg(const void *data, size_t len, const char *name, int channels,
                               decoded_image *out) {
  if (!data || !out || !name || (channels != 1 && channels != 3))
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "image_decode_jpeg: bad argument");
  if (len == 0) return err_set(NULL, CNNRT_ERR_IMAGE, "%s: empty file, not an image", name);
  if (len > MAX_IMAGE_FILE_BYTES)
    return err_set(NULL, CNNRT_ERR_IMAGE, "%s: file too large (%zu bytes)", name, len);
  tjhandle tj = tjInitDecompress();
  if (!tj) return err_set(NULL, CNNRT_ERR_MEMORY, "%s: cannot start the JPEG decoder", name);
  cnnrt_status st = decode_with(tj, data, (unsigned long)len, name, channels, out);
  tjDestroy(tj);
  return st;
}

cnnrt_status image_decode_file(const char *path, int channels, decoded_image *out) {
  char *data = NULL;
  size_t len = 0;
  cnnrt_status st = loader_read_file(path, MAX_IMAGE_FILE_BYTES, "image", &data, &len);
  if (st == CNNRT_OK) st = image_decode_jpeg(data, len, path, channels, out);
  free(data);
  return st;
}

void image_free(decoded_image *img) {
  if (!img) return;
  free(img->pixels);
  img->pixels = NULL;
}
