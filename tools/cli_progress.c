#include "cli_progress.h"

#include <stdio.h>
#include <unistd.h>
#include "cli_text.h"

#define BAR_WIDTH 30

void cli_progress_start(cli_progress *p, size_t total, bool wanted) {
  p->enabled = wanted && total > 0 && isatty(STDERR_FILENO);
  p->total = total;
  p->start = p->last_draw = cli_seconds();
}

void cli_progress_update(cli_progress *p, size_t done) {
  if (!p->enabled) return;
  double now = cli_seconds();
  if (done < p->total && now - p->last_draw < 0.1) return;
  p->last_draw = now;
  char bar[BAR_WIDTH + 1];
  size_t filled = done * BAR_WIDTH / p->total;
  for (size_t i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  double rate = now > p->start ? (double)done / (now - p->start) : 0;
  fprintf(stderr, "\r[%s] %zu/%zu images, %.0f images/s ", bar, done, p->total, rate);
  fflush(stderr);
}

void cli_progress_end(cli_progress *p) {
  if (!p->enabled) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
}
