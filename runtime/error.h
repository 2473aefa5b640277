/* Error reporting: a per-thread message that names where the failure is. */
#ifndef CNNRT_RUNTIME_ERROR_H
#define CNNRT_RUNTIME_ERROR_H

#include "cnnrt.h"

/* Where an error happened; any field may be NULL / negative to leave it out of the message.
 * The message reads "FILE: node INDEX 'NAME' (OP): TEXT". */
typedef struct {
  const char *file;
  long node_index;
  const char *node_name;
  const char *op;
} err_ctx;

/* An err_ctx that names only the file (node_index -1). */
err_ctx err_ctx_file(const char *file);

/* Formats the message (prefixed as above) into this thread's buffer, returns code. */
cnnrt_status err_set(const err_ctx *where, cnnrt_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears this thread's message. */
void err_clear(void);

#endif
