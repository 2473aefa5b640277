/* Every image a user would reasonably have: PNG of every colour type and bit depth (exact
 * pixels), JPEG baseline / progressive / gray / CMYK (Adobe and plain) / YCCK / every
 * TurboJPEG subsampling (within JPEG's error), 1x1, thin and large images, upper-case and
 * misleading file names. The small files are tests/images/ (tests/make_test_images.py);
 * the pixel formulas below are that script's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <turbojpeg.h>
#include "tests/test_util.h"

#define IMAGES TU_SOURCE("tests/images/")

/* ---- the formulas of tests/make_test_images.py ---------------------------------------- */
static void rgb_at(int x, int y, int out[3]) {
  out[0] = (x * 37 + y * 11) & 255;
  out[1] = (x * 5 + y * 71 + 13) & 255;
  out[2] = (x * x + y * 3) & 255;
}
static int gray_at(int x, int y) {
  return (x * 29 + y * 53) & 255;
}
static int small_at(int x, int y, int depth) {
  return (x * 3 + y * 5) % (1 << depth);
}
static void palette_colour(int i, int out[3]) {
  out[0] = (i * 53 + 7) & 255;
  out[1] = (i * 91 + 11) & 255;
  out[2] = (i * 17 + 200) & 255;
}
static int palette_index(int x, int y, int depth) {
  return (x * 7 + y * 3) % (1 << depth);
}
static void smooth_at(int x, int y, int w, int h, int out[3]) {
  double fx = w > 1 ? (double)x / (w - 1) : 0.5, fy = h > 1 ? (double)y / (h - 1) : 0.5;
  out[0] = (int)lround(255 * fx);
  out[1] = (int)lround(255 * fy);
  out[2] = (int)lround(255 * (1 - fx) * (1 - fy));
}

/* A model taking [1, C, H, W] images with scale 1 and no normalisation: the input is the
 * pixels themselves (as floats), without a resize when H x W is the image's size. */
static cnnrt_model *pixel_model(int channels, int h, int w) {
  char json[512];
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'preprocess': {'color': '%s', 'scale': 1},"
           " 'input': {'name': 'x', 'shape': [1, %d, %d, %d]},"
           " 'nodes': [{'name': 'f', 'op': 'Flatten'}]}",
           channels == 1 ? "gray" : "rgb", channels, h, w);
  return tu_load(json, NULL, 0);
}

/* The image at path as C x H x W floats (CHW), asserting success. */
static float *decode(const char *path, int channels, int h, int w) {
  cnnrt_model *m = pixel_model(channels, h, w);
  size_t n = (size_t)channels * (size_t)h * (size_t)w;
  float *dst = malloc(n * sizeof *dst);
  cr_assert_not_null(dst);
  cnnrt_status st = cnnrt_image_file_to_input(m, path, dst, n);
  cr_assert_eq(st, CNNRT_OK, "%s: %s", path, cnnrt_last_error());
  cnnrt_model_free(m);
  return dst;
}

/* ---- PNG: exact ------------------------------------------------------------------------ */
typedef enum { GRAY_SMALL, GRAY8, PALETTE, RGB8 } png_kind;

typedef struct {
  const char *file;
  png_kind kind;
  int depth; /* of GRAY_SMALL and PALETTE samples */
  int w, h;
} png_case;

static const png_case png_cases[] = {
    {"gray1.png", GRAY_SMALL, 1, 23, 17},    {"gray2.png", GRAY_SMALL, 2, 23, 17},
    {"gray4.png", GRAY_SMALL, 4, 23, 17},    {"gray8.png", GRAY8, 8, 23, 17},
    {"gray16.png", GRAY8, 16, 23, 17},       {"gray8_trns.png", GRAY8, 8, 23, 17},
    {"graya8.png", GRAY8, 8, 23, 17},        {"graya16.png", GRAY8, 16, 23, 17},
    {"gray16_adam7.png", GRAY8, 16, 23, 17}, {"pal1.png", PALETTE, 1, 23, 17},
    {"pal2.png", PALETTE, 2, 23, 17},        {"pal4.png", PALETTE, 4, 23, 17},
    {"pal8.png", PALETTE, 8, 23, 17},        {"pal8_trns.png", PALETTE, 8, 23, 17},
    {"pal4_adam7.png", PALETTE, 4, 23, 17},  {"rgb8.png", RGB8, 8, 23, 17},
    {"rgb16.png", RGB8, 16, 23, 17},         {"rgb8_trns.png", RGB8, 8, 23, 17},
    {"rgba8.png", RGB8, 8, 23, 17},          {"rgba16.png", RGB8, 16, 23, 17},
    {"rgb8_adam7.png", RGB8, 8, 23, 17},     {"rgba8_adam7_1x1.png", RGB8, 8, 1, 1},
    {"rgb8_1x1.png", RGB8, 8, 1, 1},         {"rgb8_tall_1x40.png", RGB8, 8, 1, 40},
    {"rgb8_wide_40x1.png", RGB8, 8, 40, 1},  {"RGB8_UPPER.PNG", RGB8, 8, 23, 17},
    {"rgb8_named.jpg", RGB8, 8, 23, 17},
};

/* The 8-bit RGB the decoder must give at (x, y): alpha dropped, 16 bits -> high byte,
 * 1/2/4-bit gray scaled to 0..255, palette entries looked up. */
static void png_expected(const png_case *c, int x, int y, int out[3]) {
  switch (c->kind) {
  case GRAY_SMALL:
    out[0] = out[1] = out[2] = small_at(x, y, c->depth) * 255 / ((1 << c->depth) - 1);
    return;
  case GRAY8:
    out[0] = out[1] = out[2] = gray_at(x, y);
    return;
  case PALETTE:
    palette_colour(palette_index(x, y, c->depth), out);
    return;
  case RGB8:
    rgb_at(x, y, out);
    return;
  }
}

ParameterizedTestParameters(images, png_exact) {
  TU_ROW_PARAMS(png_cases);
}

/* Into an RGB model (gray replicated) and a gray one (gray as is; colour through the
 * API's float luma), every value exactly. */
ParameterizedTest(size_t *row, images, png_exact) {
  const png_case *c = &png_cases[*row];
  char path[512];
  snprintf(path, sizeof path, "%s%s", IMAGES, c->file);
  size_t plane = (size_t)c->w * (size_t)c->h;
  float *rgb = decode(path, 3, c->h, c->w), *gray = decode(path, 1, c->h, c->w);
  for (int y = 0; y < c->h; y++)
    for (int x = 0; x < c->w; x++) {
      int want[3] = {0, 0, 0};
      png_expected(c, x, y, want);
      size_t i = (size_t)y * (size_t)c->w + (size_t)x;
      for (int ch = 0; ch < 3; ch++)
        cr_assert_eq(rgb[ch * plane + i], (float)want[ch], "%s: (%d, %d) channel %d is %g, want %d",
                     c->file, x, y, ch, rgb[ch * plane + i], want[ch]);
      float luma =
          c->kind == GRAY8 || c->kind == GRAY_SMALL
              ? (float)want[0]
              : 0.299f * (float)want[0] + 0.587f * (float)want[1] + 0.114f * (float)want[2];
      cr_assert_eq(gray[i], luma, "%s: gray at (%d, %d) is %g, want %g", c->file, x, y, gray[i],
                   luma);
    }
  free(rgb);
  free(gray);
}

/* ---- JPEG: within the format's error ------------------------------------------------- */
typedef enum { SMOOTH, SMOOTH_GRAY, CMYK_ADOBE, CMYK_PLAIN } jpeg_kind;

typedef struct {
  const char *file;
  jpeg_kind kind;
  int w, h;
} jpeg_case;

static const jpeg_case jpeg_cases[] = {
    {"baseline_444.jpg", SMOOTH, 37, 29},
    {"baseline_422.jpg", SMOOTH, 37, 29},
    {"baseline_420.jpg", SMOOTH, 37, 29},
    {"progressive_420.jpg", SMOOTH, 37, 29},
    {"optimized_444.jpg", SMOOTH, 37, 29},
    {"exif_icc.jpg", SMOOTH, 37, 29},
    {"UPPER_CASE.JPG", SMOOTH, 37, 29},
    {"baseline_named.png", SMOOTH, 37, 29},
    {"tiny_1x1.jpg", SMOOTH, 1, 1},
    {"tall_1x50.jpg", SMOOTH, 1, 50},
    {"wide_50x1.jpg", SMOOTH, 50, 1},
    {"gray.jpg", SMOOTH_GRAY, 37, 29},
    {"gray_progressive.jpg", SMOOTH_GRAY, 37, 29},
    {"cmyk_adobe.jpg", CMYK_ADOBE, 37, 29},
    {"cmyk_adobe_progressive.jpg", CMYK_ADOBE, 37, 29},
    {"cmyk_no_adobe.jpg", CMYK_PLAIN, 37, 29},
};

/* Pillow's "L": ITU-R 601 luma rounded. */
static int luma8(const int rgb[3]) {
  return (rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 + 500) / 1000;
}

/* The RGB the file was made from. CMYK inks (make_test_images.py): C follows x, M y, Y 64,
 * K 32. With Adobe's marker the stored values are 255 - ink and R = (255 - C)(255 - K) /
 * 255; without it they read as inks themselves, so R = C * K / 255 of the original inks. */
static void jpeg_expected(const jpeg_case *c, int x, int y, int out[3]) {
  int ink[4] = {(int)lround(255.0 * x / (c->w - 1)), (int)lround(255.0 * y / (c->h - 1)), 64, 32};
  switch (c->kind) {
  case SMOOTH:
    smooth_at(x, y, c->w, c->h, out);
    return;
  case SMOOTH_GRAY:
    smooth_at(x, y, c->w, c->h, out);
    out[0] = out[1] = out[2] = luma8(out);
    return;
  case CMYK_ADOBE:
    for (int i = 0; i < 3; i++) out[i] = (255 - ink[i]) * (255 - ink[3]) / 255;
    return;
  case CMYK_PLAIN:
    for (int i = 0; i < 3; i++) out[i] = ink[i] * ink[3] / 255;
    return;
  }
}

ParameterizedTestParameters(images, jpeg_close) {
  TU_ROW_PARAMS(jpeg_cases);
}

/* Every pixel within 20 levels (quality 95, smooth content; 4:2:0 chroma errs most at the
 * corner where blue changes fastest), into RGB and gray models. A swapped channel, a
 * misread colour space or an uninverted CMYK would be off by 100 or more. */
ParameterizedTest(size_t *row, images, jpeg_close) {
  const jpeg_case *c = &jpeg_cases[*row];
  char path[512];
  snprintf(path, sizeof path, "%s%s", IMAGES, c->file);
  size_t plane = (size_t)c->w * (size_t)c->h;
  float *rgb = decode(path, 3, c->h, c->w), *gray = decode(path, 1, c->h, c->w);
  double worst = 0;
  for (int y = 0; y < c->h; y++)
    for (int x = 0; x < c->w; x++) {
      int want[3] = {0, 0, 0};
      jpeg_expected(c, x, y, want);
      size_t i = (size_t)y * (size_t)c->w + (size_t)x;
      for (int ch = 0; ch < 3; ch++) {
        double d = fabs(rgb[ch * plane + i] - want[ch]);
        if (d > worst) worst = d;
        cr_assert_leq(d, 20, "%s: (%d, %d) channel %d is %g, want %d", c->file, x, y, ch,
                      rgb[ch * plane + i], want[ch]);
      }
      cr_assert_leq(fabs(gray[i] - luma8(want)), 20, "%s: gray (%d, %d) is %g, want %d", c->file, x,
                    y, gray[i], luma8(want));
    }
  free(rgb);
  free(gray);
}

/* ---- JPEGs made here with TurboJPEG: YCCK, 4:4:0, 4:1:1, large, extreme shapes ----- */

/* Encodes w x h pixels of pixel format pf (TJPF_RGB or TJPF_CMYK); caller tjFree()s. */
static unsigned char *encode(const uint8_t *px, int w, int h, int pf, int subsamp, int quality,
                             unsigned long *size) {
  tjhandle tj = tjInitCompress();
  unsigned char *jpeg = NULL;
  *size = 0;
  cr_assert_eq(tjCompress2(tj, px, w, 0, h, pf, &jpeg, size, subsamp, quality, 0), 0,
               "tjCompress2: %s", tjGetErrorStr2(tj));
  tjDestroy(tj);
  return jpeg;
}

static uint8_t *smooth_pixels(int w, int h) {
  uint8_t *px = malloc((size_t)w * (size_t)h * 3);
  cr_assert_not_null(px);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int v[3];
      smooth_at(x, y, w, h, v);
      for (int c = 0; c < 3; c++)
        px[((size_t)y * (size_t)w + (size_t)x) * 3 + (size_t)c] = (uint8_t)v[c];
    }
  return px;
}

/* Writes data to a temp file named name; returns the path (caller frees both). */
static char *temp_image(char **dir, const char *name, const void *data, size_t len) {
  *dir = tu_temp_dir();
  return tu_write_file(*dir, name, data, len);
}

static void check_smooth_file(const char *path, int w, int h, double tolerance) {
  float *rgb = decode(path, 3, h, w);
  size_t plane = (size_t)w * (size_t)h;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int want[3] = {0, 0, 0};
      smooth_at(x, y, w, h, want);
      for (int c = 0; c < 3; c++) {
        float got = rgb[(size_t)c * plane + (size_t)y * (size_t)w + (size_t)x];
        cr_assert_leq(fabs(got - want[c]), tolerance, "%s: (%d, %d) channel %d is %g, want %d",
                      path, x, y, c, got, want[c]);
      }
    }
  free(rgb);
}

Test(images, turbojpeg_subsamplings) {
  const int samps[] = {TJSAMP_444, TJSAMP_422, TJSAMP_420, TJSAMP_440, TJSAMP_411};
  const char *names[] = {"444", "422", "420", "440", "411"};
  uint8_t *px = smooth_pixels(45, 31);
  for (size_t i = 0; i < TU_COUNT(samps); i++) {
    unsigned long size;
    unsigned char *jpeg = encode(px, 45, 31, TJPF_RGB, samps[i], 95, &size);
    char *dir, name[32];
    snprintf(name, sizeof name, "s%s.jpg", names[i]);
    char *path = temp_image(&dir, name, jpeg, size);
    tjFree(jpeg);
    check_smooth_file(path, 45, 31, 14);
    free(path);
    tu_remove_dir(dir);
    free(dir);
  }
  free(px);
}

/* Sampling factors TurboJPEG 2 has no TJSAMP constant for (its header call refuses them,
 * although it decodes them): made with libjpeg directly. */
Test(images, unusual_sampling_factors) {
  static const int factors[][6] = {{2, 2, 2, 1, 1, 1},
                                   {3, 1, 1, 1, 1, 1},
                                   {2, 1, 1, 1, 1, 2},
                                   {1, 4, 1, 2, 1, 1},
                                   {2, 2, 1, 2, 2, 1}};
  enum { W = 37, H = 29 };
  uint8_t *px = smooth_pixels(W, H);
  for (size_t i = 0; i < TU_COUNT(factors); i++) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &jpeg, &size);
    c.image_width = W;
    c.image_height = H;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    for (int k = 0; k < 3; k++) {
      c.comp_info[k].h_samp_factor = factors[i][2 * k];
      c.comp_info[k].v_samp_factor = factors[i][2 * k + 1];
    }
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < H; y++) {
      JSAMPROW row = px + (size_t)y * W * 3;
      jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    char *dir, *path = temp_image(&dir, "sampling.jpg", jpeg, size);
    free(jpeg);
    check_smooth_file(path, W, H, 24);
    free(path);
    tu_remove_dir(dir);
    free(dir);
  }
  free(px);
}

/* A valid progressive JPEG of 570 scans (each coefficient of each component on its own,
 * in three bit planes): decoding it costs a pass over the image per scan, the "progressive
 * JPEG scan bomb"; cnnrt refuses files of more than 500 scans (TJFLAG_LIMITSCANS). */
Test(images, progressive_scan_bomb_refused) {
  enum { W = 64, H = 64, SCANS = 3 + 3 * 63 * 3 };
  static jpeg_scan_info script[SCANS];
  int n = 0;
  for (int al = 2; al >= 0; al--) { /* DC of all components, bit plane by bit plane */
    jpeg_scan_info dc = {3, {0, 1, 2, 0}, 0, 0, al == 2 ? 0 : al + 1, al};
    script[n++] = dc;
  }
  for (int al = 2; al >= 0; al--)
    for (int c = 0; c < 3; c++)
      for (int k = 1; k < 64; k++) {
        jpeg_scan_info ac = {1, {c, 0, 0, 0}, k, k, al == 2 ? 0 : al + 1, al};
        script[n++] = ac;
      }
  cr_assert_eq(n, SCANS);
  uint8_t *px = smooth_pixels(W, H);
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr e;
  unsigned char *jpeg = NULL;
  unsigned long size = 0;
  c.err = jpeg_std_error(&e);
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &jpeg, &size);
  c.image_width = W;
  c.image_height = H;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  c.scan_info = script;
  c.num_scans = SCANS;
  jpeg_start_compress(&c, TRUE);
  for (int y = 0; y < H; y++) {
    JSAMPROW row = px + (size_t)y * W * 3;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  /* valid: TurboJPEG without the limit decodes it */
  uint8_t *out = malloc(W * H * 3);
  cr_assert_not_null(out);
  tjhandle tj = tjInitDecompress();
  cr_assert_eq(tjDecompress2(tj, jpeg, size, out, W, 0, H, TJPF_RGB, 0), 0, "%s",
               tjGetErrorStr2(tj));
  tjDestroy(tj);
  cnnrt_model *m = pixel_model(3, H, W);
  float *dst = malloc(3 * W * H * sizeof(float));
  cr_assert_not_null(dst);
  tu_assert_error("scan bomb",
                  cnnrt_image_memory_to_input(m, jpeg, size, "bomb.jpg", dst, 3 * W * H),
                  CNNRT_ERR_IMAGE, "bomb.jpg: cannot decode JPEG", "more than 500 scans");
  cnnrt_model_free(m);
  free(dst);
  free(out);
  free(px);
  free(jpeg);
}

/* YCCK (TurboJPEG's CMYK encoding writes an Adobe marker, transform 2): the values given
 * are Adobe's inverted CMYK, so R = C * K / 255 of them. */
Test(images, ycck) {
  enum { W = 20, H = 12 };
  uint8_t px[W * H * 4];
  for (int i = 0; i < W * H; i++) {
    px[4 * i] = (uint8_t)(i * 255 / (W * H - 1));
    px[4 * i + 1] = 200;
    px[4 * i + 2] = 100;
    px[4 * i + 3] = 230;
  }
  unsigned long size;
  unsigned char *jpeg = encode(px, W, H, TJPF_CMYK, TJSAMP_444, 100, &size);
  int w, h, subsamp, colorspace;
  tjhandle tj = tjInitDecompress();
  cr_assert_eq(tjDecompressHeader3(tj, jpeg, size, &w, &h, &subsamp, &colorspace), 0);
  cr_assert_eq(colorspace, TJCS_YCCK, "TurboJPEG did not write YCCK");
  tjDestroy(tj);
  char *dir, *path = temp_image(&dir, "ycck.jpg", jpeg, size);
  tjFree(jpeg);
  float *rgb = decode(path, 3, H, W);
  for (int i = 0; i < W * H; i++)
    for (int c = 0; c < 3; c++) {
      double want = px[4 * i + c] * 230.0 / 255.0;
      cr_assert_leq(fabs(rgb[c * W * H + i] - want), 4, "ycck pixel %d channel %d: %g, want %g", i,
                    c, rgb[c * W * H + i], want);
    }
  free(rgb);
  free(path);
  tu_remove_dir(dir);
  free(dir);
}

/* The file path and the pixels path agree exactly for a large photo-sized JPEG (resized
 * to the model) and for extreme aspect ratios. */
static void check_against_pixels(int w, int h, int model_h, int model_w) {
  uint8_t *px = smooth_pixels(w, h);
  unsigned long size;
  unsigned char *jpeg = encode(px, w, h, TJPF_RGB, TJSAMP_420, 90, &size);
  uint8_t *decoded = malloc((size_t)w * (size_t)h * 3);
  cr_assert_not_null(decoded);
  tjhandle tj = tjInitDecompress();
  cr_assert_eq(tjDecompress2(tj, jpeg, size, decoded, w, 0, h, TJPF_RGB, TJFLAG_ACCURATEDCT), 0);
  tjDestroy(tj);
  char *dir, *path = temp_image(&dir, "big.JPEG", jpeg, size);
  cnnrt_model *m = pixel_model(3, model_h, model_w);
  size_t n = 3 * (size_t)model_h * (size_t)model_w;
  float *from_file = malloc(n * sizeof(float)), *from_memory = malloc(n * sizeof(float)),
        *from_pixels = malloc(n * sizeof(float));
  cr_assert(from_file && from_memory && from_pixels);
  cr_assert_eq(cnnrt_image_file_to_input(m, path, from_file, n), CNNRT_OK, "%dx%d: %s", w, h,
               cnnrt_last_error());
  cr_assert_eq(cnnrt_image_memory_to_input(m, jpeg, size, "big", from_memory, n), CNNRT_OK, "%s",
               cnnrt_last_error());
  cr_assert_eq(cnnrt_pixels_to_input(m, decoded, w, h, 3, (size_t)w * 3, from_pixels, n), CNNRT_OK);
  cr_assert_arr_eq(from_file, from_pixels, n * sizeof(float), "%dx%d: file != pixels", w, h);
  cr_assert_arr_eq(from_memory, from_pixels, n * sizeof(float), "%dx%d: memory != pixels", w, h);
  tjFree(jpeg);
  free(px);
  free(decoded);
  free(from_file);
  free(from_memory);
  free(from_pixels);
  cnnrt_model_free(m);
  free(path);
  tu_remove_dir(dir);
  free(dir);
}

Test(images, large_photo, .timeout = 60) {
  check_against_pixels(4000, 3000, 224, 224);
}

Test(images, extreme_aspect_ratios) {
  check_against_pixels(6000, 1, 28, 28);
  check_against_pixels(1, 6000, 28, 28);
  check_against_pixels(3, 2, 32, 32); /* upscaled */
}

/* A colour PNG resized into a smaller model: the file path equals the pixels path. */
Test(images, png_resized_like_pixels) {
  uint8_t px[17][23][3];
  for (int y = 0; y < 17; y++)
    for (int x = 0; x < 23; x++) {
      int v[3];
      rgb_at(x, y, v);
      for (int c = 0; c < 3; c++) px[y][x][c] = (uint8_t)v[c];
    }
  cnnrt_model *m = pixel_model(3, 8, 8);
  float from_file[3 * 64], from_pixels[3 * 64];
  cr_assert_eq(cnnrt_image_file_to_input(m, IMAGES "rgba16.png", from_file, 192), CNNRT_OK, "%s",
               cnnrt_last_error());
  cr_assert_eq(cnnrt_pixels_to_input(m, &px[0][0][0], 23, 17, 3, 69, from_pixels, 192), CNNRT_OK);
  cr_assert_arr_eq(from_file, from_pixels, sizeof from_file);
  cnnrt_model_free(m);
}

/* The memory entry point takes the same bytes as the file one, and checks its arguments. */
Test(images, memory_entry_point) {
  size_t len;
  unsigned char *data = tu_read_file(IMAGES "pal8_trns.png", &len);
  cnnrt_model *m = pixel_model(3, 17, 23);
  float *a = malloc(3 * 17 * 23 * sizeof(float)), *b = malloc(3 * 17 * 23 * sizeof(float));
  cr_assert(a && b);
  cr_assert_eq(cnnrt_image_memory_to_input(m, data, len, NULL, a, 3 * 17 * 23), CNNRT_OK);
  cr_assert_eq(cnnrt_image_file_to_input(m, IMAGES "pal8_trns.png", b, 3 * 17 * 23), CNNRT_OK);
  cr_assert_arr_eq(a, b, 3 * 17 * 23 * sizeof(float));
  tu_assert_error("NULL data", cnnrt_image_memory_to_input(m, NULL, 4, "x", a, 3 * 17 * 23),
                  CNNRT_ERR_ARGUMENT, "data is NULL", NULL);
  tu_assert_error("empty", cnnrt_image_memory_to_input(m, data, 0, "upload.png", a, 3 * 17 * 23),
                  CNNRT_ERR_IMAGE, "upload.png: empty file", NULL);
  tu_assert_error("no name", cnnrt_image_memory_to_input(m, data, 10, NULL, a, 3 * 17 * 23),
                  CNNRT_ERR_IMAGE, "<memory>: cannot decode PNG", NULL);
  tu_assert_error("wrong count", cnnrt_image_memory_to_input(m, data, len, "x", a, 5),
                  CNNRT_ERR_ARGUMENT, "dst_count is 5", NULL);
  free(a);
  free(b);
  free(data);
  cnnrt_model_free(m);
}
