"""Fashion-MNIST: reading the IDX files (gzip + numpy) and writing sample JPEGs."""

import gzip
import re
from pathlib import Path

import numpy as np

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530
JPEG_QUALITY = 95


def _read_idx(path, header_ints):
    """Payload (uint8) of an IDX file after its magic and `header_ints` 32-bit ints."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = np.frombuffer(data, dtype=">i4", count=1 + header_ints)
    return header[1:], np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + header_ints))


def load_split(split, data_dir=DATA_DIR):
    """Images uint8 [N, 28, 28] and labels int64 [N] of split "train" or "t10k"/"test"."""
    prefix = "t10k" if split in ("t10k", "test") else "train"
    dims, pixels = _read_idx(Path(data_dir, f"{prefix}-images-idx3-ubyte.gz"), 3)
    _, labels = _read_idx(Path(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), 1)
    return pixels.reshape(dims), labels.astype(np.int64)


def slug(label):
    """File-name friendly class name: 'T-shirt/top' -> 't_shirt_top'."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def save_jpeg(image, path):
    """Write a uint8 [H, W] image as a grayscale JPEG (quality 95)."""
    from PIL import Image

    Image.fromarray(image, mode="L").save(path, quality=JPEG_QUALITY)
