/* Images that must be refused with a clear error naming the file: every committed image
 * cut short at many points, corrupted data, headers over the pixel limit (refused before
 * anything is allocated), other formats, FIFOs and directories. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>
#include "tests/test_util.h"

#define IMAGES TU_SOURCE("tests/images/")

#if defined(__SANITIZE_ADDRESS__)
#define TRACKS_MALLOC 0
#else
/* The largest malloc request of this process (libpng's included: it calls malloc), to show
 * that crafted files cannot make the decoders allocate what their headers claim. Not under
 * AddressSanitizer, which owns malloc (the fuzz corpus replay checks it there). */
#define TRACKS_MALLOC 1
extern void *__libc_malloc(size_t size);
static size_t largest_malloc;
void *malloc(size_t size);
void *malloc(size_t size) {
  if (size > largest_malloc) largest_malloc = size;
  return __libc_malloc(size);
}
#endif

static cnnrt_model *rgb_model(void) {
  return tu_load("{'format': 'cnnrt', 'version': 1, 'preprocess': {'color': 'rgb'},"
                 " 'input': {'name': 'x', 'shape': [1, 3, 8, 8]},"
                 " 'nodes': [{'name': 'f', 'op': 'Flatten'}]}",
                 NULL, 0);
}

/* Decodes data written to a temp file called name; asserts status and message text (and
 * that the message names the file). */
static void expect_file_error(const char *what, const char *name, const void *data, size_t len,
                              cnnrt_status want, const char *text) {
  char *dir = tu_temp_dir(), *path = tu_write_file(dir, name, data, len);
  cnnrt_model *m = rgb_model();
  float dst[192];
  tu_assert_error(what, cnnrt_image_file_to_input(m, path, dst, 192), want, path, text);
  /* the memory entry point says the same about the same bytes */
  tu_assert_error(what, cnnrt_image_memory_to_input(m, data, len, "upload", dst, 192), want,
                  "upload: ", text);
  cnnrt_model_free(m);
  free(path);
  tu_remove_dir(dir);
  free(dir);
}

/* Every committed image cut at 16 points (and one byte short): all fail as images. JPEG
 * data cut anywhere ends in a decoder warning or a header error, PNG data before the end
 * of IEND in a read error; none may decode to a partly grey picture. */
Test(images_bad, every_image_truncated) {
  DIR *d = opendir(IMAGES);
  struct dirent *entry;
  size_t files = 0, cuts = 0;
  cr_assert_not_null(d);
  cnnrt_model *m = rgb_model();
  while ((entry = readdir(d)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "%s%s", IMAGES, entry->d_name);
    size_t len;
    unsigned char *data = tu_read_file(path, &len);
    float dst[192];
    cr_assert_eq(cnnrt_image_memory_to_input(m, data, len, entry->d_name, dst, 192), CNNRT_OK,
                 "%s does not decode whole: %s", entry->d_name, cnnrt_last_error());
    for (int k = 0; k <= 16; k++) {
      size_t cut = k == 16 ? len - 1 : len * (size_t)k / 16;
      cnnrt_status st = cnnrt_image_memory_to_input(m, data, cut, entry->d_name, dst, 192);
      cr_assert_eq(st, CNNRT_ERR_IMAGE, "%s cut to %zu of %zu bytes: %s (%s)", entry->d_name, cut,
                   len, cnnrt_status_name(st), cnnrt_last_error());
      cr_assert(strstr(cnnrt_last_error(), entry->d_name), "message lacks the name: %s",
                cnnrt_last_error());
      cuts++;
    }
    free(data);
    files++;
  }
  closedir(d);
  cnnrt_model_free(m);
  cr_assert_geq(files, 40, "only %zu images in tests/images", files);
  cr_assert_geq(cuts, 680);
}

/* Offset of the first marker m (0xFF m) of a JPEG, 0 if none. */
static size_t find_marker(const unsigned char *d, size_t len, unsigned char m) {
  for (size_t i = 2; i + 1 < len; i++)
    if (d[i] == 0xff && d[i + 1] == m) return i;
  return 0;
}

/* Offset of the 4-byte chunk type t in a PNG (its length is 4 bytes before). */
static size_t find_chunk(const unsigned char *d, size_t len, const char *t) {
  for (size_t i = 12; i + 4 <= len; i++)
    if (memcmp(d + i, t, 4) == 0) return i;
  return 0;
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
  p[3] = (unsigned char)v;
}

/* Rewrites the IHDR size of a PNG (and its CRC, so that only the size is wrong). */
static void set_png_size(unsigned char *d, size_t len, uint32_t w, uint32_t h) {
  size_t at = find_chunk(d, len, "IHDR");
  cr_assert_gt(at, 0);
  put_u32(d + at + 4, w);
  put_u32(d + at + 8, h);
  put_u32(d + at + 17, (uint32_t)crc32(0, d + at, 17));
}

/* A 65500 x 65500 JPEG header on a tiny file is refused from the header, before anything
 * of that size is allocated or decoded: under an address-space limit far below the 12.8 GB
 * the pixels would take (skipped under AddressSanitizer, which reserves terabytes), and in
 * much less than the time a decode would take. */
Test(images_bad, huge_jpeg_header_refused_before_allocating) {
  size_t len;
  unsigned char *data = tu_read_file(IMAGES "baseline_444.jpg", &len);
  size_t sof = find_marker(data, len, 0xc0);
  cr_assert_gt(sof, 0);
  data[sof + 5] = 0xff, data[sof + 6] = 0xdc; /* height 65500 */
  data[sof + 7] = 0xff, data[sof + 8] = 0xdc; /* width 65500 */
#if !defined(__SANITIZE_ADDRESS__)
  struct rlimit cap = {(rlim_t)2 << 30, (rlim_t)2 << 30};
  cr_assert_eq(setrlimit(RLIMIT_AS, &cap), 0);
#endif
  clock_t start = clock();
#if TRACKS_MALLOC
  largest_malloc = 0;
#endif
  expect_file_error("65500x65500 JPEG", "huge.jpg", data, len, CNNRT_ERR_LIMIT,
                    "the image (65500x65500) is 4290250000 pixels, over CNNRT_LIMIT_IMAGE_PIXELS");
  cr_assert_lt((double)(clock() - start) / CLOCKS_PER_SEC, 2.0, "took too long");
#if TRACKS_MALLOC
  cr_assert_lt(largest_malloc, (size_t)1 << 20, "a %zu-byte allocation", largest_malloc);
#endif
  free(data);
}

Test(images_bad, huge_png_header_refused_before_allocating) {
  size_t len;
  unsigned char *data = tu_read_file(IMAGES "rgb8.png", &len);
#if !defined(__SANITIZE_ADDRESS__)
  struct rlimit cap = {(rlim_t)2 << 30, (rlim_t)2 << 30};
  cr_assert_eq(setrlimit(RLIMIT_AS, &cap), 0);
#endif
  set_png_size(data, len, 1000000, 1000000);
  expect_file_error("1000000x1000000 PNG", "huge.png", data, len, CNNRT_ERR_LIMIT,
                    "the image (1000000x1000000) is 1000000000000 pixels");
  set_png_size(data, len, 0x7fffffff, 1); /* beyond libpng's own limits */
  expect_file_error("2^31-1 wide PNG", "wide.png", data, len, CNNRT_ERR_IMAGE, "cannot decode PNG");
  set_png_size(data, len, 0, 17);
  expect_file_error("0 wide PNG", "zero.png", data, len, CNNRT_ERR_IMAGE, "cannot decode PNG");
  free(data);
}

/* Found by fuzz_image: a 55-byte PNG whose zTXt chunk declares 2 GB made libpng allocate
 * 2 GB (its "chunk data is too large" check only warns on read). Ancillary chunks are now
 * skipped unread: every kind of them, with a huge declared length, fails as a truncated
 * file after small allocations only. */
Test(images_bad, png_chunk_length_bomb) {
  static const char *const kinds[] = {"zTXt", "iTXt", "tEXt", "iCCP", "sPLT", "eXIf", "abCd"};
  size_t len;
  unsigned char *png = tu_read_file(IMAGES "rgb8.png", &len);
  enum { IHDR_END = 8 + 8 + 13 + 4 }; /* signature, IHDR header, data, CRC */
  size_t ihdr_end = IHDR_END;
  for (size_t k = 0; k < TU_COUNT(kinds); k++) {
    unsigned char bomb[IHDR_END + 20];
    memcpy(bomb, png, ihdr_end);
    put_u32(bomb + ihdr_end, 0x7e424d11); /* 2118274321 bytes, 12 present */
    memcpy(bomb + ihdr_end + 4, kinds[k], 4);
    memcpy(bomb + ihdr_end + 8, "xxxxxxxxxxxx", 12);
#if TRACKS_MALLOC
    largest_malloc = 0;
#endif
    expect_file_error(kinds[k], "bomb.png", bomb, sizeof bomb, CNNRT_ERR_IMAGE,
                      "cannot decode PNG: the file ends early");
#if TRACKS_MALLOC
    cr_assert_lt(largest_malloc, (size_t)1 << 20, "%s: a %zu-byte allocation", kinds[k],
                 largest_malloc);
#endif
  }
  /* the committed reproducer itself */
  unsigned char *repro =
      tu_read_file(TU_SOURCE("fuzz/corpus/image/repro_oom_png_ztxt_declared_2gb"), &len);
  expect_file_error("reproducer", "repro.png", repro, len, CNNRT_ERR_IMAGE, "cannot decode PNG");
  free(repro);
  free(png);
}

/* The pixel limit applies at exactly width x height. */
Test(images_bad, pixel_limit_boundary) {
  cnnrt_model *m = rgb_model();
  float dst[192];
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 23 * 17), CNNRT_OK);
  cr_assert_eq(cnnrt_image_file_to_input(m, IMAGES "rgb8.png", dst, 192), CNNRT_OK, "%s",
               cnnrt_last_error());
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 23 * 17 - 1), CNNRT_OK);
  tu_assert_error("PNG over", cnnrt_image_file_to_input(m, IMAGES "rgb8.png", dst, 192),
                  CNNRT_ERR_LIMIT, "rgb8.png: the image (23x17) is 391 pixels",
                  "CNNRT_LIMIT_IMAGE_PIXELS = 390 (raise it with cnnrt_set_limit)");
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 37 * 29 - 1), CNNRT_OK);
  tu_assert_error("JPEG over", cnnrt_image_file_to_input(m, IMAGES "gray.jpg", dst, 192),
                  CNNRT_ERR_LIMIT, "gray.jpg: the image (37x29) is 1073 pixels", NULL);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_PIXELS, 0), CNNRT_OK); /* default again */
  cr_assert_eq(cnnrt_image_file_to_input(m, IMAGES "gray.jpg", dst, 192), CNNRT_OK);
  cnnrt_model_free(m);
}

/* A file over CNNRT_LIMIT_IMAGE_BYTES is refused before it is read. */
Test(images_bad, file_size_limit) {
  cnnrt_model *m = rgb_model();
  float dst[192];
  size_t len;
  unsigned char *data = tu_read_file(IMAGES "rgb8.png", &len);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_BYTES, len), CNNRT_OK);
  cr_assert_eq(cnnrt_image_file_to_input(m, IMAGES "rgb8.png", dst, 192), CNNRT_OK);
  cr_assert_eq(cnnrt_set_limit(CNNRT_LIMIT_IMAGE_BYTES, len - 1), CNNRT_OK);
  tu_assert_error("file", cnnrt_image_file_to_input(m, IMAGES "rgb8.png", dst, 192),
                  CNNRT_ERR_LIMIT, "rgb8.png: the image is", "over CNNRT_LIMIT_IMAGE_BYTES");
  tu_assert_error("memory", cnnrt_image_memory_to_input(m, data, len, "m.png", dst, 192),
                  CNNRT_ERR_LIMIT, "m.png: the image file is", "over CNNRT_LIMIT_IMAGE_BYTES");
  free(data);
  cnnrt_model_free(m);
}

/* Corrupted data: a PNG whose pixel data fails its checksum; JPEGs with stray bytes before
 * a marker or garbage in the entropy-coded data (decoder warnings: refused). */
Test(images_bad, corrupted) {
  size_t len;
  unsigned char *png = tu_read_file(IMAGES "rgb8.png", &len);
  size_t idat = find_chunk(png, len, "IDAT");
  cr_assert_gt(idat, 0);
  png[idat + 10] ^= 0x55;
  expect_file_error("PNG CRC", "crc.png", png, len, CNNRT_ERR_IMAGE, "cannot decode PNG");
  free(png);

  unsigned char *jpeg = tu_read_file(IMAGES "baseline_420.jpg", &len);
  size_t dht = find_marker(jpeg, len, 0xc4);
  cr_assert_gt(dht, 0);
  unsigned char *stray = malloc(len + 3);
  memcpy(stray, jpeg, dht);
  memcpy(stray + dht, "abc", 3);
  memcpy(stray + dht + 3, jpeg + dht, len - dht);
  expect_file_error("JPEG stray bytes", "stray.jpg", stray, len + 3, CNNRT_ERR_IMAGE,
                    "extraneous bytes before marker");
  free(stray);
  size_t sos = find_marker(jpeg, len, 0xda);
  cr_assert_gt(sos, 0);
  for (size_t i = sos + 20; i < len - 40; i += 7) jpeg[i] = 0xff; /* marker soup */
  expect_file_error("JPEG garbage", "garbage.jpg", jpeg, len, CNNRT_ERR_IMAGE,
                    "cannot decode JPEG");
  free(jpeg);
}

typedef struct {
  const char *name;
  const char *content;
  size_t len;
  const char *text;
} other_file;

static const other_file others[] = {
    {"a.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;", 13, "a GIF image; cnnrt reads JPEG and PNG"},
    {"a.bmp", "BM\x3a\0\0\0\0\0\0\0\x36\0\0\0", 14, "a BMP image"},
    {"a.webp", "RIFF\x1a\0\0\0WEBPVP8 ", 16, "a WebP image"},
    {"a.tif", "II*\0\x08\0\0\0", 8, "a TIFF image"},
    {"a.heic",
     "\0\0\0\x18"
     "ftypheic",
     12, "a HEIF/AVIF or MP4 file"},
    {"two.jpg", "\xff\xd8", 2, "not a readable JPEG image (truncated to 2 bytes)"},
    {"one.jpg", "\xff", 1, "truncated to 1 bytes"},
    {"soi_only.jpg", "\xff\xd8\xff", 3, "not a readable JPEG image"},
    {"sig_only.png", "\x89PNG\r\n\x1a\n", 8, "cannot decode PNG: the file ends early"},
    {"zeros.jpg", "\0\0\0\0\0\0\0\0\0\0", 10,
     "not a JPEG or PNG image (it starts with the bytes "
     "00 00 00 00 00 00 00 00"},
    {"x.png", "<html>", 6, "not a JPEG or PNG image (it starts with the bytes 3c 68 74 6d 6c 3e;"},
};

ParameterizedTestParameters(images_bad, other_files) {
  TU_ROW_PARAMS(others);
}

ParameterizedTest(size_t *row, images_bad, other_files) {
  const other_file *c = &others[*row];
  expect_file_error(c->name, c->name, c->content, c->len, CNNRT_ERR_IMAGE, c->text);
}

/* A FIFO is not read (opening it must not wait for a writer), nor a directory. */
Test(images_bad, fifo_and_directory, .timeout = 10) {
  char *dir = tu_temp_dir(), fifo[512], sub[512];
  snprintf(fifo, sizeof fifo, "%s/pipe.jpg", dir);
  snprintf(sub, sizeof sub, "%s/folder.png", dir);
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  cr_assert_eq(mkdir(sub, 0700), 0);
  cnnrt_model *m = rgb_model();
  float dst[192];
  tu_assert_error("fifo", cnnrt_image_file_to_input(m, fifo, dst, 192), CNNRT_ERR_IO, fifo,
                  "cannot read image: not a regular file");
  tu_assert_error("directory", cnnrt_image_file_to_input(m, sub, dst, 192), CNNRT_ERR_IO, sub,
                  "not a regular file (a directory)");
  cnnrt_model_free(m);
  tu_remove_dir(dir);
  free(dir);
}
