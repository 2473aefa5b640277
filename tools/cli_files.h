/* File helpers of the cnnrt command. */
#ifndef CNNRT_TOOLS_CLI_FILES_H
#define CNNRT_TOOLS_CLI_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Reads exactly count floats (raw little-endian float32) from path; prints the error. */
bool cli_read_f32(const char *path, float *data, size_t count);

/* Writes count floats to path through a temporary file renamed on success, so a failed
 * write never leaves a partial file under the final name; prints the error. */
bool cli_write_f32(const char *path, const float *data, size_t count);

/* The same for any bytes. */
bool cli_write_bytes(const char *path, const void *data, size_t bytes);

/* A file written under a temporary name beside its final path and renamed into place only
 * when complete: every file the command writes goes through this, so a failure never
 * leaves a partial file under the final name. The temporary is created exclusively
 * (O_EXCL), so a planted file or link at that name is never written through. */
typedef struct {
  FILE *f;
  char *tmp;
  const char *path;
} cli_out;

/* Creates the temporary file (binary mode); prints the error and returns false. */
bool cli_out_open(cli_out *o, const char *path);

/* Closes the file, and renames it to the final path when ok and no write failed; removes
 * it otherwise. An I/O failure here is printed (naming the final path); a failure the
 * caller reports with ok = false is not printed again. */
bool cli_out_close(cli_out *o, bool ok);

#endif
