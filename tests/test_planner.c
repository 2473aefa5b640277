/* The arena planner: hand-made lifetime sets with known answers, invariants over random
 * sets, and the plans of the shipped models. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "runtime/planner.h"
#include "tests/test_util.h"

static size_t aligned(size_t bytes) {
  return (bytes + PLANNER_ALIGNMENT - 1) / PLANNER_ALIGNMENT * PLANNER_ALIGNMENT;
}

static int alive_together(const plan_item *a, const plan_item *b) {
  return a->first_use <= b->last_use && b->first_use <= a->last_use;
}

/* Every invariant of a plan; what names the case in messages. */
static void check_plan(const char *what, const plan_item *items, size_t n, const size_t *offsets,
                       size_t arena) {
  size_t sum = 0, last_step = 0;
  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(offsets[i] % PLANNER_ALIGNMENT, 0, "%s: item %zu offset %zu not 64-aligned", what,
                 i, offsets[i]);
    cr_assert_leq(offsets[i] + items[i].bytes, arena,
                  "%s: item %zu [%zu, +%zu) ends past the arena %zu", what, i, offsets[i],
                  items[i].bytes, arena);
    sum += aligned(items[i].bytes);
    if (items[i].bytes && items[i].last_use > last_step) last_step = items[i].last_use;
    for (size_t j = 0; j < i; j++) {
      if (!items[i].bytes || !items[j].bytes || !alive_together(&items[i], &items[j])) continue;
      int disjoint = offsets[i] + aligned(items[i].bytes) <= offsets[j] ||
                     offsets[j] + aligned(items[j].bytes) <= offsets[i];
      cr_assert(disjoint,
                "%s: items %zu [%zu, +%zu) life %zu..%zu and %zu [%zu, +%zu) life %zu..%zu "
                "overlap",
                what, i, offsets[i], items[i].bytes, items[i].first_use, items[i].last_use, j,
                offsets[j], items[j].bytes, items[j].first_use, items[j].last_use);
    }
  }
  cr_assert_leq(arena, sum, "%s: arena %zu > sum of aligned sizes %zu", what, arena, sum);
  for (size_t t = 0; t <= last_step; t++) {
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
      if (items[i].bytes && items[i].first_use <= t && t <= items[i].last_use)
        live += aligned(items[i].bytes);
    cr_assert_geq(arena, live, "%s: arena %zu < %zu bytes alive at step %zu", what, arena, live, t);
  }
}

static size_t plan(const char *what, const plan_item *items, size_t n, size_t *offsets) {
  size_t arena = (size_t)-1;
  cr_assert(plan_arena(items, n, offsets, &arena), "%s: plan_arena failed", what);
  check_plan(what, items, n, offsets, arena);
  return arena;
}

typedef struct {
  const char *name;
  plan_item items[6];
  size_t n;
  size_t arena;      /* exact expected arena */
  size_t offsets[6]; /* exact expected offsets */
} hand_case;

static const hand_case hand_cases[] = {
    {"empty", {{0, 0, 0}}, 0, 0, {0}},
    {"single", {{100, 0, 0}}, 1, 128, {0}},
    /* a -> b -> c: each buffer overlaps only its neighbours; c reuses a's place */
    {"chain", {{100, 0, 1}, {200, 1, 2}, {300, 2, 3}}, 3, 576, {0, 320, 0}},
    /* all alive at step 1: nothing can share */
    {"diamond", {{64, 0, 1}, {128, 1, 2}, {128, 1, 3}, {64, 1, 3}}, 4, 384, {256, 0, 128, 320}},
    {"disjoint lifetimes", {{640, 0, 0}, {64, 1, 1}, {320, 2, 2}}, 3, 640, {0, 0, 0}},
    {"zero-size items", {{0, 0, 5}, {1, 0, 5}, {0, 1, 1}, {65, 0, 5}}, 4, 192, {0, 128, 0, 0}},
    /* the last buffer fits into the hole the dead second one left between two others */
    {"hole reuse",
     {{256, 0, 4}, {256, 0, 1}, {256, 0, 4}, {128, 2, 4}},
     4,
     768,
     {0, 256, 512, 256}},
    {"exact multiples", {{64, 0, 2}, {64, 1, 3}, {64, 2, 4}}, 3, 192, {0, 64, 128}},
};

ParameterizedTestParameters(planner, hand) {
  TU_ROW_PARAMS(hand_cases);
}

ParameterizedTest(size_t *row, planner, hand) {
  const hand_case *c = &hand_cases[*row];
  size_t offsets[6];
  size_t arena = plan(c->name, c->items, c->n, offsets);
  cr_assert_eq(arena, c->arena, "%s: arena %zu, expected %zu", c->name, arena, c->arena);
  for (size_t i = 0; i < c->n; i++)
    cr_assert_eq(offsets[i], c->offsets[i], "%s: item %zu at %zu, expected %zu", c->name, i,
                 offsets[i], c->offsets[i]);
}

Test(planner, random_lifetimes) {
  enum { SETS = 1500, MAX_ITEMS = 40 };
  plan_item items[MAX_ITEMS];
  size_t offsets[MAX_ITEMS], again[MAX_ITEMS];
  uint64_t rng = 12345;
  for (int set = 0; set < SETS; set++) {
    size_t n = tu_rand(&rng) % (MAX_ITEMS + 1);
    size_t steps = 1 + tu_rand(&rng) % 30, max_bytes = 1 + tu_rand(&rng) % 5000;
    for (size_t i = 0; i < n; i++) {
      size_t a = tu_rand(&rng) % steps, b = tu_rand(&rng) % steps;
      items[i].first_use = a < b ? a : b;
      items[i].last_use = a < b ? b : a;
      items[i].bytes = tu_rand(&rng) % 8 == 0 ? 0 : 1 + tu_rand(&rng) % max_bytes;
    }
    char what[64];
    snprintf(what, sizeof what, "random set %d (%zu items)", set, n);
    size_t arena = plan(what, items, n, offsets), arena2 = 0;
    cr_assert(plan_arena(items, n, again, &arena2));
    cr_assert_eq(arena2, arena, "%s: not deterministic", what);
    for (size_t i = 0; i < n; i++)
      cr_assert_eq(again[i], offsets[i], "%s: not deterministic", what);
  }
}

Test(planner, overflow_is_reported) {
  plan_item huge[1] = {{SIZE_MAX - 10, 0, 1}};
  size_t offsets[2], arena = 7;
  cr_assert_not(plan_arena(huge, 1, offsets, &arena), "aligning SIZE_MAX - 10 must overflow");
  plan_item pair[2] = {{SIZE_MAX / 2, 0, 1}, {SIZE_MAX / 2, 0, 1}};
  cr_assert_not(plan_arena(pair, 2, offsets, &arena), "two halves of SIZE_MAX must overflow");
  cr_assert_eq(arena, 7, "arena_bytes must be untouched on failure");
}

typedef struct {
  const char *path;
  size_t batch;
} model_batch;

static const model_batch model_batches[] = {
    {TU_FASHION_JSON, 1}, {TU_FASHION_JSON, 7}, {TU_TUDUI_JSON, 1}, {TU_TUDUI_JSON, 7}};

ParameterizedTestParameters(planner, shipped_models) {
  TU_ROW_PARAMS(model_batches);
}

/* The planner must beat one allocation per tensor, and every node output must lie inside
 * the arena. */
ParameterizedTest(size_t *row, planner, shipped_models) {
  const model_batch *c = &model_batches[*row];
  cnnrt_model *m = tu_load_file(c->path);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create_batch(m, 1, c->batch, &s), CNNRT_OK, "%s batch %zu: %s",
               c->path, c->batch, cnnrt_last_error());
  size_t arena = cnnrt_session_arena_bytes(s), naive = cnnrt_session_naive_bytes(s);
  cr_assert_gt(arena, 0);
  cr_assert_lt(arena, naive, "%s batch %zu: arena %zu is not smaller than naive %zu", c->path,
               c->batch, arena, naive);
  for (size_t i = 0; i < cnnrt_model_node_count(m); i++) {
    size_t offset, bytes;
    cr_assert_eq(cnnrt_session_node_arena(s, i, &offset, &bytes), CNNRT_OK);
    cr_assert_eq(offset % PLANNER_ALIGNMENT, 0);
    cr_assert_leq(offset + bytes, arena, "%s batch %zu: node %zu [%zu, +%zu) outside the arena",
                  c->path, c->batch, i, offset, bytes);
  }
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}
