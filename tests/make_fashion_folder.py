#!/usr/bin/python3
"""The first N Fashion-MNIST test images as a folder tree of JPEGs, one sub-folder per
class named by its slug (t_shirt_top/, trouser/, ...), for `cnnrt MODEL DIR
--labels-from-dirs`. Reuses the extraction helpers of tools/fashion_mnist_data.py.

    /usr/bin/python3 tests/make_fashion_folder.py DIR [--count 1000]
A complete tree (DIR/.complete holding the count) is kept and not written again.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import fashion_mnist_data as fm  # noqa: E402


def make_tree(out, count):
    """Writes out/<class slug>/<index>.jpg for the first `count` test images."""
    marker = out / ".complete"
    if marker.exists() and marker.read_text().strip() == str(count):
        return
    images, labels = fm.load_split("test")
    for i in range(count):
        folder = out / fm.slug(fm.CLASSES[labels[i]])
        folder.mkdir(parents=True, exist_ok=True)
        fm.save_jpeg(images[i], folder / f"{i:05d}.jpg")
    marker.write_text(f"{count}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path)
    p.add_argument("--count", type=int, default=1000)
    args = p.parse_args()
    make_tree(args.dir, args.count)
    print(f"make_fashion_folder: {args.count} test images under {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
