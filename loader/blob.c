/* The weight blob: a bare file name beside model.json, mapped (or read once into aligned
 * memory); and the whole-file reader every file input goes through. */
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
  float *copy;
  if (!align_size(len, BLOB_ALIGNMENT, &padded) || !(copy = big_alloc(padded)))
    return err_set(e, CNNRT_ERR_MEMORY, "out of memory for a %zu-byte weight blob", len);
  memcpy(copy, bytes, len);
  from_little_endian(copy, len);
  m->blob = copy;
  m->blob_bytes = len;
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

/* Opens path as a regular file of at most limit bytes (refusing directories, FIFOs and
 * devices without blocking on them): its descriptor in *fd (close it) and size in *size. */
static cnnrt_status open_regular_file(const char *path, cnnrt_limit limit, const char *what,
                                      int *fd, size_t *size) {
  /* O_NONBLOCK: opening a FIFO without a writer must not hang; regular files ignore it. */
  *fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (*fd < 0)
    return err_set(NULL, CNNRT_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
  err_ctx e = err_ctx_file(path);
  cnnrt_status st;
  struct stat info;
  if (fstat(*fd, &info) != 0)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: %s", path, what, strerror(errno));
  else if (!S_ISREG(info.st_mode))
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: not a regular file%s", path, what,
                 S_ISDIR(info.st_mode) ? " (a directory)" : "");
  else if (info.st_size < 0)
    st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: bad file size", path, what);
  else
    st = limit_check(limit, (uint64_t)info.st_size, &e, "the %s", what);
  if (st != CNNRT_OK) {
    close(*fd);
    return st;
  }
  *size = (size_t)info.st_size;
  return CNNRT_OK;
}

/* Reads the size bytes of fd into a 64-byte aligned, NUL-terminated buffer. */
static cnnrt_status read_whole_file(int fd, size_t size, const char *path, const char *what,
                                    char **data) {
  size_t padded;
  char *buf;
  if (!align_size(size + 1, BLOB_ALIGNMENT, &padded) || !(buf = big_alloc(padded)))
    return err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory for a %zu-byte %s", path, size, what);
  if (!read_all(fd, buf, size)) {
    cnnrt_status st = err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: %s", path, what,
                              errno ? strerror(errno) : "file changed while reading");
    free(buf);
    return st;
  }
  memset(buf + size, 0, padded - size); /* NUL-terminated; no uninitialised padding */
  *data = buf;
  return CNNRT_OK;
}

cnnrt_status loader_read_file(const char *path, cnnrt_limit limit, const char *what, char **data,
                              size_t *len) {
  int fd = -1;
  size_t size = 0;
  cnnrt_status st = open_regular_file(path, limit, what, &fd, &size);
  if (st != CNNRT_OK) return st;
  st = read_whole_file(fd, size, path, what, data);
  close(fd);
  if (st == CNNRT_OK) *len = size;
  return st;
}

/* CNNRT_MAP_WEIGHTS=0 reads the weights file instead of mapping it: for programs that must
 * survive a model's files being rewritten in place while the model is loaded. */
static bool mapping_wanted(void) {
  const char *env = getenv("CNNRT_MAP_WEIGHTS");
  return !(env && env[0] == '0');
}

/* The weights file, mapped where possible (no page to clear, no copy: a third of the load
 * time of a 45 MB model went there), else read. *mapped_bytes > 0 says it is a mapping. */
static cnnrt_status map_weights_file(const char *path, const float **data, size_t *len,
                                     size_t *mapped_bytes) {
  static const char what[] = "weights file";
  int fd = -1;
  size_t size = 0;
  cnnrt_status st = open_regular_file(path, CNNRT_LIMIT_WEIGHTS_BYTES, what, &fd, &size);
  if (st != CNNRT_OK) return st;
  const void *map = mapping_wanted() ? big_map_file(fd, size) : NULL;
  struct stat info;
  if (map && (fstat(fd, &info) != 0 || info.st_size < 0 || (size_t)info.st_size < size)) {
    big_unmap(map, size); /* shrunk since it was opened: reading its end would fault */
    close(fd);
    return err_set(NULL, CNNRT_ERR_IO, "%s: cannot read %s: file changed while reading", path,
                   what);
  }
  char *buf = NULL;
  if (!map && size > 0) st = read_whole_file(fd, size, path, what, &buf);
  close(fd);
  if (st != CNNRT_OK) return st;
  *data = map ? map : (const float *)buf;
  *len = size;
  *mapped_bytes = map ? size : 0;
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
  const float *data = NULL;
  size_t len = 0, mapped_bytes = 0;
  st = map_weights_file(path, &data, &len, &mapped_bytes);
  free(path);
  if (st != CNNRT_OK) return st;
  /* an empty file keeps nothing: every weight reference will be out of range */
  m->blob = data; /* 64-byte aligned (a mapping: page aligned) */
  m->blob_bytes = len;
  m->blob_mapped_bytes = mapped_bytes;
  if (!mapped_bytes) from_little_endian((float *)data, len); /* read: our own buffer */
  return CNNRT_OK;
}
