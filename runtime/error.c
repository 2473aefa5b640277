#include "runtime/error.h"

#include <stdarg.h>
#include <stdio.h>

#define ERR_MESSAGE_SIZE 1024

static _Thread_local char last_message[ERR_MESSAGE_SIZE];

err_ctx err_ctx_file(const char *file) {
  err_ctx e = {file, -1, NULL, NULL};
  return e;
}

/* Writes "FILE: node I 'NAME' (OP): " for the fields that are set; returns its length. */
static size_t format_prefix(const err_ctx *where, char *buf, size_t size) {
  char node[512] = "";
  size_t n = 0;
  if (!where) return 0;
  if (where->node_index >= 0)
    n += (size_t)snprintf(node + n, sizeof node - n, "node %ld ", where->node_index);
  if (where->node_name && n < sizeof node)
    n += (size_t)snprintf(node + n, sizeof node - n, "'%s' ", where->node_name);
  if (where->op && n < sizeof node)
    n += (size_t)snprintf(node + n, sizeof node - n, "(%s) ", where->op);
  if (n > 0 && n < sizeof node) node[n - 1] = ':'; /* "node 3 'x' (Op) " -> "...(Op):" */
  int len = snprintf(buf, size, "%s%s%s%s", where->file ? where->file : "", where->file ? ": " : "",
                     node, n > 0 ? " " : "");
  if (len < 0) return 0;
  return (size_t)len < size ? (size_t)len : size - 1;
}

cnnrt_status err_set(const err_ctx *where, cnnrt_status code, const char *fmt, ...) {
  size_t n = format_prefix(where, last_message, sizeof last_message);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message + n, sizeof last_message - n, fmt, ap);
  va_end(ap);
  /* Names and values from model files end up here: no control characters (terminal escape
   * sequences, newlines that would forge log lines) reach whoever prints the message. */
  for (char *c = last_message; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  return code;
}

void err_clear(void) {
  last_message[0] = '\0';
}

const char *cnnrt_last_error(void) {
  return last_message;
}

const char *cnnrt_status_name(cnnrt_status status) {
  switch (status) {
  case CNNRT_OK:
    return "CNNRT_OK";
  case CNNRT_ERR_IO:
    return "CNNRT_ERR_IO";
  case CNNRT_ERR_FORMAT:
    return "CNNRT_ERR_FORMAT";
  case CNNRT_ERR_SHAPE:
    return "CNNRT_ERR_SHAPE";
  case CNNRT_ERR_UNSUPPORTED:
    return "CNNRT_ERR_UNSUPPORTED";
  case CNNRT_ERR_MEMORY:
    return "CNNRT_ERR_MEMORY";
  case CNNRT_ERR_ARGUMENT:
    return "CNNRT_ERR_ARGUMENT";
  case CNNRT_ERR_IMAGE:
    return "CNNRT_ERR_IMAGE";
  case CNNRT_ERR_LIMIT:
    return "CNNRT_ERR_LIMIT";
  }
  return "CNNRT_ERR_UNKNOWN";
}

const char *cnnrt_version(void) {
  return CNNRT_VERSION_STRING;
}
