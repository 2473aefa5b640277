#!/usr/bin/python3
"""Writes the small images of tests/images/ that tests/test_images_formats.c decodes.

PNGs come from the tiny encoder below (not Pillow) so that every colour type, bit depth,
filter type, tRNS and Adam7 interlacing is covered exactly; their pixels follow the
formulas the C test recomputes (keep the two in step). JPEGs come from Pillow (Debian's
libjpeg-turbo underneath): baseline and progressive, 4:4:4 / 4:2:2 / 4:2:0, gray, CMYK as
Photoshop writes it (Adobe APP14 marker, inverted values) and the same without the marker,
EXIF + ICC segments, 1x1 and thin images; the C test checks them against their smooth
gradients with a tolerance. YCCK, 4:4:0, 4:1:1 and large JPEGs are made at test time with
TurboJPEG. Run: /usr/bin/python3 tests/make_test_images.py
"""
import os
import struct
import sys
import zlib

from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")
W, H = 23, 17  # odd: partial MCUs, partial Adam7 passes


# ---- the pixel formulas (tests/test_images_formats.c has the same) ---------------------
def rgb(x, y):
    return ((x * 37 + y * 11) & 255, (x * 5 + y * 71 + 13) & 255, (x * x + y * 3) & 255)


def gray(x, y):
    return (x * 29 + y * 53) & 255


def alpha(x, y):
    return (x * y * 7 + 5) & 255


def low_byte(x, y):  # the low byte of 16-bit samples, dropped by the decoder
    return (x * 7 + y * 13) & 255


def small(x, y, depth):  # a 1/2/4-bit gray sample
    return (x * 3 + y * 5) % (1 << depth)


def palette_colour(i):
    return ((i * 53 + 7) & 255, (i * 91 + 11) & 255, (i * 17 + 200) & 255)


def palette_index(x, y, depth):
    return (x * 7 + y * 3) % (1 << depth)


def smooth(x, y, w, h):  # the JPEG gradient
    fx = x / (w - 1) if w > 1 else 0.5
    fy = y / (h - 1) if h > 1 else 0.5
    return (round(255 * fx), round(255 * fy), round(255 * (1 - fx) * (1 - fy)))


# ---- a PNG encoder with every filter type and Adam7 --------------------------------------
def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, prev, bpp):
    out = bytearray([kind])
    for i, v in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((v - pred) & 255)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(path, w, h, colour_type, depth, pixel, palette=None, trns=None, interlace=False,
        extra=b""):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    bpp = max(1, channels * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw, row_number = bytearray(), 0
    for x0, y0, dx, dy in passes:
        xs, ys = range(x0, w, dx), range(y0, h, dy)
        if not xs or not ys:
            continue
        prev = None
        for y in ys:
            row = pack_row([s for x in xs for s in pixel(x, y)], depth)
            raw += filter_row(row_number % 5, row, prev, bpp)
            prev, row_number = row, row_number + 1
    data = zlib.compress(bytes(raw), 9)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth,
                                                               colour_type, 0, 0,
                                                               1 if interlace else 0))
    out += extra
    if palette:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    half = len(data) // 2  # two IDAT chunks
    out += chunk(b"IDAT", data[:half]) + chunk(b"IDAT", data[half:]) + chunk(b"IEND", b"")
    with open(os.path.join(OUT, path), "wb") as f:
        f.write(out)


def pngs():
    gamma = chunk(b"gAMA", struct.pack(">I", 45455)) + chunk(b"tEXt", b"Comment\0cnnrt")
    for d in (1, 2, 4):
        png("gray%d.png" % d, W, H, 0, d, lambda x, y, d=d: (small(x, y, d),))
    png("gray8.png", W, H, 0, 8, lambda x, y: (gray(x, y),), extra=gamma)
    png("gray16.png", W, H, 0, 16, lambda x, y: (gray(x, y) * 256 + low_byte(x, y),))
    png("gray8_trns.png", W, H, 0, 8, lambda x, y: (gray(x, y),), trns=struct.pack(">H", 29))
    png("graya8.png", W, H, 4, 8, lambda x, y: (gray(x, y), alpha(x, y)))
    png("graya16.png", W, H, 4, 16, lambda x, y: (gray(x, y) * 256 + low_byte(x, y),
                                                  alpha(x, y) * 257))
    for d in (1, 2, 4, 8):
        pal = [palette_colour(i) for i in range(1 << d)]
        png("pal%d.png" % d, W, H, 3, d, lambda x, y, d=d: (palette_index(x, y, d),), pal)
    pal = [palette_colour(i) for i in range(256)]
    png("pal8_trns.png", W, H, 3, 8, lambda x, y: (palette_index(x, y, 8),), pal,
        trns=bytes((i * 3) & 255 for i in range(100)))
    png("rgb8.png", W, H, 2, 8, rgb, extra=gamma)
    png("rgb16.png", W, H, 2, 16, lambda x, y: tuple(v * 256 + low_byte(x, y) for v in rgb(x, y)))
    png("rgb8_trns.png", W, H, 2, 8, rgb, trns=struct.pack(">HHH", 1, 2, 3))
    png("rgba8.png", W, H, 6, 8, lambda x, y: rgb(x, y) + (alpha(x, y),))
    png("rgba16.png", W, H, 6, 16, lambda x, y: tuple(v * 257 for v in rgb(x, y)) +
        (alpha(x, y) * 256,))
    png("rgb8_adam7.png", W, H, 2, 8, rgb, interlace=True)
    png("gray16_adam7.png", W, H, 0, 16, lambda x, y: (gray(x, y) * 256 + low_byte(x, y),),
        interlace=True)
    png("pal4_adam7.png", W, H, 3, 4, lambda x, y: (palette_index(x, y, 4),),
        [palette_colour(i) for i in range(16)], interlace=True)
    png("rgba8_adam7_1x1.png", 1, 1, 6, 8, lambda x, y: rgb(x, y) + (alpha(x, y),),
        interlace=True)
    png("rgb8_1x1.png", 1, 1, 2, 8, rgb)
    png("rgb8_tall_1x40.png", 1, 40, 2, 8, rgb)
    png("rgb8_wide_40x1.png", 40, 1, 2, 8, rgb)
    png("RGB8_UPPER.PNG", W, H, 2, 8, rgb)
    png("rgb8_named.jpg", W, H, 2, 8, rgb)  # a PNG with a JPEG name


# ---- JPEGs from Pillow ----------------------------------------------------------------
def gradient(w, h, mode="RGB"):
    img = Image.new("RGB", (w, h))
    img.putdata([smooth(x, y, w, h) for y in range(h) for x in range(w)])
    return img if mode == "RGB" else img.convert(mode)


def cmyk_image(w, h):
    """Inks: C follows x, M follows y, Y constant 64, K constant 32."""
    img = Image.new("CMYK", (w, h))
    img.putdata([(round(255 * x / (w - 1)), round(255 * y / (h - 1)), 64, 32)
                 for y in range(h) for x in range(w)])
    return img


def strip_adobe(data):
    """The same JPEG without its APP14 'Adobe' segment."""
    pos = 2
    while data[pos] == 0xFF and data[pos + 1] not in (0xDA, 0xD9):
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if data[pos + 1] == 0xEE and data[pos + 4:pos + 9] == b"Adobe":
            return data[:pos] + data[pos + 2 + length:]
        pos += 2 + length
    raise ValueError("no Adobe segment")


def jpegs():
    w, h = 37, 29
    for name, sub in (("444", 0), ("422", 1), ("420", 2)):
        gradient(w, h).save(os.path.join(OUT, "baseline_%s.jpg" % name), quality=95,
                            subsampling=sub)
    gradient(w, h).save(os.path.join(OUT, "progressive_420.jpg"), quality=95, subsampling=2,
                        progressive=True)
    gradient(w, h).save(os.path.join(OUT, "optimized_444.jpg"), quality=95, subsampling=0,
                        optimize=True)
    gradient(w, h, "L").save(os.path.join(OUT, "gray.jpg"), quality=95)
    gradient(w, h, "L").save(os.path.join(OUT, "gray_progressive.jpg"), quality=95,
                             progressive=True)
    gradient(w, h).save(os.path.join(OUT, "exif_icc.jpg"), quality=95,
                        exif=b"Exif\0\0MM\0*\0\0\0\x08\0\0", icc_profile=b"\0" * 300)
    gradient(w, h).save(os.path.join(OUT, "UPPER_CASE.JPG"), quality=95)
    gradient(w, h).save(os.path.join(OUT, "baseline_named.png"), "JPEG", quality=95)  # named .png
    gradient(1, 1).save(os.path.join(OUT, "tiny_1x1.jpg"), quality=95)
    gradient(1, 50).save(os.path.join(OUT, "tall_1x50.jpg"), quality=95)
    gradient(50, 1).save(os.path.join(OUT, "wide_50x1.jpg"), quality=95)
    cmyk_path = os.path.join(OUT, "cmyk_adobe.jpg")
    cmyk_image(w, h).save(cmyk_path, quality=95)
    with open(cmyk_path, "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "cmyk_no_adobe.jpg"), "wb") as f:
        f.write(strip_adobe(data))
    cmyk_image(w, h).save(os.path.join(OUT, "cmyk_adobe_progressive.jpg"), quality=95,
                          progressive=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    pngs()
    jpegs()
    files = sorted(os.listdir(OUT))
    print("%d images, %d bytes" % (len(files), sum(os.path.getsize(os.path.join(OUT, f))
                                                   for f in files)))


if __name__ == "__main__":
    sys.exit(main())
