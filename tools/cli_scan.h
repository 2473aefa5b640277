/* The images of a classification run: files as given, folders walked recursively, and
 * (with --labels-from-dirs) each image's true class from its sub-folder's name. */
#ifndef CNNRT_TOOLS_CLI_SCAN_H
#define CNNRT_TOOLS_CLI_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include "cli.h"

typedef struct {
  char **paths;
  size_t count, capacity;
  size_t *truth; /* true class per image with --labels-from-dirs, else NULL */
  bool any_dir;  /* a folder was given */
} cli_image_list;

/* Expands o->images: a folder contributes every .jpg / .jpeg / .png (any case) below it,
 * sorted, skipping hidden entries and symbolic links to folders; anything else is taken
 * as an image file (a missing one fails later, alone). With o->labels_from_dirs every
 * argument must be a folder and every image's first sub-folder must name a class of m.
 * Prints the problem and returns false on failure. */
bool cli_scan(const cnnrt_model *m, const cli_options *o, cli_image_list *list);

void cli_image_list_free(cli_image_list *list);

/* The class a folder name stands for: a label of m, the label's lower-case form with
 * runs of other characters as '_' ("T-shirt/top" -> "t_shirt_top"), or a class index.
 * Returns false when it matches none. */
bool cli_folder_class(const cnnrt_model *m, const char *folder, size_t *cls);

#endif
