/* Smooth (transcendental) activations: Sigmoid, Tanh, ELU, CELU, SELU, GELU, SiLU, Mish,
 * Softplus. float math in PyTorch's formulas; NaN propagates through every branch. */
#include <math.h>
#include <string.h>
#include "ops/attr.h"
#include "ops/elementwise.h"

#define SQRT1_2 0.70710678118654752440f        /* 1/sqrt(2) */
#define SQRT_2_OVER_PI 0.79788456080286535588f /* sqrt(2/pi) */
#define GELU_KAPPA 0.044715f
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

static void sigmoid_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void tanh_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

/* PyTorch's one ELU kernel behind ELU, CELU and SELU.
 * arg: negative coefficient, input scale, positive scale. */
static void elu_map(const void *params, const float *x, float *y, size_t n) {
  const elementwise_params *p = params;
  for (size_t i = 0; i < n; i++)
    y[i] = x[i] <= 0.0f ? expm1f(x[i] * p->arg[1]) * p->arg[0] : x[i] * p->arg[2];
}

static cnnrt_status finish_elu(const attr_reader *a, const double *vals, elementwise_params *p,
                               const err_ctx *e) {
  (void)a, (void)vals, (void)e;
  p->arg[1] = p->arg[2] = 1.0f;
  return CNNRT_OK;
}

/* CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = ELU with input scale 1/alpha. */
static cnnrt_status finish_celu(const attr_reader *a, const double *vals, elementwise_params *p,
                                const err_ctx *e) {
  (void)a;
  if (vals[0] == 0.0) return err_set(e, CNNRT_ERR_FORMAT, "alpha must not be 0 for CELU");
  p->arg[1] = (float)(1.0 / vals[0]);
  p->arg[2] = 1.0f;
  return CNNRT_OK;
}

static cnnrt_status finish_selu(const attr_reader *a, const double *vals, elementwise_params *p,
                                const err_ctx *e) {
  (void)a, (void)vals, (void)e;
  p->arg[0] = (float)(SELU_ALPHA * SELU_SCALE);
  p->arg[1] = 1.0f;
  p->arg[2] = (float)SELU_SCALE;
  return CNNRT_OK;
}

static void gelu_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] * 0.5f * (1.0f + erff(x[i] * SQRT1_2));
}

static void gelu_tanh_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) {
    float inner = SQRT_2_OVER_PI * (x[i] + GELU_KAPPA * x[i] * x[i] * x[i]);
    y[i] = 0.5f * x[i] * (1.0f + tanhf(inner));
  }
}

static cnnrt_status finish_gelu(const attr_reader *a, const double *vals, elementwise_params *p,
                                const err_ctx *e) {
  const char *approximate;
  cnnrt_status st = attr_string(a, "approximate", "none", &approximate, e);
  (void)vals;
  if (st != CNNRT_OK) return st;
  if (strcmp(approximate, "tanh") == 0)
    p->fn = gelu_tanh_map;
  else if (strcmp(approximate, "none") != 0)
    return err_set(e, CNNRT_ERR_FORMAT, "approximate must be \"none\" or \"tanh\", got \"%s\"",
                   approximate);
  return CNNRT_OK;
}

static void silu_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
}

/* x * tanh(softplus(x)); log1p(exp(x)) is inf for large x and tanh(inf) = 1, so no
 * threshold is needed. */
static void mish_map(const void *params, const float *x, float *y, size_t n) {
  (void)params;
  for (size_t i = 0; i < n; i++) y[i] = x[i] * tanhf(log1pf(expf(x[i])));
}

/* arg: beta, threshold. Linear above the threshold, where log1p(exp) would overflow. */
static void softplus_map(const void *params, const float *x, float *y, size_t n) {
  const elementwise_params *p = params;
  for (size_t i = 0; i < n; i++) {
    float bx = x[i] * p->arg[0];
    y[i] = bx > p->arg[1] ? x[i] : log1pf(expf(bx)) / p->arg[0];
  }
}

static const elementwise_spec sigmoid_spec = {.fn = sigmoid_map};
static const elementwise_spec tanh_spec = {.fn = tanh_map};
static const elementwise_spec elu_spec = {
    .fn = elu_map, .inplace = true, .numbers = {{"alpha", 1.0, false}}, .finish = finish_elu};
static const elementwise_spec celu_spec = {
    .fn = elu_map, .inplace = true, .numbers = {{"alpha", 1.0, false}}, .finish = finish_celu};
static const elementwise_spec selu_spec = {.fn = elu_map, .inplace = true, .finish = finish_selu};
static const elementwise_spec gelu_spec = {.fn = gelu_map, .finish = finish_gelu};
static const elementwise_spec silu_spec = {.fn = silu_map, .inplace = true};
static const elementwise_spec mish_spec = {.fn = mish_map, .inplace = true};
static const elementwise_spec softplus_spec = {
    .fn = softplus_map, .numbers = {{"beta", 1.0, false}, {"threshold", 20.0, false}}};

ELEMENTWISE_OP(op_sigmoid, "Sigmoid", sigmoid_spec);
ELEMENTWISE_OP(op_tanh, "Tanh", tanh_spec);
ELEMENTWISE_OP(op_elu, "ELU", elu_spec);
ELEMENTWISE_OP(op_celu, "CELU", celu_spec);
ELEMENTWISE_OP(op_selu, "SELU", selu_spec);
ELEMENTWISE_OP(op_gelu, "GELU", gelu_spec);
ELEMENTWISE_OP(op_silu, "SiLU", silu_spec);
ELEMENTWISE_OP(op_mish, "Mish", mish_spec);
ELEMENTWISE_OP(op_softplus, "Softplus", softplus_spec);
