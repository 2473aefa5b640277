/* Small text and time helpers shared by the cnnrt command's modes. */
#ifndef CNNRT_TOOLS_CLI_TEXT_H
#define CNNRT_TOOLS_CLI_TEXT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include "cnnrt.h"

/* "[1, 16, 28, 28]" into buf (always NUL-terminated, cut when it does not fit). */
void cli_format_dims(const size_t *dims, int rank, char *buf, size_t size);

/* A node's op for tables: "Conv2d [winograd]" (the kernel chosen at load, for ops with
 * several), "ReLU (fused)". */
void cli_op_text(const cnnrt_model *m, size_t node, char *buf, size_t size);

/* Prints root (when ok) on stdout as one JSON document, indented or on one line, and
 * deletes it; false, with "cnnrt: out of memory while writing the JSON WHAT" on stderr,
 * when ok is false or printing fails. */
bool cli_print_json(cJSON *root, bool ok, bool indented, const char *what);

/* Writes s to f with the HTML special characters (& < > " ') escaped. */
void cli_html_escape(FILE *f, const char *s);

/* A file-name friendly form of s into buf: letters, digits, '.', '-' and '_' are kept,
 * anything else becomes '_' (never empty, never "." or ".."). */
void cli_safe_name(const char *s, char *buf, size_t size);

/* Monotonic clock in seconds. */
double cli_seconds(void);

#endif
