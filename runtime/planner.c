#include "runtime/planner.h"

#include <stdlib.h>
#include "runtime/checked.h"

/* qsort has no context argument; thread-local keeps concurrent planning safe. */
static _Thread_local const plan_item *sort_items;
static _Thread_local const size_t *sort_offsets;

/* Largest first; ties by first use then index so the plan is deterministic. */
static int compare_by_size(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  const plan_item *x = &sort_items[i], *y = &sort_items[j];
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->first_use != y->first_use) return x->first_use < y->first_use ? -1 : 1;
  return i < j ? -1 : (i > j);
}

static int compare_by_offset(const void *a, const void *b) {
  size_t x = sort_offsets[*(const size_t *)a], y = sort_offsets[*(const size_t *)b];
  return x < y ? -1 : (x > y);
}

static bool lifetimes_overlap(const plan_item *a, const plan_item *b) {
  return a->first_use <= b->last_use && b->first_use <= a->last_use;
}

/* Lowest offset for item self (size bytes, aligned) in the first gap between the placed
 * items alive at the same time. conflicts is scratch space for n_placed indices. */
static bool place(const plan_item *items, const size_t *placed, size_t n_placed,
                  const size_t *offsets, size_t self, size_t size, size_t *conflicts,
                  size_t *offset) {
  size_t n = 0, candidate = 0;
  for (size_t k = 0; k < n_placed; k++)
    if (items[placed[k]].bytes && lifetimes_overlap(&items[self], &items[placed[k]]))
      conflicts[n++] = placed[k];
  sort_offsets = offsets;
  qsort(conflicts, n, sizeof *conflicts, compare_by_offset);
  for (size_t k = 0; k < n; k++) {
    size_t other = conflicts[k], end, other_end;
    if (!add_size(candidate, size, &end) ||
        !align_size(items[other].bytes, PLANNER_ALIGNMENT, &other_end) ||
        !add_size(offsets[other], other_end, &other_end))
      return false;
    if (end <= offsets[other]) break; /* fits in the gap before this one */
    if (other_end > candidate) candidate = other_end;
  }
  *offset = candidate;
  return true;
}

bool plan_arena(const plan_item *items, size_t n, size_t *offsets, size_t *arena_bytes) {
  size_t *by_size = malloc((n ? n : 1) * sizeof *by_size);
  size_t *conflicts = malloc((n ? n : 1) * sizeof *conflicts);
  size_t arena = 0;
  bool ok = by_size && conflicts;
  for (size_t i = 0; ok && i < n; i++) by_size[i] = i, offsets[i] = 0;
  if (ok) {
    sort_items = items;
    qsort(by_size, n, sizeof *by_size, compare_by_size);
  }
  for (size_t k = 0; ok && k < n; k++) {
    size_t i = by_size[k], size, end;
    if (items[i].bytes == 0) continue;
    ok = align_size(items[i].bytes, PLANNER_ALIGNMENT, &size) &&
         place(items, by_size, k, offsets, i, size, conflicts, &offsets[i]) &&
         add_size(offsets[i], size, &end);
    if (ok && end > arena) arena = end;
  }
  free(by_size);
  free(conflicts);
  if (ok) *arena_bytes = arena;
  return ok;
}
