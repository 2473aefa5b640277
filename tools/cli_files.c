#include "cli_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cli_read_f32(const char *path, float *data, size_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cnnrt: %s: cannot open input tensor: %s\n", path, strerror(errno));
    return false;
  }
  size_t got = fread(data, sizeof(float), count, f);
  int extra = fgetc(f);
  bool ok = got == count && extra == EOF && !ferror(f);
  if (!ok)
    fprintf(stderr, "cnnrt: %s: expected exactly %zu float32 values (%zu bytes): %s\n", path, count,
            count * sizeof(float),
            ferror(f)     ? strerror(errno)
            : got < count ? "file is "
                            "too short"
                          : "file is too long");
  fclose(f);
  return ok;
}

bool cli_write_f32(const char *path, const float *data, size_t count) {
  return cli_write_bytes(path, data, count * sizeof(float));
}

bool cli_write_bytes(const char *path, const void *data, size_t bytes) {
  size_t len = strlen(path) + 32;
  char *tmp = malloc(len);
  if (!tmp) return false;
  snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  bool ok = f && fwrite(data, 1, bytes, f) == bytes;
  if (f && fclose(f) != 0) ok = false;
  if (ok && rename(tmp, path) != 0) ok = false;
  if (!ok) {
    fprintf(stderr, "cnnrt: %s: cannot write output: %s\n", path, strerror(errno));
    if (f) remove(tmp);
  }
  free(tmp);
  return ok;
}
