/* The weight blob: a bare file name beside model.json, read once into aligned memory; and
 * the whole-file reader every file input goes through. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "loader/json_util.h"
#include "loader/loader.h"
#include "runtime/big_alloc.h"
#include "runtime/checked.h"
#include "runtime/limits.h"

#define BLOB_ALIGNMENT 64

/* A bare file name: no directories, so a model can never read files elsewhere. */
static cnnrt_status check_blob_name(const char *name, const err_ctx *e) {
  if (strchr(name, '/') || strchr(name, '\\') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "'weights' must be a bare file name beside model.json, got '%s'", name);
  for (const char *c = name; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      return err_set(e, CNNRT_ERR_FORMAT, "'weights' contains a control character");
  return CNNRT_OK;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static void from_little_endian(float *blob, size_t len) {
  uint32_t *words = (uint32_t *)blob;
  for (size_t i = 0; i < len / 4; i++) words[i] = __builtin_bswap32(words[i]);
}
#else
static void from_little_endian(float *blob, size_t len) {
  (void)blob, (void)len;
}
#endif

/* Copies len bytes of the caller's memory into a fresh 64-byte aligned buffer. */
static cnnrt_status copy_blob(const void *bytes, size_t len, cnnrt_model *m, const err_ctx *e) {
  size_t padded;
  cnnrt_status st;
  if ((st = limit_check(CNNRT_LIMIT_WEIGHTS_BYTES, len, e, "the weight blob"))) return st;
  if (len == 0) return CNNRT_OK;
  if (!align_size(len, BLOB_ALIGNMENT, &padded) || !(m->blob = big_alloc(padded)))
    return err_set(e, CNNRT_ERR_MEMORY, "out of memory for a %zu-byte weight blob", len);
  memcpy(m->blob, bytes, len);
  m->blob_bytes = len;
  from_little_endian(m->blob, len);
  return CNNRT_OK;
}

cnnrt_status loader_read_blob(const cJSON *root, const blob_source *src, cnnrt_model *m,
                              bool *has_blob, const err_ctx *e) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "weights");
  cnnrt_status st;
  *has_blob = false;
  if (!name) return src->json_dir ? CNNRT_OK : copy_blob(src->bytes, src->len, m, e);
  if (!cJSON_IsString(name) || !name->valuestring[0])
    return err_set(e, CNNRT_ERR_FORMAT, "'weights' must be a non-empty file name, got %s",
                   cJSON_IsString(name) ? "an empty string" : json_type_name(name));
  if ((st = check_blob_name(name->valuestring, e))) return st;
  *has_blob = true;
  if (!src->json_dir) return copy_blob(src->bytes, src->len, m, e);

  size_t path_len = strlen(src->json_dir) + strlen(name->valuestring) + 2;
  char *path = malloc(path_len);
  if (!path) return err_set(e, CNNRT_ERR_MEMORY, "out of memory");
  snprintf(path, path_len, "%s%s%s", src->json_dir, src->json_dir[0] ? "/" : "", name->valuestring);
  char *data = NULL;
  size_t len = 0;
  st = loader_read_file(path, CNNRT_LIMIT_WEIGHTS_BYTES, "weights file", &data, &len);
  free(path);
  if (st != CNNRT_OK) return st;
  if (len == 0) { /* nothing to keep: every weight reference will be out of range */
    free(data);
    return CNNRT_OK;
  }
  m->blob = (float *)data; /* already 64-byte aligned */
  m->blob_bytes = len;
  from_little_endian(m->blob, len);
  return CNNRT_OK;
}

/* Reads exactly len bytes from fd into buf. */
static bool read_all(int fd, char *buf, size_t len) {
  errno = 0; /* stays 0 when the file ends early */
  while (len > 0) {
    ssize_t got = read(fd, buf, len > ((size_t)1 << 30) ? (size_t)1 << 30 : len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buf += got;
    len -= (size_t)got;
  }
  return true;
}

cnnrt_status loader_read_file(const char *path, cnnrt_limit limit, const char *what, char **data,
                              size_t *len) {
  /* O_NONBLOCK: opening a FIFO without a writer must not hang; regular files ignore it. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return err_set(NULL, CNNRT_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
  err_ctx e = err_ctx_file(path);
  cnnrt_status st = CNNRT_OK;
  struct stat info;
  size_t size = 0, padded = 0;
  char *buf = NULL;
  if (fstat(fd, &info) != 0)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: %s", path, what, strerror(errno));
  else if (!S_ISREG(info.st_mode))
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: not a regular file%s", path, what,
                 S_ISDIR(info.st_mode) ? " (a directory)" : "");
  else if (info.st_size < 0)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: bad file size", path, what);
  else
    st = limit_check(limit, (uint64_t)info.st_size, &e, "the %s", what);
  if (st == CNNRT_OK) {
    size = (size_t)info.st_size;
    if (!align_size(size + 1, BLOB_ALIGNMENT, &padded) || !(buf = big_alloc(padded)))
      st = err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory for a %zu-byte %s", path, size, what);
  }
  if (st == CNNRT_OK && !read_all(fd, buf, size))
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: %s", path, what,
                 errno ? strerror(errno) : "file changed while reading");
  close(fd);
  if (st != CNNRT_OK) {
    free(buf);
    return st;
  }
  memset(buf + size, 0, padded - size); /* NUL-terminated; no uninitialised padding */
  *data = buf;
  *len = size;
  return CNNRT_OK;
}
