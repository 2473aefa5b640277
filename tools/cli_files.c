#include "cli_files.h"

#include <errno.h>
#include <fcntl.h>
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

bool cli_out_open(cli_out *o, const char *path) {
  size_t len = strlen(path) + 32;
  o->path = path;
  o->f = NULL;
  if (!(o->tmp = malloc(len))) {
    fprintf(stderr, "cnnrt: %s: out of memory\n", path);
    return false;
  }
  snprintf(o->tmp, len, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
  if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
    fprintf(stderr, "cnnrt: %s: cannot write: %s\n", o->tmp, strerror(errno));
    if (fd >= 0) close(fd), remove(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return false;
  }
  return true;
}

bool cli_out_close(cli_out *o, bool ok) {
  bool io_ok = !ferror(o->f);
  if (fclose(o->f) != 0) io_ok = false;
  if (ok && io_ok && rename(o->tmp, o->path) != 0) io_ok = false;
  if (ok && !io_ok) fprintf(stderr, "cnnrt: %s: cannot write: %s\n", o->path, strerror(errno));
  if (!ok || !io_ok) remove(o->tmp);
  free(o->tmp);
  o->tmp = NULL;
  o->f = NULL;
  return ok && io_ok;
}

bool cli_write_bytes(const char *path, const void *data, size_t bytes) {
  cli_out o;
  if (!cli_out_open(&o, path)) return false;
  bool ok = fwrite(data, 1, bytes, o.f) == bytes;
  if (!ok) fprintf(stderr, "cnnrt: %s: cannot write: %s\n", path, strerror(errno));
  return cli_out_close(&o, ok);
}
