/* The arena planner: a pure function from buffer lifetimes to offsets in one arena.
 * Greedy by size (largest first); each buffer goes to the lowest offset that does not
 * overlap any already placed buffer whose lifetime intersects its own (TFLite Micro's
 * GreedyMemoryPlanner). */
#ifndef CNNRT_RUNTIME_PLANNER_H
#define CNNRT_RUNTIME_PLANNER_H

#include <stdbool.h>
#include <stddef.h>

#define PLANNER_ALIGNMENT 64

typedef struct {
  size_t bytes;     /* 0 = not placed (offset 0) */
  size_t first_use; /* step that writes it first */
  size_t last_use;  /* last step that reads it (>= first_use) */
} plan_item;

/* Computes offsets[i] for each item (multiples of PLANNER_ALIGNMENT) and the arena size.
 * Never larger than the sum of the aligned sizes. False on overflow or out of memory. */
bool plan_arena(const plan_item *items, size_t n, size_t *offsets, size_t *arena_bytes);

#endif
