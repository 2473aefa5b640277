/* Piecewise-linear (and rational) activations: ReLU, ReLU6, Hardtanh, LeakyReLU, Threshold,
 * Hardsigmoid, Hardswish, Softsign. Comparisons are written so that NaN falls through to
 * the NaN-producing branch, as in PyTorch. */
#include <math.h>
#include "ops/attr.h"
#include "ops/elementwise.h"

/* NaN fails both comparisons and comes back unchanged (PyTorch's clamp propagates NaN). */
static inline float clamp(float x, float lo, float hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

static void relu_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

static void relu6_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = clamp(x[i], 0.0f, 6.0f);
}

/* arg: min_val, max_val */
static void hardtanh_map(const void *params, const float *x, float *y, size_t n) {
  const elementwise_params *p = params;
  for (size_t i = 0; i < n; i++) y[i] = clamp(x[i], p->arg[0], p->arg[1]);
}

/* arg: negative_slope */
static void leaky_relu_map(const void *params, const float *x, float *y, size_t n) {
  const elementwise_params *p = params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : x[i] * p->arg[0];
}

/* arg: threshold, value. y = x > threshold ? x : value, with NaN passing through. */
static void threshold_map(const void *params, const float *x, float *y, size_t n) {
  const elementwise_params *p = params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] <= p->arg[0] ? p->arg[1] : x[i];
}

static void hardsigmoid_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = clamp(x[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
}

static void hardswish_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] * clamp(x[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
}

static void softsign_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + fabsf(x[i]));
}

/* Hardtanh also takes the deprecated min_value / max_value, which override min_val /
 * max_val as in PyTorch, and asserts max_val > min_val. */
static cnnrt_status finish_hardtanh(const attr_reader *a, const double *vals, elementwise_params *p,
                                    const err_ctx *e) {
  double lo, hi;
  cnnrt_status st;
  if ((st = attr_number(a, "min_value", vals[0], &lo, e)) ||
      (st = attr_number(a, "max_value", vals[1], &hi, e)))
    return st;
  if (!(hi > lo))
    return err_set(e, CNNRT_ERR_FORMAT,
                   "max_val must be greater than min_val, got min_val=%g, max_val=%g", lo, hi);
  p->arg[0] = (float)lo;
  p->arg[1] = (float)hi;
  return CNNRT_OK;
}

static const elementwise_spec relu_spec = {.fn = relu_map, .inplace = true};
static const elementwise_spec relu6_spec = {.fn = relu6_map, .inplace = true};
static const elementwise_spec hardtanh_spec = {
    .fn = hardtanh_map,
    .inplace = true,
    .numbers = {{"min_val", -1.0, false}, {"max_val", 1.0, false}},
    .finish = finish_hardtanh};
static const elementwise_spec leaky_relu_spec = {
    .fn = leaky_relu_map, .inplace = true, .numbers = {{"negative_slope", 0.01, false}}};
static const elementwise_spec threshold_spec = {
    .fn = threshold_map,
    .inplace = true,
    .numbers = {{"threshold", 0.0, true}, {"value", 0.0, true}}};
static const elementwise_spec hardsigmoid_spec = {.fn = hardsigmoid_map, .inplace = true};
static const elementwise_spec hardswish_spec = {.fn = hardswish_map, .inplace = true};
static const elementwise_spec softsign_spec = {.fn = softsign_map};

ELEMENTWISE_OP(op_relu, "ReLU", relu_spec);
ELEMENTWISE_OP(op_relu6, "ReLU6", relu6_spec);
ELEMENTWISE_OP(op_hardtanh, "Hardtanh", hardtanh_spec);
ELEMENTWISE_OP(op_leaky_relu, "LeakyReLU", leaky_relu_spec);
ELEMENTWISE_OP(op_threshold, "Threshold", threshold_spec);
ELEMENTWISE_OP(op_hardsigmoid, "Hardsigmoid", hardsigmoid_spec);
ELEMENTWISE_OP(op_hardswish, "Hardswish", hardswish_spec);
ELEMENTWISE_OP(op_softsign, "Softsign", softsign_spec);
