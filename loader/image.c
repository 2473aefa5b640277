/* Image files: recognised by their first bytes (never by their name), read with a size
 * limit, handed to the right decoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/image.h"
#include "loader/loader.h"
#include "runtime/limits.h"

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static bool starts_with(const uint8_t *data, size_t len, const void *prefix, size_t n) {
  return len >= n && memcmp(data, prefix, n) == 0;
}

/* Names formats people may try that cnnrt does not read, for a clearer message. */
static const char *other_format(const uint8_t *d, size_t len) {
  if (starts_with(d, len, "GIF87a", 6) || starts_with(d, len, "GIF89a", 6)) return "a GIF image";
  if (starts_with(d, len, "BM", 2)) return "a BMP image";
  if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
    return "a WebP image";
  if (starts_with(d, len, "II*\0", 4) || starts_with(d, len, "MM\0*", 4)) return "a TIFF image";
  if (len >= 12 && memcmp(d + 4, "ftyp", 4) == 0) return "a HEIF/AVIF or MP4 file";
  if (starts_with(d, len, "\xff\x0a", 2) || starts_with(d, len, "\0\0\0\x0cJXL ", 8))
    return "a JPEG XL image";
  return NULL;
}

cnnrt_status image_check_size(uint64_t width, uint64_t height, const char *name) {
  err_ctx e = err_ctx_file(name);
  if (width < 1 || height < 1)
    return err_set(&e, CNNRT_ERR_IMAGE, "image size %llux%llu in the header is empty",
                   (unsigned long long)width, (unsigned long long)height);
  /* both at most 2^32 here (JPEG: 16 bits, PNG: 31 bits), so the product fits */
  return limit_check(CNNRT_LIMIT_IMAGE_PIXELS, width * height, &e, "the image (%llux%llu)",
                     (unsigned long long)width, (unsigned long long)height);
}

cnnrt_status image_decode(const void *data, size_t len, const char *name, int want,
                          decoded_image *out) {
  const uint8_t *d = data;
  if (!name) name = "<memory>";
  if ((!d && len) || !out || (want != 1 && want != 3))
    return err_set(NULL, CNNRT_ERR_ARGUMENT, "image_decode: bad argument");
  memset(out, 0, sizeof *out);
  err_ctx e = err_ctx_file(name);
  cnnrt_status st = limit_check(CNNRT_LIMIT_IMAGE_BYTES, len, &e, "the image file");
  if (st != CNNRT_OK) return st;
  if (len == 0) return err_set(NULL, CNNRT_ERR_IMAGE, "%s: empty file, not an image", name);
  if (starts_with(d, len, "\xff\xd8\xff", 3)) return image_decode_jpeg(d, len, name, want, out);
  if (starts_with(d, len, png_signature, sizeof png_signature))
    return image_decode_png(d, len, name, out);
  if (len < 3 && d[0] == 0xff) /* the first bytes of a JPEG and nothing else */
    return err_set(NULL, CNNRT_ERR_IMAGE, "%s: not a readable JPEG image (truncated to %zu bytes)",
                   name, len);
  const char *other = other_format(d, len);
  if (other)
    return err_set(NULL, CNNRT_ERR_IMAGE, "%s: %s; cnnrt reads JPEG and PNG images only", name,
                   other);
  char first[3 * 8 + 1] = "";
  size_t used = 0;
  for (size_t i = 0; i < len && i < 8; i++)
    used += (size_t)snprintf(first + used, sizeof first - used, "%s%02x", i ? " " : "", d[i]);
  return err_set(NULL, CNNRT_ERR_IMAGE,
                 "%s: not a JPEG or PNG image (it starts with the bytes %s; the file name does "
                 "not matter, the content does)",
                 name, first);
}

cnnrt_status image_decode_file(const char *path, int want, decoded_image *out) {
  char *data = NULL;
  size_t len = 0;
  cnnrt_status st = loader_read_file(path, CNNRT_LIMIT_IMAGE_BYTES, "image", &data, &len);
  if (st == CNNRT_OK) st = image_decode(data, len, path, want, out);
  free(data);
  return st;
}

void image_free(decoded_image *img) {
  if (!img) return;
  free(img->pixels);
  img->pixels = NULL;
}
