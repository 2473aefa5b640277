/* JPEG through libjpeg-turbo 2.1's TurboJPEG 2 API: tjDecompressHeader3, a size check,
 * then tjDecompress2. CMYK / YCCK images decode to CMYK and are converted here, since
 * TurboJPEG does not convert them; Adobe's marker says the CMYK values are inverted. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include "loader/image.h"
#include "runtime/checked.h"
#include "runtime/error.h"

/* What cnnrt reads from the marker segments itself (TurboJPEG 2 does not report it). */
typedef struct {
  int components; /* of the first frame header, 0 when none was seen */
  bool adobe;     /* an Adobe APP14 segment: Photoshop's inverted CMYK */
  int adobe_transform;
} jpeg_markers;

static bool is_frame_marker(uint8_t m) { /* SOF0..SOF15 but DHT, JPG and DAC */
  return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* Walks the marker segments from SOI up to the first scan. Stops quietly at anything odd:
 * libjpeg judges validity; this only learns what TurboJPEG 2 does not tell. */
static void scan_markers(const uint8_t *d, size_t len, jpeg_markers *mk) {
  size_t pos = 2; /* after SOI */
  memset(mk, 0, sizeof *mk);
  while (pos < len && d[pos] == 0xff) {
    while (pos < len && d[pos] == 0xff) pos++; /* fill bytes */
    if (pos >= len) return;
    uint8_t marker = d[pos++];
    if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker == 0xd9 || marker == 0xda || len - pos < 2) return; /* EOI, SOS, cut */
    size_t seg = (size_t)d[pos] << 8 | d[pos + 1];
    if (seg < 2 || seg > len - pos) return;
    const uint8_t *p = d + pos + 2;
    size_t n = seg - 2;
    if (is_frame_marker(marker) && n >= 6 && mk->components == 0) mk->components = p[5];
    if (marker == 0xee && n >= 12 && memcmp(p, "Adobe", 5) == 0) {
      mk->adobe = true;
      mk->adobe_transform = p[11];
    }
    pos += seg;
  }
}

/* In place, pixel by pixel, CMYK (4 bytes) to RGB (3 bytes): R = (1 - C)(1 - K) with ink
 * amounts; in Adobe's inverted files the stored values are already 1 - ink. */
static void cmyk_to_rgb(uint8_t *px, size_t pixels, bool inverted) {
  for (size_t i = 0; i < pixels; i++) {
    unsigned c = px[4 * i], m = px[4 * i + 1], y = px[4 * i + 2], k = px[4 * i + 3];
    if (!inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
    px[3 * i] = (uint8_t)((c * k + 127) / 255);
    px[3 * i + 1] = (uint8_t)((m * k + 127) / 255);
    px[3 * i + 2] = (uint8_t)((y * k + 127) / 255);
  }
}

/* The header: size and colour space. TurboJPEG 2 refuses sampling factors it has no
 * TJSAMP constant for, although tjDecompress2 decodes them; then the markers tell. */
static cnnrt_status read_header(tjhandle tj, const uint8_t *data, size_t len, const char *name,
                                const jpeg_markers *mk, int *width, int *height, int *colorspace) {
  int subsamp = -1;
  if (tjDecompressHeader3(tj, data, (unsigned long)len, width, height, &subsamp, colorspace) != 0) {
    const char *why = tjGetErrorStr2(tj);
    if (!strstr(why, "subsampling") || *width < 1 || *height < 1)
      return err_set(NULL, CNNRT_ERR_IMAGE, "%s: not a readable JPEG image (%s)", name, why);
    *colorspace = mk->components == 1   ? TJCS_GRAY
                  : mk->components == 4 ? (mk->adobe_transform == 2 ? TJCS_YCCK : TJCS_CMYK)
                                        : TJCS_YCbCr;
  }
  /* tjDecompressHeader3 succeeds without setting the size on a tables-only stream (which is
   * what a file cut inside its header looks like) */
  if (*width < 1 || *height < 1)
    return err_set(NULL, CNNRT_ERR_IMAGE,
                   "%s: not a readable JPEG image (no frame header: truncated file?)", name);
  return CNNRT_OK;
}

static cnnrt_status decode_with(tjhandle tj, const uint8_t *data, size_t len, const char *name,
                                int want, decoded_image *out) {
  int width = 0, height = 0, colorspace = -1;
  jpeg_markers mk;
  scan_markers(data, len, &mk);
  cnnrt_status st = read_header(tj, data, len, name, &mk, &width, &height, &colorspace);
  if (st != CNNRT_OK || (st = image_check_size((uint64_t)width, (uint64_t)height, name))) return st;
  bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  int format = cmyk ? TJPF_CMYK : want == 1 ? TJPF_GRAY : TJPF_RGB;
  size_t row = (size_t)width * (size_t)tjPixelSize[format], bytes;
  uint8_t *pixels = NULL;
  if (!mul_size(row, (size_t)height, &bytes) || !(pixels = malloc(bytes)))
    return err_set(NULL, CNNRT_ERR_MEMORY, "%s: out of memory decoding a %dx%d image", name, width,
                   height);
  /* Warnings fail too, and stop the decoder at once: truncated or corrupt data would leave
   * part of the picture garbage. LIMITSCANS refuses progressive files with absurdly many
   * scans (a CPU exhaustion trick). */
  int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj, data, (unsigned long)len, pixels, width, (int)row, height, format, flags) !=
      0) {
    bool warning = tjGetErrorCode(tj) == TJERR_WARNING;
    st = err_set(NULL, CNNRT_ERR_IMAGE, "%s: cannot decode JPEG: %s%s", name, tjGetErrorStr2(tj),
                 warning ? " (the data is truncated or corrupt)" : "");
    free(pixels);
    return st;
  }
  if (cmyk) cmyk_to_rgb(pixels, (size_t)width * (size_t)height, mk.adobe);
  out->pixels = pixels;
  out->width = width;
  out->height = height;
  out->channels = cmyk ? 3 : want;
  return CNNRT_OK;
}

cnnrt_status image_decode_jpeg(const uint8_t *data, size_t len, const char *name, int want,
                               decoded_image *out) {
  tjhandle tj = tjInitDecompress();
  if (!tj) return err_set(NULL, CNNRT_ERR_MEMORY, "%s: cannot start the JPEG decoder", name);
  cnnrt_status st = decode_with(tj, data, len, name, want, out);
  tjDestroy(tj);
  return st;
}
