/* BatchNorm2d in eval mode: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
 * per channel; with track_running_stats=false, PyTorch normalises with the batch's own
 * statistics even in eval mode, and so does this op. Usually folded into the conv before
 * it at load (runtime/fold.c), which leaves this kernel for the other cases. */
#include <inttypes.h>
#include <math.h>
#include "ops/fusion.h"
#include "ops/attr.h"
#include "ops/elementwise.h"

typedef struct {
  int64_t channels;
  double eps;
  bool affine, track_running_stats;
  weight_ref weight, bias, running_mean, running_var;
} batchnorm2d_params;

static cnnrt_status parse_weights(const attr_reader *a, batchnorm2d_params *p, const err_ctx *e) {
  size_t dims[1] = {(size_t)p->channels};
  cnnrt_status st;
  if (p->affine) {
    if ((st = attr_weight(a, "weight", dims, 1, "num_features", &p->weight, e)) ||
        (st = attr_weight(a, "bias", dims, 1, "num_features", &p->bias, e)))
      return st;
  } else if ((st = attr_weight_absent(a, "weight", "affine is false", e)) ||
             (st = attr_weight_absent(a, "bias", "affine is false", e)))
    return st;
  if (!p->track_running_stats) {
    if ((st = attr_weight_absent(a, "running_mean", "track_running_stats is false", e))) return st;
    return attr_weight_absent(a, "running_var", "track_running_stats is false", e);
  }
  if ((st = attr_weight(a, "running_mean", dims, 1, "num_features", &p->running_mean, e)) ||
      (st = attr_weight(a, "running_var", dims, 1, "num_features", &p->running_var, e)))
    return st;
  for (int64_t c = 0; c < p->channels; c++)
    if (!(p->running_var.data[c] >= 0))
      return err_set(e, CNNRT_ERR_FORMAT, "running_var[%" PRId64 "] is negative or NaN", c);
  return CNNRT_OK;
}

static cnnrt_status parse_batchnorm2d(const attr_reader *a, void *params, const err_ctx *e) {
  batchnorm2d_params *p = params;
  double momentum;
  cnnrt_status st;
  if ((st = attr_int_required(a, "num_features", &p->channels, e)) ||
      (st = attr_check_min("num_features", p->channels, 1, e)) ||
      (st = attr_number(a, "eps", 1e-5, &p->eps, e)) ||
      (st = attr_number(a, "momentum", 0.1, &momentum, e)) || /* training only */
      (st = attr_bool(a, "affine", true, &p->affine, e)) ||
      (st = attr_bool(a, "track_running_stats", true, &p->track_running_stats, e)))
    return st;
  if (!(p->eps > 0)) return err_set(e, CNNRT_ERR_FORMAT, "eps must be positive, got %g", p->eps);
  return parse_weights(a, p, e);
}

static cnnrt_status infer_batchnorm2d(const void *params, const shape *in, int n_in, shape *out,
                                      size_t *scratch_bytes, const err_ctx *e) {
  const batchnorm2d_params *p = params;
  if (in->rank != 4)
    return err_set(e, CNNRT_ERR_SHAPE, "input must be 4-D [N, C, H, W], got %d-D", in->rank);
  if ((int64_t)in->dim[1] != p->channels)
    return err_set(e, CNNRT_ERR_SHAPE, "input has %zu channels, num_features is %" PRId64,
                   in->dim[1], p->channels);
  return elementwise_infer(params, in, n_in, out, scratch_bytes, e);
}

/* scale/shift of channel c from running statistics, as PyTorch's CPU kernel computes. */
static void channel_affine(const batchnorm2d_params *p, size_t c, float mean, float var,
                           float *scale, float *shift) {
  float invstd = 1.0f / sqrtf(var + (float)p->eps);
  float w = p->affine ? p->weight.data[c] : 1.0f, b = p->affine ? p->bias.data[c] : 0.0f;
  *scale = invstd * w;
  *shift = b - mean * *scale;
}

bool batchnorm2d_affine(const void *params, size_t *channels, float *scale, float *shift) {
  const batchnorm2d_params *p = params;
  if (!p->track_running_stats) return false;
  *channels = (size_t)p->channels;
  for (size_t c = 0; c < *channels; c++)
    channel_affine(p, c, p->running_mean.data[c], p->running_var.data[c], &scale[c], &shift[c]);
  return true;
}

size_t batchnorm2d_channels(const void *params) {
  return (size_t)((const batchnorm2d_params *)params)->channels;
}

typedef struct {
  const batchnorm2d_params *p;
  const tensor *in;
  tensor *out;
} bn_job;

/* Batch statistics of channel c over N, H, W (biased variance, as PyTorch normalises). */
static void batch_stats(const bn_job *j, size_t c, float *mean, float *var) {
  const shape *s = &j->in->shape;
  size_t plane = s->dim[2] * s->dim[3], count = s->dim[0] * plane;
  double sum = 0, sq = 0;
  for (size_t n = 0; n < s->dim[0]; n++) {
    const float *x = j->in->data + (n * s->dim[1] + c) * plane;
    for (size_t i = 0; i < plane; i++) sum += x[i];
  }
  double m = sum / (double)count;
  for (size_t n = 0; n < s->dim[0]; n++) {
    const float *x = j->in->data + (n * s->dim[1] + c) * plane;
    for (size_t i = 0; i < plane; i++) sq += ((double)x[i] - m) * ((double)x[i] - m);
  }
  *mean = (float)m;
  *var = (float)(sq / (double)count);
}

/* Channels [begin, end): every plane of the channel in every sample. */
static void normalise_channels(void *ctx, size_t begin, size_t end) {
  const bn_job *j = ctx;
  const shape *s = &j->in->shape;
  size_t plane = s->dim[2] * s->dim[3];
  for (size_t c = begin; c < end; c++) {
    float mean, var, scale, shift;
    if (j->p->track_running_stats)
      mean = j->p->running_mean.data[c], var = j->p->running_var.data[c];
    else
      batch_stats(j, c, &mean, &var);
    channel_affine(j->p, c, mean, var, &scale, &shift);
    for (size_t n = 0; n < s->dim[0]; n++) {
      size_t at = (n * s->dim[1] + c) * plane;
      for (size_t i = 0; i < plane; i++) j->out->data[at + i] = j->in->data[at + i] * scale + shift;
    }
  }
}

static void run_batchnorm2d(const void *params, const tensor *in, int n_in, tensor *out,
                            void *scratch, threadpool *tp) {
  bn_job j = {params, &in[0], out};
  (void)n_in, (void)scratch;
  threadpool_for(tp, in[0].shape.dim[1], normalise_channels, &j);
}

const op_def op_batchnorm2d = {.name = "BatchNorm2d",
                               .min_inputs = 1,
                               .max_inputs = 1,
                               .params_size = sizeof(batchnorm2d_params),
                               .flags = OP_ELEMENTWISE,
                               .parse = parse_batchnorm2d,
                               .infer = infer_batchnorm2d,
                               .run = run_batchnorm2d};
