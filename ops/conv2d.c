/* Conv2d: PyTorch's nn.Conv2d with every parameter (stride, padding incl. 'same'/'valid',
 * dilation, groups, bias, padding_mode). Portable kernel: im2col + a row-wise GEMM. */
#include <inttypes.h>
#include <string.h>
#include "ops/affine_fold.h"
#include "ops/attr.h"
#include "ops/window.h"
#include "runtime/checked.h"

typedef enum { PAD_ZEROS, PAD_REFLECT, PAD_REPLICATE, PAD_CIRCULAR } padding_mode;

typedef struct {
  int64_t in_channels, out_channels, groups;
  window_axis axis[2]; /* [0] = height, [1] = width */
  padding_mode mode;
  weight_ref weight, bias;
  bool has_bias;
} conv2d_params;

static cnnrt_status parse_padding_mode(const attr_reader *a, padding_mode *mode, const err_ctx *e) {
  static const char *const names[] = {"zeros", "reflect", "replicate", "circular"};
  const char *s;
  cnnrt_status st = attr_string(a, "padding_mode", "zeros", &s, e);
  if (st != CNNRT_OK) return st;
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) {
      *mode = (padding_mode)i;
      return CNNRT_OK;
    }
  return err_set(e, CNNRT_ERR_FORMAT,
                 "padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', got '%s'", s);
}

/* padding: an int, a pair, 'valid' (no padding) or 'same' (PyTorch's split: the left/top
 * side gets total/2, the right/bottom side the rest; stride must be 1). */
static cnnrt_status parse_padding(const attr_reader *a, conv2d_params *p, const err_ctx *e) {
  if (a->is_string(a, "padding")) {
    const char *s;
    cnnrt_status st = attr_string(a, "padding", "", &s, e);
    if (st != CNNRT_OK) return st;
    bool same = strcmp(s, "same") == 0;
    if (!same && strcmp(s, "valid") != 0)
      return err_set(e, CNNRT_ERR_FORMAT,
                     "padding must be an integer, a pair, 'same' or "
                     "'valid', got '%s'",
                     s);
    for (int i = 0; i < 2; i++) {
      window_axis *w = &p->axis[i];
      if (same && w->stride != 1)
        return err_set(e, CNNRT_ERR_FORMAT,
                       "padding='same' is not supported for strided convolutions (stride %" PRId64
                       ")",
                       w->stride);
      int64_t total = same ? w->dilation * (w->kernel - 1) : 0;
      w->pad_begin = total / 2;
      w->pad_end = total - total / 2;
    }
    return CNNRT_OK;
  }
  int64_t pad[2];
  cnnrt_status st = attr_pair(a, "padding", false, 0, 0, pad, e);
  if (st != CNNRT_OK) return st;
  for (int i = 0; i < 2; i++) p->axis[i].pad_begin = p->axis[i].pad_end = pad[i];
  return CNNRT_OK;
}

static cnnrt_status parse_shape_params(const attr_reader *a, conv2d_params *p, const err_ctx *e) {
  int64_t k[2], s[2], d[2];
  cnnrt_status st;
  if ((st = attr_int_required(a, "in_channels", &p->in_channels, e)) ||
      (st = attr_check_min("in_channels", p->in_channels, 1, e)) ||
      (st = attr_int_required(a, "out_channels", &p->out_channels, e)) ||
      (st = attr_check_min("out_channels", p->out_channels, 1, e)) ||
      (st = attr_pair(a, "kernel_size", true, 0, 1, k, e)) ||
      (st = attr_pair(a, "stride", false, 1, 1, s, e)) ||
      (st = attr_pair(a, "dilation", false, 1, 1, d, e)) ||
      (st = attr_int(a, "groups", 1, &p->groups, e)) ||
      (st = attr_check_min("groups", p->groups, 1, e)))
    return st;
  if (p->in_channels % p->groups != 0)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "in_channels %" PRId64 " must be divisible by groups %" PRId64, p->in_channels,
                   p->groups);
  if (p->out_channels % p->groups != 0)
    return err_set(e, CNNRT_ERR_FORMAT,
                   "out_channels %" PRId64 " must be divisible by groups %" PRId64, p->out_channels,
                   p->groups);
  for (int i = 0; i < 2; i++) {
    p->axis[i].kernel = k[i];
    p->axis[i].stride = s[i];
    p->axis[i].dilation = d[i];
    p->axis[i].ceil_mode = false;
  }
  return parse_padding(a, p, e);
}

static cnnrt_status parse_conv2d(const attr_reader *a, void *params, const err_ctx *e) {
  conv2d_params *p = params;
  cnnrt_status st;
  if ((st = parse_shape_params(a, p, e)) || (st = parse_padding_mode(a, &p->mode, e)) ||
      (st = attr_bool(a, "bias", true, &p->has_bias, e)))
    return st;
  size_t wdims[4] = {(size_t)p->out_channels, (size_t)(p->in_channels / p->groups),
                     (size_t)p->axis[0].kernel, (size_t)p->axis[1].kernel};
  if ((st = attr_weight(a, "weight", wdims, 4, "out_channels, in_channels/groups, kH, kW",
                        &p->weight, e)))
    return st;
  if (!p->has_bias) return attr_weight_absent(a, "bias", "bias is false", e);
  size_t bdims[1] = {(size_t)p->out_channels};
  return attr_weight(a, "bias", bdims, 1, "out_channels", &p->bias, e);
}

/* PyTorch pads with F.pad for non-zero modes: reflect needs pad < size, circular pad <= size. */
static cnnrt_status check_pad_fits(const conv2d_params *p, const shape *in, const err_ctx *e) {
  static const char *const axis_names[2] = {"height", "width"};
  for (int i = 0; i < 2; i++) {
    int64_t size = (int64_t)in->dim[2 + i];
    int64_t pad =
        p->axis[i].pad_begin > p->axis[i].pad_end ? p->axis[i].pad_begin : p->axis[i].pad_end;
    if (p->mode == PAD_REFLECT && pad >= size)
      return err_set(e, CNNRT_ERR_SHAPE,
                     "padding_mode='reflect' needs padding %" PRId64 " < input %s %" PRId64, pad,
                     axis_names[i], size);
    if (p->mode == PAD_CIRCULAR && pad > size)
      return err_set(e, CNNRT_ERR_SHAPE,
                     "padding_mode='circular' needs padding %" PRId64 " <= input %s %" PRId64, pad,
                     axis_names[i], size);
  }
  return CNNRT_OK;
}

/* True when the input itself is the im2col matrix (1x1 kernel, stride 1, no padding). */
static bool is_pointwise(const conv2d_params *p) {
  for (int i = 0; i < 2; i++)
    if (p->axis[i].kernel != 1 || p->axis[i].stride != 1 || p->axis[i].pad_begin ||
        p->axis[i].pad_end)
      return false;
  return true;
}

static cnnrt_status infer_conv2d(const void *params, const shape *in, int n_in, shape *out,
                                 size_t *scratch_bytes, const err_ctx *e) {
  const conv2d_params *p = params;
  int64_t oh, ow;
  cnnrt_status st;
  (void)n_in;
  if (in->rank != 4)
    return err_set(e, CNNRT_ERR_SHAPE, "input must be 4-D [N, C, H, W], got %d-D", in->rank);
  if ((int64_t)in->dim[1] != p->in_channels)
    return err_set(e, CNNRT_ERR_SHAPE, "input has %zu channels, in_channels is %" PRId64,
                   in->dim[1], p->in_channels);
  if ((st = check_pad_fits(p, in, e)) ||
      (st = window_output_size(&p->axis[0], (int64_t)in->dim[2], "height", &oh, e)) ||
      (st = window_output_size(&p->axis[1], (int64_t)in->dim[3], "width", &ow, e)))
    return st;
  *out = shape4(in->dim[0], (size_t)p->out_channels, (size_t)oh, (size_t)ow);
  size_t rows = (size_t)(p->in_channels * p->axis[0].kernel * p->axis[1].kernel), cols, bytes;
  *scratch_bytes = 0;
  if (is_pointwise(p)) return CNNRT_OK;
  if (!mul_size((size_t)oh, (size_t)ow, &cols) || !mul_size(rows, cols, &bytes) ||
      !mul_size(bytes, sizeof(float), &bytes))
    return err_set(e, CNNRT_ERR_MEMORY, "im2col buffer size overflows");
  *scratch_bytes = bytes;
  return CNNRT_OK;
}

static uint64_t macs_conv2d(const void *params, const shape *in, int n_in, const shape *out) {
  const conv2d_params *p = params;
  (void)in, (void)n_in;
  return (uint64_t)shape_numel(out) * (uint64_t)(p->in_channels / p->groups) *
         (uint64_t)(p->axis[0].kernel * p->axis[1].kernel);
}

/* Index into an input axis of length size for padded coordinate i, or -1 for a zero. */
static int64_t source_index(int64_t i, int64_t size, padding_mode mode) {
  if (i >= 0 && i < size) return i;
  switch (mode) {
  case PAD_ZEROS:
    return -1;
  case PAD_REFLECT:
    return i < 0 ? -i : 2 * (size - 1) - i;
  case PAD_REPLICATE:
    return i < 0 ? 0 : size - 1;
  case PAD_CIRCULAR:
    return ((i % size) + size) % size;
  }
  return -1;
}

typedef struct {
  const conv2d_params *p;
  const float *image; /* one sample [C, H, W] */
  float *columns;     /* [C*kH*kW, OH*OW] */
  float *result;      /* one sample [OC, OH, OW] */
  int64_t h, w, oh, ow;
} conv_job;

/* Builds rows [begin, end) of the im2col matrix; row = (channel, ki, kj). */
static void im2col_rows(void *ctx, size_t begin, size_t end) {
  const conv_job *j = ctx;
  const window_axis *ah = &j->p->axis[0], *aw = &j->p->axis[1];
  for (size_t row = begin; row < end; row++) {
    int64_t kj = (int64_t)row % aw->kernel, ki = (int64_t)row / aw->kernel % ah->kernel;
    int64_t c = (int64_t)row / (aw->kernel * ah->kernel);
    const float *plane = j->image + c * j->h * j->w;
    float *dst = j->columns + row * (size_t)(j->oh * j->ow);
    for (int64_t y = 0; y < j->oh; y++) {
      int64_t sy =
          source_index(y * ah->stride - ah->pad_begin + ki * ah->dilation, j->h, j->p->mode);
      for (int64_t x = 0; x < j->ow; x++) {
        int64_t sx =
            source_index(x * aw->stride - aw->pad_begin + kj * aw->dilation, j->w, j->p->mode);
        *dst++ = (sy < 0 || sx < 0) ? 0.0f : plane[sy * j->w + sx];
      }
    }
  }
}

/* Output channels [begin, end): result[oc] = bias[oc] + weight[oc] . columns[group rows]. */
static void gemm_channels(void *ctx, size_t begin, size_t end) {
  const conv_job *j = ctx;
  const conv2d_params *p = j->p;
  size_t pixels = (size_t)(j->oh * j->ow);
  size_t k = (size_t)(p->in_channels / p->groups * p->axis[0].kernel * p->axis[1].kernel);
  size_t per_group = (size_t)(p->out_channels / p->groups);
  for (size_t oc = begin; oc < end; oc++) {
    const float *wrow = p->weight.data + oc * k;
    const float *cols = j->columns + oc / per_group * k * pixels;
    float *dst = j->result + oc * pixels;
    float b = p->has_bias ? p->bias.data[oc] : 0.0f;
    for (size_t i = 0; i < pixels; i++) dst[i] = b;
    for (size_t r = 0; r < k; r++) {
      float wv = wrow[r];
      const float *src = cols + r * pixels;
      for (size_t i = 0; i < pixels; i++) dst[i] += wv * src[i];
    }
  }
}

static void run_conv2d(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                       threadpool *tp) {
  const conv2d_params *p = params;
  const shape *is = &in[0].shape, *os = &out->shape;
  conv_job j = {p,
                NULL,
                scratch,
                NULL,
                (int64_t)is->dim[2],
                (int64_t)is->dim[3],
                (int64_t)os->dim[2],
                (int64_t)os->dim[3]};
  size_t in_sample = is->dim[1] * is->dim[2] * is->dim[3];
  size_t out_sample = os->dim[1] * os->dim[2] * os->dim[3];
  size_t rows = (size_t)(p->in_channels * p->axis[0].kernel * p->axis[1].kernel);
  (void)n_in;
  for (size_t n = 0; n < is->dim[0]; n++) {
    j.image = in[0].data + n * in_sample;
    j.result = out->data + n * out_sample;
    if (is_pointwise(p))
      j.columns = (float *)j.image;
    else
      threadpool_for(tp, rows, im2col_rows, &j);
    threadpool_for(tp, (size_t)p->out_channels, gemm_channels, &j);
  }
}

const op_def op_conv2d = {
    "Conv2d", 1, 1, sizeof(conv2d_params), 0, parse_conv2d, infer_conv2d, macs_conv2d, run_conv2d};

size_t conv2d_weight_count(const void *params) {
  return shape_numel(&((const conv2d_params *)params)->weight.shape);
}

size_t conv2d_out_channels(const void *params) {
  return (size_t)((const conv2d_params *)params)->out_channels;
}

void conv2d_absorb_affine(void *params, const float *scale, const float *shift, float *new_weight,
                          float *new_bias) {
  conv2d_params *p = params;
  size_t per_channel = conv2d_weight_count(p) / (size_t)p->out_channels;
  for (size_t oc = 0; oc < (size_t)p->out_channels; oc++) {
    for (size_t i = 0; i < per_channel; i++)
      new_weight[oc * per_channel + i] = p->weight.data[oc * per_channel + i] * scale[oc];
    new_bias[oc] = (p->has_bias ? p->bias.data[oc] : 0.0f) * scale[oc] + shift[oc];
  }
  p->weight.data = new_weight;
  p->bias.data = new_bias;
  p->bias.shape.rank = 1;
  p->bias.shape.dim[0] = (size_t)p->out_channels;
  p->has_bias = true;
}
