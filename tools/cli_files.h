/* File helpers of the cnnrt command. */
#ifndef CNNRT_TOOLS_CLI_FILES_H
#define CNNRT_TOOLS_CLI_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* Reads exactly count floats (raw little-endian float32) from path; prints the error. */
bool cli_read_f32(const char *path, float *data, size_t count);

/* Writes count floats to path through a temporary file renamed on success, so a failed
 * write never leaves a partial file under the final name; prints the error. */
bool cli_write_f32(const char *path, const float *data, size_t count);

/* The same for any bytes. */
bool cli_write_bytes(const char *path, const void *data, size_t bytes);

#endif
