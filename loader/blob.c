/* The weight blob: a bare file name beside model.json, read once into aligned memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "loader/json_util.h"
#include "loader/loader.h"
#include "runtime/checked.h"

#define BLOB_ALIGNMENT 64
#define MAX_BLOB_BYTES ((size_t)1 << 34) /* 16 GiB */

/* A bare file name: no directories, so a model can never read files elsewhere. */
static cnnrt_status check_blob_name(const char *name, const err_ctx *e) {
  if (strchr(name, '/') || strchr(name, '\\') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "'weights' must be a bare file name beside model.json, got '%s'", name);
  for (const char *c = name; *c; c++)
    if ((unsigned char)*c < 0x20)
      return err_set(e, CNNRT_ERR_FORMAT, "'weights' contains a control character");
  return CNNRT_OK;
}

/* Copies len bytes into a fresh 64-byte aligned buffer (floats need the alignment),
 * converting from little-endian on big-endian hosts. */
static cnnrt_status adopt_blob(const void *bytes, size_t len, cnnrt_model *m, const err_ctx *e) {
  size_t padded;
  if (len == 0) return CNNRT_OK;
  if (!align_size(len, BLOB_ALIGNMENT, &padded) ||
      !(m->blob = aligned_alloc(BLOB_ALIGNMENT, padded)))
    return err_set(e, CNNRT_ERR_MEMORY, "out of memory for a %zu-byte weight blob", len);
  memcpy(m->blob, bytes, len);
  m->blob_bytes = len;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  uint32_t *words = (uint32_t *)m->blob;
  for (size_t i = 0; i < len / 4; i++) words[i] = __builtin_bswap32(words[i]);
#endif
  return CNNRT_OK;
}

cnnrt_status loader_read_blob(const cJSON *root, const blob_source *src, cnnrt_model *m,
                              bool *has_blob, const err_ctx *e) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "weights");
  cnnrt_status st;
  *has_blob = false;
  if (!name) return src->json_dir ? CNNRT_OK : adopt_blob(src->bytes, src->len, m, e);
  if (!cJSON_IsString(name) || !name->valuestring[0])
    return err_set(e, CNNRT_ERR_FORMAT, "'weights' must be a non-empty file name, got %s",
                   json_type_name(name));
  if ((st = check_blob_name(name->valuestring, e))) return st;
  *has_blob = true;
  if (!src->json_dir) return adopt_blob(src->bytes, src->len, m, e);

  size_t path_len = strlen(src->json_dir) + strlen(name->valuestring) + 2;
  char *path = malloc(path_len);
  if (!path) return err_set(e, CNNRT_ERR_MEMORY, "out of memory");
  snprintf(path, path_len, "%s%s%s", src->json_dir, src->json_dir[0] ? "/" : "", name->valuestring);
  char *data = NULL;
  size_t len = 0;
  st = loader_read_file(path, MAX_BLOB_BYTES, "weights file", &data, &len);
  free(path);
  if (st == CNNRT_OK) st = adopt_blob(data, len, m, e);
  free(data);
  return st;
}

cnnrt_status loader_read_file(const char *path, size_t max_bytes, const char *what, char **data,
                              size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return err_set(NULL, CNNRT_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
  cnnrt_status st = CNNRT_OK;
  long size = -1;
  struct stat info;
  /* fopen succeeds on a directory, whose "size" from ftell can be LONG_MAX */
  if (fstat(fileno(f), &info) != 0 || !S_ISREG(info.st_mode))
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: not a regular file", path, what);
  else if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s (not a regular file?)", path, what);
  else if ((size_t)size > max_bytes)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: %s is too large (%ld bytes, limit %zu)", path, what, size,
                 max_bytes);
  char *buf = st == CNNRT_OK ? malloc((size_t)size + 1) : NULL;
  if (st == CNNRT_OK && !buf) st = err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory", path);
  if (st == CNNRT_OK && fread(buf, 1, (size_t)size, f) != (size_t)size)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: %s", path, what,
                 ferror(f) ? strerror(errno) : "file changed while reading");
  fclose(f);
  if (st != CNNRT_OK) {
    free(buf);
    return st;
  }
  buf[size] = '\0';
  *data = buf;
  *len = (size_t)size;
  return CNNRT_OK;
}
