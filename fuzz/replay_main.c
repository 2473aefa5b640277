/* Runs a fuzz target's entry point once on every file named on the command line (files,
 * or directories whose regular files are read): the committed corpus as a regression test
 * in the ordinary (and sanitizer) builds, without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer runs with -malloc_limit_mb=512: an input that makes the library ask for more is
 * a finding, so the replay fails on it too. Under AddressSanitizer the test sets
 * ASAN_OPTIONS=max_allocation_size_mb=512 instead (ASan owns malloc). */
#define REPLAY_MALLOC_LIMIT ((size_t)512 << 20)
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_OWN_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_OWN_MALLOC 0
#endif
#endif
#ifndef REPLAY_OWN_MALLOC
#define REPLAY_OWN_MALLOC 1
extern void *__libc_malloc(size_t size);
void *malloc(size_t size);
void *malloc(size_t size) {
  if (size > REPLAY_MALLOC_LIMIT) {
    static const char msg[] = "replay: malloc over the 512 MB limit\n";
    fwrite(msg, 1, sizeof msg - 1, stderr);
    abort();
  }
  return __libc_malloc(size);
}
#endif

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  size_t cap = 1 << 16, len = 0, got;
  uint8_t *data = malloc(cap);
  while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) data = realloc(data, cap *= 2);
  }
  fclose(f);
  if (!data) {
    fprintf(stderr, "replay: out of memory reading %s\n", path);
    return 1;
  }
  LLVMFuzzerTestOneInput(data, len);
  free(data);
  return 0;
}

static int compare(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of a directory, in name order (a failure names the same file every
 * time). */
static int run_dir(const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  struct dirent *entry;
  char **names = NULL;
  size_t n = 0;
  int failed = 0;
  if (!d) {
    fprintf(stderr, "replay: cannot open %s\n", dir);
    return 1;
  }
  while ((entry = readdir(d)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n] = malloc(strlen(dir) + strlen(entry->d_name) + 2);
    sprintf(names[n++], "%s/%s", dir, entry->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, compare);
  for (size_t i = 0; i < n; i++) {
    struct stat info;
    if (stat(names[i], &info) == 0 && S_ISREG(info.st_mode)) {
      failed |= run_file(names[i]);
      (*count)++;
    }
    free(names[i]);
  }
  free(names);
  return failed;
}

int main(int argc, char **argv) {
  size_t count = 0;
  int failed = 0;
  for (int i = 1; i < argc; i++) {
    struct stat info;
    if (stat(argv[i], &info) != 0) {
      fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      failed = 1;
    } else if (S_ISDIR(info.st_mode))
      failed |= run_dir(argv[i], &count);
    else {
      failed |= run_file(argv[i]);
      count++;
    }
  }
  printf("replay: %zu inputs, no crash\n", count);
  return failed || count == 0;
}
