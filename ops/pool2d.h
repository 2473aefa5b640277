/* What the 2-D pooling ops share: parsing of the sliding-window parameters, the 4-D input
 * check and the loop over the N*C planes (parallel over planes, so every thread count gives
 * bit-identical results). The adaptive pools supply the function that computes one
 * output; MaxPool2d and AvgPool2d call the row kernels of ops/pool2d_rows.c. */
#ifndef CNNRT_OPS_POOL2D_H
#define CNNRT_OPS_POOL2D_H

#include "ops/op.h"
#include "ops/window.h"

typedef struct pool2d_job pool2d_job;

/* One output value at (oy, ox) from one input plane of j->h x j->w floats. */
typedef float (*pool2d_window_fn)(const pool2d_job *j, const float *plane, int64_t oy, int64_t ox);

/* A whole output plane (j->oh x j->ow) from one input plane, for ops with a faster
 * plane-at-a-time kernel. */
typedef void (*pool2d_plane_fn)(const pool2d_job *j, const float *plane, float *out);

/* Output planes of n (1..8) consecutive planes at once (plane i at src + i * j->h * j->w, its
 * output at dst + i * j->oh * j->ow), for ops that keep planes in separate lanes; each
 * plane's values must not depend on n. */
typedef void (*pool2d_planes_fn)(const pool2d_job *j, const float *src, float *dst, size_t n);

struct pool2d_job {
  const void *params; /* the op's parameters */
  pool2d_window_fn window;
  pool2d_plane_fn plane;   /* used instead of window when set */
  pool2d_planes_fn planes; /* used instead of both when set */
  const float *x;
  float *y;
  int64_t h, w, oh, ow;
};

/* kernel_size (required), stride (absent or null = kernel_size), padding (at most half the
 * kernel, as PyTorch checks), ceil_mode, and dilation when with_dilation (else it is 1 and
 * the key is not read, so the loader reports it as unknown). */
cnnrt_status pool2d_parse_window(const attr_reader *a, bool with_dilation, window_axis axis[2],
                                 const err_ctx *e);

/* Fails unless in is [N, C, H, W]. */
cnnrt_status pool2d_check_input(const shape *in, const err_ctx *e);

/* Output shape of a sliding-window pooling of in. */
cnnrt_status pool2d_infer_window(const window_axis axis[2], const shape *in, shape *out,
                                 const err_ctx *e);

/* Runs window for every output of every plane of in[0] into out. */
void pool2d_run(const void *params, pool2d_window_fn window, const tensor *in, tensor *out,
                threadpool *tp);

/* Runs plane for every plane of in[0] into out. */
void pool2d_run_planes(const void *params, pool2d_plane_fn plane, const tensor *in, tensor *out,
                       threadpool *tp);

/* Runs planes for every 8 planes of a thread's share of in[0], then for the rest. */
void pool2d_run_groups(const void *params, pool2d_planes_fn planes, const tensor *in, tensor *out,
                       threadpool *tp);

/* MaxPool2d of in into out (ops/pool2d_rows.c): -inf padding, NaN propagates. */
void pool2d_max(const window_axis axis[2], const tensor *in, tensor *out, threadpool *tp);

/* AvgPool2d of in into out (ops/pool2d_rows.c; dilation 1); divisor is divisor_override,
 * 0 for none. */
void pool2d_avg(const window_axis axis[2], bool count_include_pad, int64_t divisor,
                const tensor *in, tensor *out, threadpool *tp);

#endif
