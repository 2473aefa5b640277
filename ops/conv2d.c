/* Conv2d: PyTorch's nn.Conv2d with every parameter (stride, padding incl. 'same'/'valid',
 * dilation, groups, bias, padding_mode): parameters, shapes and load-time weight packing.
 * The kernels are in conv2d_run.c. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/fusion.h"
#include "ops/attr.h"
#include "ops/conv2d_internal.h"
#include "runtime/checked.h"
#include "runtime/limits.h"

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
  size_t bdims[1] = {(size_t)p->out_channels};
  if ((st = p->has_bias ? attr_weight(a, "bias", bdims, 1, "out_channels", &p->bias, e)
                        : attr_weight_absent(a, "bias", "bias is false", e)))
    return st;
  p->epilogue.bias = p->has_bias ? p->bias.data : NULL;
  p->epilogue.min = -INFINITY;
  p->epilogue.max = INFINITY;
  conv2d_choose_path(p, 0, 0); /* provisional until prepare knows the output size */
  return CNNRT_OK;
}

static const char *path_name(conv_path path) {
  static const char *const names[] = {"gemm", "winograd", "depthwise", "direct"};
  return names[path];
}

static const char *kernel_conv2d(const void *params) {
  return path_name(((const conv2d_params *)params)->path);
}

/* The scratch of the chosen kernel would not fit a size_t (or, for the GEMM path, its band
 * of input rows would pass 2^32 floats): an error naming the buffer and the fields that
 * make it so large. */
static cnnrt_status scratch_error(const conv2d_params *p, int64_t oh, int64_t ow,
                                  const err_ctx *e) {
  static const char *const buffers[] = {"im2col", "Winograd tile", "depthwise", "im2col"};
  return err_set(e, CNNRT_ERR_MEMORY,
                 "%s buffer size overflows for a %" PRId64 "x%" PRId64 " output (%s kernel; "
                 "in_channels %" PRId64 ", kernel_size %" PRId64 "x%" PRId64 ", dilation %" PRId64
                 "x%" PRId64 ", padding %" PRId64 "x%" PRId64 ")",
                 buffers[p->path], oh, ow, path_name(p->path), p->in_channels, p->axis[0].kernel,
                 p->axis[1].kernel, p->axis[0].dilation, p->axis[1].dilation, p->axis[0].pad_begin,
                 p->axis[1].pad_begin);
}

/* scaled = weight * weight_scale[out channel], as a folded BatchNorm asks. */
static void scale_weights(const conv2d_params *p, float *scaled) {
  size_t per_channel = shape_numel(&p->weight.shape) / (size_t)p->out_channels;
  for (size_t oc = 0; oc < (size_t)p->out_channels; oc++)
    for (size_t i = 0; i < per_channel; i++)
      scaled[oc * per_channel + i] = p->weight.data[oc * per_channel + i] * p->weight_scale[oc];
}

/* The kernel for the output size, and its packed weights (after BatchNorm folding). */
static cnnrt_status prepare_conv2d(void *params, const shape *in, int n_in,
                                   const weight_allocator *w, const err_ctx *e) {
  conv2d_params *p = params;
  int64_t oh, ow;
  size_t scratch;
  cnnrt_status st;
  (void)n_in;
  if ((st = window_output_size(&p->axis[0], (int64_t)in->dim[2], "height", &oh, e)) ||
      (st = window_output_size(&p->axis[1], (int64_t)in->dim[3], "width", &ow, e)))
    return st;
  conv2d_choose_path(p, (size_t)oh, (size_t)ow);
  /* inference sized the scratch of the provisional kernel; check the one chosen now */
  if (!conv2d_scratch_bytes(p, (size_t)oh, (size_t)ow, &scratch))
    return scratch_error(p, oh, ow, e);
  size_t count = shape_numel(&p->weight.shape);
  if (!conv2d_packed_floats(p)) { /* the kernel reads the weights as they are */
    if (!p->weight_scale) return CNNRT_OK;
    float *scaled = w->alloc_floats(w->owner, count);
    if (!scaled) return err_set(e, CNNRT_ERR_MEMORY, "out of memory scaling the weights");
    scale_weights(p, scaled);
    p->weight.data = scaled;
    p->weight_scale = NULL;
    return CNNRT_OK;
  }
  /* packed (Winograd: transformed) weights can be up to 7.1x the plain ones: the tensor
   * limit bounds them like any tensor a file makes cnnrt allocate */
  if ((st = limit_check(CNNRT_LIMIT_TENSOR_BYTES, (uint64_t)conv2d_packed_floats(p) * 4, e,
                        "packed weights (%s kernel)", path_name(p->path))))
    return st;
  float *packed = w->alloc_floats(w->owner, conv2d_packed_floats(p));
  if (!packed) return err_set(e, CNNRT_ERR_MEMORY, "out of memory packing the weights");
  conv2d_pack_weights(p, packed); /* the packers apply weight_scale themselves */
  size_t offsets = p->path == CONV_GEMM ? conv_gemm_offset_count(p) : 0;
  if (offsets) { /* floats and uint32_t have one size: the allocator's buffer holds them */
    float *buffer = w->alloc_floats(w->owner, offsets);
    if (!buffer) return err_set(e, CNNRT_ERR_MEMORY, "out of memory for the im2col offsets");
    p->im2col_offsets = (uint32_t *)(void *)buffer;
    conv_gemm_offsets(p, (size_t)oh, (size_t)ow, p->im2col_offsets);
  }
  return CNNRT_OK;
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
  if (!conv2d_scratch_bytes(p, (size_t)oh, (size_t)ow, scratch_bytes))
    return scratch_error(p, oh, ow, e);
  return CNNRT_OK;
}

static uint64_t macs_conv2d(const void *params, const shape *in, int n_in, const shape *out) {
  const conv2d_params *p = params;
  (void)in, (void)n_in;
  return (uint64_t)shape_numel(out) * (uint64_t)(p->in_channels / p->groups) *
         (uint64_t)(p->axis[0].kernel * p->axis[1].kernel);
}

const op_def op_conv2d = {.name = "Conv2d",
                          .min_inputs = 1,
                          .max_inputs = 1,
                          .params_size = sizeof(conv2d_params),
                          .flags = OP_SCRATCH_PER_THREAD,
                          .parse = parse_conv2d,
                          .infer = infer_conv2d,
                          .prepare = prepare_conv2d,
                          .kernel = kernel_conv2d,
                          .macs = macs_conv2d,
                          .run = conv2d_run};

size_t conv2d_out_channels(const void *params) {
  return (size_t)((const conv2d_params *)params)->out_channels;
}

void conv2d_absorb_affine(void *params, const float *scale, const float *shift, float *new_scale,
                          float *new_bias) {
  conv2d_params *p = params;
  for (size_t oc = 0; oc < (size_t)p->out_channels; oc++) {
    /* a second BatchNorm in a row scales the first one's scale */
    new_scale[oc] = p->weight_scale ? p->weight_scale[oc] * scale[oc] : scale[oc];
    new_bias[oc] = (p->has_bias ? p->bias.data[oc] : 0.0f) * scale[oc] + shift[oc];
  }
  p->weight_scale = new_scale;
  p->bias.data = new_bias;
  p->bias.shape.rank = 1;
  p->bias.shape.dim[0] = (size_t)p->out_channels;
  p->has_bias = true;
  p->epilogue.bias = new_bias;
}

void conv2d_absorb_clamp(void *params, float min, float max) {
  conv2d_params *p = params;
  if (min > p->epilogue.min) p->epilogue.min = min;
  if (max < p->epilogue.max) p->epilogue.max = max;
}
