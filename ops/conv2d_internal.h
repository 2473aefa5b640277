/* Conv2d internals shared by its parameter code (conv2d.c) and kernels (conv2d_run.c). */
#ifndef CNNRT_OPS_CONV2D_INTERNAL_H
#define CNNRT_OPS_CONV2D_INTERNAL_H

#include "ops/gemm.h"
#include "ops/op.h"
#include "ops/window.h"

typedef enum { PAD_ZEROS, PAD_REFLECT, PAD_REPLICATE, PAD_CIRCULAR } padding_mode;

/* How a conv runs (chosen at load by conv2d_choose_path):
 * - CONV_GEMM: cache-blocked GEMM of the weights packed at load x im2col panels read in
 *   place from, or packed per k block from, a padded band of input rows (conv2d_gemm.c);
 * - CONV_WINOGRAD: for 3x3 / 5x5 stride-1 undilated ungrouped zero-padded convs with enough
 *   channels, one of the wino_variant below: 16, 36 or 64 GEMMs on transformed 4x4, 6x6
 *   or 8x8 tiles, weights transformed and packed at load;
 * - CONV_DEPTHWISE: one input channel per group with zero padding: bands of output rows
 *   from zero-padded copies of the input rows in a small stack buffer, or (small planes,
 *   stride 2) 8 channels per vector in a per-thread scratch;
 * - CONV_DIRECT: per group im2col + row-wise products, for the other convs with too few
 *   output channels per group to fill the micro-kernel. Also the reference in tests. */
typedef enum { CONV_GEMM, CONV_WINOGRAD, CONV_DEPTHWISE, CONV_DIRECT } conv_path;

/* Winograd F(output tile, kernel) variants: 4x4 input tiles for F(2x2, 3x3), 6x6 for
 * F(4x4, 3x3) and F(2x2, 5x5), 8x8 for F(6x6, 3x3) and F(4x4, 5x5). */
typedef enum { WINO_F4_3, WINO_F2_5, WINO_F6_3, WINO_F4_5, WINO_F2_3 } wino_variant;

typedef struct {
  int64_t in_channels, out_channels, groups;
  window_axis axis[2]; /* [0] = height, [1] = width */
  padding_mode mode;
  weight_ref weight, bias;
  /* NULL, or a folded BatchNorm's per-output-channel factor of the weights (applied when
   * they are packed; the kernels that read weight directly get a scaled copy) */
  const float *weight_scale;
  bool has_bias;
  conv_path path;
  wino_variant wino; /* CONV_WINOGRAD: the variant (chosen with the path) */
  /* CONV_GEMM: per group, the group's weights packed for the micro-kernel; CONV_WINOGRAD:
   * the 16, 36 or 64 transformed weight matrices, each packed; NULL for CONV_DIRECT */
  float *packed;
  /* CONV_GEMM, not pointwise: the band offset of each im2col row (conv_gemm_offsets) */
  uint32_t *im2col_offsets;
  gemm_epilogue epilogue; /* bias and fused clamp */
} conv2d_params;

/* Rows of the im2col matrix of one group: in_channels/groups * kH * kW. */
size_t conv2d_group_k(const conv2d_params *p);

/* Picks p->path from the parameters and the output size oh x ow (0 x 0: not known yet;
 * CNNRT_CONV_PATH=gemm|direct|winograd in the environment forces a path where it is
 * valid, CNNRT_WINOGRAD_TILE=2|4|6 the Winograd variant's output tile where the kernel
 * allows it: for tests and benchmarks). */
void conv2d_choose_path(conv2d_params *p, size_t oh, size_t ow);

/* Packs p->weight into p->packed (conv2d_packed_floats(p) floats, caller-owned; 0 for
 * CONV_DIRECT, which reads the weights as they are). */
size_t conv2d_packed_floats(const conv2d_params *p);
void conv2d_pack_weights(conv2d_params *p, float *packed);

/* Scratch bytes per worker thread for output size oh x ow (the op declares
 * OP_SCRATCH_PER_THREAD); false on overflow. */
bool conv2d_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes);

/* True when the input itself is the im2col matrix (1x1 kernel, stride 1, no padding). */
bool conv2d_is_pointwise(const conv2d_params *p);

/* Index into an input axis of length size for padded coordinate i (the padding mode's
 * rule), or -1 for a zero. */
int64_t conv2d_source_index(int64_t i, int64_t size, padding_mode mode);

/* The GEMM path (conv2d_gemm.c): per-thread scratch floats, and the run. */
bool conv_gemm_scratch_floats(const conv2d_params *p, size_t oh, size_t ow, size_t *floats);
/* The band offsets of the im2col rows for an oh x ow output (conv2d_group_k(p) of them), or
 * 0 when the conv reads its input in place (pointwise), computed once at load. */
size_t conv_gemm_offset_count(const conv2d_params *p);
void conv_gemm_offsets(const conv2d_params *p, size_t oh, size_t ow, uint32_t *offs);
void conv_gemm_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                   size_t slot_bytes, threadpool *tp);

/* The Winograd path (conv2d_winograd.c), for kernels 3x3 and 5x5: input and output tile
 * sides of p->wino. */
size_t winograd_tile_in(wino_variant v);
size_t winograd_tile_out(wino_variant v);
size_t winograd_packed_floats(const conv2d_params *p);
/* The transformed weights of output channel panels [first, end) of winograd_pack_panels(p)
 * (GEMM_MR channels each) into packed (winograd_packed_floats(p) floats): with AVX2 when the
 * GEMM uses it, else portable C, the same bits either way. */
size_t winograd_pack_panels(const conv2d_params *p);
void winograd_pack_weights(const conv2d_params *p, float *packed, size_t first, size_t end);
bool winograd_scratch_bytes(const conv2d_params *p, size_t oh, size_t ow, size_t *bytes);
void winograd_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                  size_t slot_bytes, threadpool *tp);

/* The depthwise path (conv2d_depthwise.c); its scratch is the small-plane kernel's
 * (depthwise_small_floats per thread, or none). Uses the AVX2 + FMA kernels
 * (conv2d_depthwise_avx2.c) exactly when the GEMM does (gemm_kernel_name() is not
 * "portable": CPU support, CNNRT_PORTABLE=1 and gemm_force_portable switch both). */
void depthwise_run(const conv2d_params *p, const tensor *in, tensor *out, void *scratch,
                   size_t slot_bytes, threadpool *tp);

/* A block of input rows of one plane, zero padded, in a buffer: block row r is input row
 * iy0 + r (zeros outside the input), row_stride floats per row. Each row is stored as its
 * sw stride phases, phase_stride floats apart: phase p, index i holds input column
 * c0 + p + i * sw (zero outside the row), so that output column x reads, for kernel column
 * kj, phase (kj * dw) % sw at index x + (kj * dw) / sw: contiguous loads at any stride. */
typedef struct {
  const float *plane; /* the input plane, h x w */
  int64_t h, w;
  int64_t iy0, c0, rows; /* input row and column of block row 0, phase 0, index 0; rows */
  int64_t len;           /* floats written per phase row, a multiple of 8 */
  int64_t sw, row_stride, phase_stride;
  float *buf; /* 32-byte aligned, as are both strides */
} dw_block;

/* Output rows [0, nrows) x columns [0, ncols) of one plane from a dw_block holding the
 * input rows they read (output row y reads block rows y * sh + ki * dh), each
 * out = clamp(bias + sum of weight * input in (kj, ki) order, min, max). Phase rows must be
 * readable (and initialised) up to index ncols rounded up to 8 plus (kw - 1) * dw / sw. */
typedef struct {
  const float *in; /* block row 0, phase 0 */
  int64_t row_stride, phase_stride;
  const float *weights; /* kh x kw */
  float bias, min, max;
  float *out; /* output row 0, column 0 */
  int64_t out_stride, ncols;
  int nrows, kh, kw, sh, sw, dh, dw;
} dw_band;

typedef void (*dw_load_fn)(const dw_block *b);
typedef void (*dw_band_fn)(const dw_band *b);

#if (defined(__x86_64__) || defined(__i386__)) && !defined(CNNRT_GENERIC_CPU)
#define CNNRT_HAVE_DW_AVX2 1
/* The AVX2 + FMA kernel for b's geometry (kh, kw, sh, sw, dh, dw), or NULL. */
dw_band_fn depthwise_avx2_kernel(const dw_band *b);
/* Loads a block at stride sw 1 or 2 (columns below 2^29, sw * len at most
 * DW_AVX2_ROW_FLOATS). */
#define DW_AVX2_ROW_FLOATS 1024
void depthwise_load_avx2(const dw_block *b);

/* The small-plane kernel (conv2d_depthwise_small_avx2.c), 8 channels per vector: see
 * depthwise_small_floats for the layers it takes. */
typedef struct {
  const float *input;   /* [N, c, h, w] */
  float *output;        /* [N, c, oh, ow] */
  const float *weights; /* c x k x k */
  const float *bias;    /* c values, or NULL */
  float min, max;       /* fused clamp */
  int64_t c, h, w, oh, ow;
  int64_t k, s, pad_h, pad_w; /* pad_*: the padding before the first row / column */
  int64_t band_rows;          /* output rows per band (the last may have fewer) */
  int64_t buf_rows, buf_cols; /* a band's input region: (band_rows - 1) * s + k, (ow - 1) * s + k */
  char *scratch;              /* one slot of slot_bytes per worker */
  size_t slot_bytes;
} dw_small;
/* Tasks [begin, end) of N * ceil(c / 8) groups x ceil(oh / band_rows) bands: task t is
 * band t % bands of group g = t / bands, which is sample g / ceil(c / 8), channels from
 * 8 * (g % ceil(c / 8)), up to 8. */
void depthwise_small_avx2(const dw_small *d, int worker, size_t begin, size_t end);
#endif

/* Whether a depthwise layer with an oh x ow output suits the small-plane kernel, and the
 * floats of its per-thread scratch (a band's input region and outputs, 8 floats per pixel,
 * 32-byte aligned). It takes one channel per group, square 3x3 or 5x5 kernels at stride 1
 * or 2, no dilation, in bands of output rows of at most DW_SMALL_MAX_PIXELS pixels whose
 * padded input region is at most DW_SMALL_MAX_FLOATS: the whole plane in one band at
 * stride 1, any number of bands at stride 2. Decided on the geometry only, so that prepare
 * sizes the scratch for whichever kernel runs. */
#define DW_SMALL_MAX_PIXELS 1024
#define DW_SMALL_MAX_FLOATS 32768
bool depthwise_small_floats(const conv2d_params *p, size_t oh, size_t ow, size_t *floats);

/* Keeps small planes on the column kernels (tests compare the two); returns the previous
 * setting. */
bool depthwise_force_column_kernel(bool on);

void conv2d_run(const void *params, const tensor *in, int n_in, tensor *out, void *scratch,
                threadpool *tp);

#endif
