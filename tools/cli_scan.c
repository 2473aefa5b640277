#include "cli_scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SCAN_MAX_DEPTH 64

typedef struct {
  const cnnrt_model *model;
  cli_image_list *list;
  bool labels;
  size_t cls; /* class of the sub-folder being walked (labels only) */
} walker;

static bool is_image_name(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static bool append(cli_image_list *l, const char *path, size_t cls) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? 2 * l->capacity : 256;
    char **paths = realloc(l->paths, cap * sizeof *paths);
    if (paths) l->paths = paths;
    size_t *truth = paths && l->truth ? realloc(l->truth, cap * sizeof *truth) : NULL;
    if (truth) l->truth = truth;
    if (!paths || (l->truth && !truth)) return false;
    l->capacity = cap;
  }
  if (!(l->paths[l->count] = strdup(path))) return false;
  if (l->truth) l->truth[l->count] = cls;
  l->count++;
  return true;
}

/* Lower-case letters and digits, other runs as one '_', no '_' at either end. */
static void slug(const char *s, char *out, size_t size) {
  size_t n = 0;
  bool gap = false;
  for (; *s && n + 2 < size; s++) {
    char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (gap && n) out[n++] = '_';
      out[n++] = c, gap = false;
    } else
      gap = true;
  }
  out[n] = '\0';
}

bool cli_folder_class(const cnnrt_model *m, const char *folder, size_t *cls) {
  size_t labels = cnnrt_model_label_count(m);
  char a[256], b[256];
  for (size_t i = 0; i < labels; i++)
    if (strcmp(cnnrt_model_label(m, i), folder) == 0) return *cls = i, true;
  slug(folder, a, sizeof a);
  for (size_t i = 0; a[0] && i < labels; i++) {
    slug(cnnrt_model_label(m, i), b, sizeof b);
    if (strcmp(a, b) == 0) return *cls = i, true;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(folder, &end, 10);
  size_t classes = labels ? labels : cnnrt_model_output_count(m);
  if (folder[0] >= '0' && folder[0] <= '9' && !*end && !errno && v < classes)
    return *cls = (size_t)v, true;
  return false;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the visible entries of dir; NULL (message printed) on failure. */
static char **list_dir(const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cnnrt: %s: cannot read folder: %s\n", dir, strerror(errno));
    return NULL;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  bool ok = true;
  for (struct dirent *e; ok && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **grown = realloc(names, cap * sizeof *grown);
      ok = grown != NULL;
      if (ok) names = grown;
    }
    if (ok) ok = (names[n] = strdup(e->d_name)) != NULL, n += ok;
  }
  closedir(d);
  if (!ok) {
    fprintf(stderr, "cnnrt: %s: out of memory listing the folder\n", dir);
    while (n) free(names[--n]);
    free(names);
    return NULL;
  }
  if (n > 1) qsort(names, n, sizeof *names, compare_names);
  *count = n;
  return names ? names : calloc(1, sizeof *names);
}

static bool walk(walker *w, const char *dir, int depth);

/* One entry of a folder at the given depth (1 = directly inside the argument). */
static bool visit(walker *w, const char *dir, const char *name, int depth) {
  size_t dir_len = strlen(dir), len = dir_len + strlen(name) + 2;
  char *path = malloc(len);
  if (!path) return false;
  snprintf(path, len, "%s%s%s", dir, dir_len && dir[dir_len - 1] == '/' ? "" : "/", name);
  struct stat link, st;
  bool ok = true;
  if (lstat(path, &link) != 0 || stat(path, &st) != 0) {
    fprintf(stderr, "cnnrt: %s: skipped: %s\n", path, strerror(errno));
  } else if (S_ISDIR(st.st_mode) && !S_ISLNK(link.st_mode)) {
    if (depth == 1 && w->labels && !cli_folder_class(w->model, name, &w->cls)) {
      fprintf(stderr,
              "cnnrt: %s: folder name '%s' is no class of the model (give a label, its "
              "lower-case form with '_' for other characters, or a class index)\n",
              path, name);
      ok = false;
    } else
      ok = walk(w, path, depth + 1);
  } else if (S_ISREG(st.st_mode) && is_image_name(name)) {
    if (depth == 1 && w->labels) {
      fprintf(stderr, "cnnrt: %s: not inside a class sub-folder, so it has no true label\n", path);
      ok = false;
    } else if (!append(w->list, path, w->cls)) {
      fprintf(stderr, "cnnrt: out of memory listing images\n");
      ok = false;
    }
  }
  free(path);
  return ok;
}

static bool walk(walker *w, const char *dir, int depth) {
  if (depth > SCAN_MAX_DEPTH) {
    fprintf(stderr, "cnnrt: %s: folders nested deeper than %d levels\n", dir, SCAN_MAX_DEPTH);
    return false;
  }
  size_t n = 0;
  char **names = list_dir(dir, &n);
  bool ok = names != NULL;
  for (size_t i = 0; ok && i < n; i++) ok = visit(w, dir, names[i], depth);
  for (size_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
  return ok;
}

bool cli_scan(const cnnrt_model *m, const cli_options *o, cli_image_list *list) {
  memset(list, 0, sizeof *list);
  walker w = {m, list, o->labels_from_dirs, 0};
  if (w.labels && !(list->truth = malloc(sizeof *list->truth))) return false;
  bool ok = true;
  for (int i = 0; ok && i < o->image_count; i++) {
    struct stat st;
    const char *arg = o->images[i];
    bool exists = stat(arg, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
      list->any_dir = true;
      ok = walk(&w, arg, 1);
    } else if (w.labels) {
      fprintf(stderr, "cnnrt: %s: --labels-from-dirs needs folders, this is %s\n", arg,
              exists ? "no folder" : "missing");
      ok = false;
    } else if (!append(list, arg, 0)) {
      fprintf(stderr, "cnnrt: out of memory listing images\n");
      ok = false;
    }
  }
  if (!ok) cli_image_list_free(list);
  return ok;
}

void cli_image_list_free(cli_image_list *list) {
  for (size_t i = 0; i < list->count; i++) free(list->paths[i]);
  free(list->paths);
  free(list->truth);
  memset(list, 0, sizeof *list);
}
