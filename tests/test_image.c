/* Images to input tensors: colour conversion, bilinear resize (half-pixel centres), scale
 * and normalisation checked by hand on tiny images; JPEG files, good and bad. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include "tests/test_util.h"

/* A model taking [1, C, H, W] images with the given preprocess fields. */
static cnnrt_model *image_model(int c, int h, int w, const char *preprocess) {
  char json[512];
  snprintf(json, sizeof json,
           "{'format': 'cnnrt', 'version': 1, 'preprocess': {%s},"
           " 'input': {'name': 'x', 'shape': [1, %d, %d, %d]},"
           " 'nodes': [{'name': 'f', 'op': 'Flatten'}]}",
           preprocess, c, h, w);
  return tu_load(json, NULL, 0);
}

static void expect_floats(const char *what, const float *got, const float *want, size_t n,
                          double tolerance) {
  for (size_t i = 0; i < n; i++)
    cr_assert(fabs(got[i] - want[i]) <= tolerance, "%s: [%zu] is %.7g, want %.7g", what, i, got[i],
              want[i]);
}

Test(image, gray_scale_and_normalise) {
  cnnrt_model *m = image_model(1, 2, 2, "'color': 'gray', 'mean': [0.5], 'std': [0.25]");
  const uint8_t px[4] = {0, 255, 51, 102};
  float dst[4];
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 2, 2, 1, 2, dst, 4), CNNRT_OK, "%s",
               cnnrt_last_error());
  const float want[4] = {-2.0f, 2.0f, -1.2f, -0.4f}; /* (p / 255 - 0.5) / 0.25 */
  expect_floats("gray", dst, want, 4, 1e-6);
  cnnrt_model_free(m);
}

Test(image, rgb_interleaved_to_planes) {
  cnnrt_model *m = image_model(
      3, 1, 2, "'color': 'rgb', 'mean': [0.1, 0.2, 0.3], 'std': [0.5, 0.25, 2], 'scale': 0.01");
  const uint8_t px[6] = {10, 20, 30, 40, 50, 60}; /* two RGB pixels */
  float dst[6];
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 2, 1, 3, 6, dst, 6), CNNRT_OK, "%s",
               cnnrt_last_error());
  const float want[6] = {(0.1f - 0.1f) / 0.5f,  (0.4f - 0.1f) / 0.5f,  /* R plane */
                         (0.2f - 0.2f) / 0.25f, (0.5f - 0.2f) / 0.25f, /* G plane */
                         (0.3f - 0.3f) / 2.0f,  (0.6f - 0.3f) / 2.0f}; /* B plane */
  expect_floats("rgb", dst, want, 6, 1e-6);
  cnnrt_model_free(m);
}

Test(image, gray_pixels_into_an_rgb_model_are_replicated) {
  cnnrt_model *m = image_model(3, 1, 2, "'color': 'rgb', 'scale': 1");
  const uint8_t px[2] = {10, 200};
  float dst[6];
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 2, 1, 1, 2, dst, 6), CNNRT_OK);
  const float want[6] = {10, 200, 10, 200, 10, 200};
  expect_floats("gray->rgb", dst, want, 6, 0);
  cnnrt_model_free(m);
}

/* ITU-R 601 luma; libjpeg rounds it to an integer, so allow half a level. */
Test(image, rgb_pixels_into_a_gray_model_use_luma) {
  cnnrt_model *m = image_model(1, 1, 3, "'color': 'gray', 'scale': 1");
  const uint8_t px[9] = {255, 0, 0, 0, 255, 0, 0, 0, 255};
  float dst[3];
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 3, 1, 3, 9, dst, 3), CNNRT_OK);
  const float want[3] = {0.299f * 255, 0.587f * 255, 0.114f * 255};
  expect_floats("rgb->gray", dst, want, 3, 0.5);
  cnnrt_model_free(m);
}

/* 2x2 -> 4x4 with half-pixel centres: source x = (i + 0.5) / 2 - 0.5, clamped at 0, gives
 * weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1) along each axis. */
Test(image, bilinear_upscale) {
  cnnrt_model *m = image_model(1, 4, 4, "'color': 'gray', 'scale': 1");
  const uint8_t px[4] = {0, 100, 200, 40};
  const float w[4][2] = {{1, 0}, {0.75f, 0.25f}, {0.25f, 0.75f}, {0, 1}};
  float dst[16], want[16];
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++) {
      float top = w[x][0] * px[0] + w[x][1] * px[1];
      float bottom = w[x][0] * px[2] + w[x][1] * px[3];
      want[y * 4 + x] = w[y][0] * top + w[y][1] * bottom;
    }
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 2, 2, 1, 2, dst, 16), CNNRT_OK);
  expect_floats("upscale", dst, want, 16, 1e-4);
  cnnrt_model_free(m);
}

/* 4x4 -> 2x2: source x = (i + 0.5) * 2 - 0.5 = 0.5 and 2.5: each output is the mean of a
 * 2x2 block (no antialiasing). Also a row stride with padding bytes. */
Test(image, bilinear_downscale_with_stride) {
  cnnrt_model *m = image_model(1, 2, 2, "'color': 'gray', 'scale': 1");
  const uint8_t px[4 * 6] = {0,  4,   8,   12, 255, 255, /* two padding bytes per row */
                             16, 20,  24,  28, 255, 255, 32, 36,  40,
                             44, 255, 255, 48, 52,  56,  60, 255, 255};
  float dst[4];
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 4, 4, 1, 6, dst, 4), CNNRT_OK);
  const float want[4] = {10, 18, 42, 50};
  expect_floats("downscale", dst, want, 4, 1e-4);
  cnnrt_model_free(m);
}

/* Width 3 -> 2: source x = 0.25 and 1.75. */
Test(image, bilinear_non_integer_ratio) {
  cnnrt_model *m = image_model(1, 1, 2, "'color': 'gray', 'scale': 1");
  const uint8_t px[3] = {0, 100, 40};
  float dst[2];
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 3, 1, 1, 3, dst, 2), CNNRT_OK);
  const float want[2] = {0.75f * 0 + 0.25f * 100, 0.25f * 100 + 0.75f * 40};
  expect_floats("3 -> 2", dst, want, 2, 1e-4);
  cnnrt_model_free(m);
}

/* Encodes a w x h image of one colour as a quality-100 JPEG; caller tjFree()s it. */
static unsigned char *solid_jpeg(int w, int h, int channels, const uint8_t *colour,
                                 unsigned long *size) {
  uint8_t *px = malloc((size_t)(w * h * channels));
  cr_assert_not_null(px);
  for (int i = 0; i < w * h; i++) memcpy(px + i * channels, colour, (size_t)channels);
  tjhandle tj = tjInitCompress();
  unsigned char *jpeg = NULL;
  *size = 0;
  cr_assert_eq(tjCompress2(tj, px, w, w * channels, h, channels == 1 ? TJPF_GRAY : TJPF_RGB, &jpeg,
                           size, channels == 1 ? TJSAMP_GRAY : TJSAMP_444, 100, 0),
               0, "tjCompress2: %s", tjGetErrorStr2(tj));
  tjDestroy(tj);
  free(px);
  return jpeg;
}

/* A file of a known colour, resized on the way (16x8 -> 4x4) and converted to gray. */
Test(image, jpeg_file_of_known_colour) {
  const uint8_t red[3] = {255, 0, 0};
  unsigned long size;
  unsigned char *jpeg = solid_jpeg(16, 8, 3, red, &size);
  char *dir = tu_temp_dir(), *path = tu_write_file(dir, "red.jpg", jpeg, size);
  tjFree(jpeg);
  cnnrt_model *gray = image_model(1, 4, 4, "'color': 'gray', 'scale': 1");
  cnnrt_model *rgb = image_model(3, 4, 4, "'color': 'rgb', 'scale': 1");
  float dst[48];
  cr_assert_eq(cnnrt_image_file_to_input(gray, path, dst, 16), CNNRT_OK, "%s", cnnrt_last_error());
  for (int i = 0; i < 16; i++)
    cr_assert(fabs(dst[i] - 76.245) <= 1.5, "gray[%d] = %g, want the luma of red", i, dst[i]);
  cr_assert_eq(cnnrt_image_file_to_input(rgb, path, dst, 48), CNNRT_OK, "%s", cnnrt_last_error());
  for (int i = 0; i < 48; i++)
    cr_assert(fabs(dst[i] - red[i / 16]) <= 2.0, "rgb[%d] = %g, want %d", i, dst[i], red[i / 16]);
  cnnrt_model_free(gray);
  cnnrt_model_free(rgb);
  free(path);
  tu_remove_dir(dir);
  free(dir);
}

/* The bundled sample decodes exactly like TurboJPEG's own gray decode + pixels_to_input,
 * and the model classifies it correctly. */
Test(image, bundled_sample) {
  const char *path = TU_SOURCE("models/fashion_mnist/samples/bag_18.jpg");
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  float from_file[784], from_pixels[784], logits[10];
  cr_assert_eq(cnnrt_image_file_to_input(m, path, from_file, 784), CNNRT_OK, "%s",
               cnnrt_last_error());
  size_t len;
  unsigned char *jpeg = tu_read_file(path, &len);
  uint8_t px[28 * 28];
  tjhandle tj = tjInitDecompress();
  cr_assert_eq(tjDecompress2(tj, jpeg, len, px, 28, 28, 28, TJPF_GRAY, TJFLAG_ACCURATEDCT), 0);
  tjDestroy(tj);
  free(jpeg);
  cr_assert_eq(cnnrt_pixels_to_input(m, px, 28, 28, 1, 28, from_pixels, 784), CNNRT_OK);
  cr_assert_arr_eq(from_file, from_pixels, sizeof from_file);
  cnnrt_session *s = NULL;
  cr_assert_eq(cnnrt_session_create(m, 1, &s), CNNRT_OK);
  cr_assert_eq(cnnrt_run(s, from_file, 784, logits, 10), CNNRT_OK);
  size_t best;
  cr_assert_eq(cnnrt_top_k(logits, 10, 1, &best), CNNRT_OK);
  cr_assert_str_eq(cnnrt_model_label(m, best), "Bag");
  cnnrt_session_free(s);
  cnnrt_model_free(m);
}

typedef struct {
  const char *name;
  const char *file; /* created in a temp dir; NULL: use the path as is */
  size_t keep;      /* bytes of the bundled sample to write (0: content below) */
  const char *content;
  cnnrt_status status;
  const char *text;
} bad_image;

static const bad_image bad_images[] = {
    {"empty file", "empty.jpg", 0, "", CNNRT_ERR_IMAGE, "empty file"},
    {"truncated JPEG", "half.jpg", 500, NULL, CNNRT_ERR_IMAGE, "cannot decode JPEG"},
    {"cut before the scan", "noscan.jpg", 300, NULL, CNNRT_ERR_IMAGE, "not a readable JPEG image"},
    {"header only", "head.jpg", 20, NULL, CNNRT_ERR_IMAGE, "no frame header"},
    {"text file", "notes.txt", 0, "this is not an image\n", CNNRT_ERR_IMAGE,
     "not a JPEG or PNG image (it starts with the bytes 74 68 69 73"},
    {"directory", "", 0, NULL, CNNRT_ERR_IO, "not a regular file"},
    {"missing file", "missing.jpg", 0, NULL, CNNRT_ERR_IO, "cannot open image"},
};

ParameterizedTestParameters(image, bad_files) {
  TU_ROW_PARAMS(bad_images);
}

ParameterizedTest(size_t *row, image, bad_files) {
  const bad_image *c = &bad_images[*row];
  char *dir = tu_temp_dir(), *path;
  if (c->keep) {
    size_t len;
    unsigned char *jpeg = tu_read_file(TU_SOURCE("models/fashion_mnist/samples/bag_18.jpg"), &len);
    cr_assert_lt(c->keep, len);
    path = tu_write_file(dir, c->file, jpeg, c->keep);
    free(jpeg);
  } else if (c->content) {
    path = tu_write_file(dir, c->file, c->content, strlen(c->content));
  } else {
    path = malloc(strlen(dir) + strlen(c->file) + 2);
    sprintf(path, "%s/%s", dir, c->file);
  }
  cnnrt_model *m = tu_load_file(TU_FASHION_JSON);
  float dst[784];
  tu_assert_error(c->name, cnnrt_image_file_to_input(m, path, dst, 784), c->status, path, c->text);
  cnnrt_model_free(m);
  free(path);
  tu_remove_dir(dir);
  free(dir);
}
