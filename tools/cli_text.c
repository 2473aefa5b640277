#include "cli_text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_format_dims(const size_t *dims, int rank, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < rank && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, i ? ", %zu" : "%zu", dims[i]);
  if (n < size) snprintf(buf + n, size - n, "]");
}

void cli_op_text(const cnnrt_model *m, size_t node, char *buf, size_t size) {
  const char *kernel = cnnrt_model_node_kernel(m, node), *op = cnnrt_model_node_op(m, node);
  if (!kernel || !op) kernel = "", op = "?"; /* a bad node index */
  snprintf(buf, size, "%s%s%s%s%s", op, kernel[0] ? " [" : "", kernel, kernel[0] ? "]" : "",
           cnnrt_model_node_is_fused(m, node) ? " (fused)" : "");
}

bool cli_print_json(cJSON *root, bool ok, bool indented, const char *what) {
  char *text = !ok ? NULL : indented ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
  if (text)
    printf("%s\n", text);
  else
    fprintf(stderr, "cnnrt: out of memory while writing the JSON %s\n", what);
  free(text);
  cJSON_Delete(root);
  return text != NULL;
}

void cli_html_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    default:
      fputc(*s, f);
    }
  }
}

void cli_safe_name(const char *s, char *buf, size_t size) {
  size_t n = 0;
  for (; *s && n + 1 < size; s++) {
    char c = *s;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_';
    buf[n++] = keep ? c : '_';
  }
  buf[n] = '\0';
  if (n == 0 || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0) snprintf(buf, size, "_");
}

double cli_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
