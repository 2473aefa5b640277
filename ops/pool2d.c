#include "ops/pool2d.h"

#include <inttypes.h>
#include "ops/attr.h"

cnnrt_status pool2d_parse_window(const attr_reader *a, bool with_dilation, window_axis axis[2],
                                 const err_ctx *e) {
  int64_t k[2], s[2], pad[2], d[2] = {1, 1};
  bool ceil_mode;
  cnnrt_status st;
  if ((st = attr_pair(a, "kernel_size", true, 0, 1, k, e)) ||
      (st = attr_pair(a, "stride", false, 0, 1, s, e)) || /* 0 = absent: kernel_size */
      (st = attr_pair(a, "padding", false, 0, 0, pad, e)) ||
      (with_dilation && (st = attr_pair(a, "dilation", false, 1, 1, d, e))) ||
      (st = attr_bool(a, "ceil_mode", false, &ceil_mode, e)))
    return st;
  for (int i = 0; i < 2; i++) {
    if (pad[i] > k[i] / 2)
      return err_set(e, CNNRT_ERR_FORMAT,
                     "padding %" PRId64 " must be at most half of kernel_size %" PRId64, pad[i],
                     k[i]);
    window_axis w = {k[i], s[i] ? s[i] : k[i], d[i], pad[i], pad[i], ceil_mode};
    axis[i] = w;
  }
  return CNNRT_OK;
}

cnnrt_status pool2d_check_input(const shape *in, const err_ctx *e) {
  if (in->rank != 4)
    return err_set(e, CNNRT_ERR_SHAPE, "input must be 4-D [N, C, H, W], got %d-D", in->rank);
  return CNNRT_OK;
}

cnnrt_status pool2d_infer_window(const window_axis axis[2], const shape *in, shape *out,
                                 const err_ctx *e) {
  int64_t oh, ow;
  cnnrt_status st;
  if ((st = pool2d_check_input(in, e)) ||
      (st = window_output_size(&axis[0], (int64_t)in->dim[2], "height", &oh, e)) ||
      (st = window_output_size(&axis[1], (int64_t)in->dim[3], "width", &ow, e)))
    return st;
  *out = shape4(in->dim[0], in->dim[1], (size_t)oh, (size_t)ow);
  return CNNRT_OK;
}

/* Planes [begin, end) of the N*C planes. */
static void pool_planes(void *ctx, size_t begin, size_t end) {
  const pool2d_job *j = ctx;
  if (j->planes) {
    for (size_t plane = begin; plane < end; plane += 8)
      j->planes(j, j->x + plane * (size_t)(j->h * j->w), j->y + plane * (size_t)(j->oh * j->ow),
                end - plane < 8 ? end - plane : 8);
    return;
  }
  for (size_t plane = begin; plane < end; plane++) {
    const float *src = j->x + plane * (size_t)(j->h * j->w);
    float *dst = j->y + plane * (size_t)(j->oh * j->ow);
    if (j->plane) {
      j->plane(j, src, dst);
      continue;
    }
    for (int64_t oy = 0; oy < j->oh; oy++)
      for (int64_t ox = 0; ox < j->ow; ox++) *dst++ = j->window(j, src, oy, ox);
  }
}

/* Splits the N*C planes of in over the pool; exactly one of window / plane / planes is set. */
static void run_planes(const void *params, pool2d_window_fn window, pool2d_plane_fn plane,
                       pool2d_planes_fn planes, const tensor *in, tensor *out, threadpool *tp) {
  const shape *is = &in->shape;
  pool2d_job j = {params,
                  window,
                  plane,
                  planes,
                  in->data,
                  out->data,
                  (int64_t)is->dim[2],
                  (int64_t)is->dim[3],
                  (int64_t)out->shape.dim[2],
                  (int64_t)out->shape.dim[3]};
  threadpool_for(tp, is->dim[0] * is->dim[1], pool_planes, &j);
}

void pool2d_run(const void *params, pool2d_window_fn window, const tensor *in, tensor *out,
                threadpool *tp) {
  run_planes(params, window, NULL, NULL, in, out, tp);
}

void pool2d_run_planes(const void *params, pool2d_plane_fn plane, const tensor *in, tensor *out,
                       threadpool *tp) {
  run_planes(params, NULL, plane, NULL, in, out, tp);
}

void pool2d_run_groups(const void *params, pool2d_planes_fn planes, const tensor *in, tensor *out,
                       threadpool *tp) {
  run_planes(params, NULL, NULL, planes, in, out, tp);
}
