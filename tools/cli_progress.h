/* A progress bar on stderr, drawn only when stderr is a terminal. */
#ifndef CNNRT_TOOLS_CLI_PROGRESS_H
#define CNNRT_TOOLS_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  bool enabled;
  size_t total;
  double start, last_draw;
} cli_progress;

/* Enabled when wanted and stderr is a terminal. */
void cli_progress_start(cli_progress *p, size_t total, bool wanted);
/* Redraws "[#####.....] done/total images, N images/s" at most ten times a second. */
void cli_progress_update(cli_progress *p, size_t done);
/* Erases the bar. */
void cli_progress_end(cli_progress *p);

#endif
