#!/usr/bin/python3
"""Export the classic tutorial CIFAR-10 network ("Tudui") to models/tudui_cifar10/.

The weights are PyTorch's default initialisation after torch.manual_seed(0): the model
is NOT trained (no dataset here); it exists for parity tests and benchmarks.
Also writes two synthetic 32x32 sample JPEGs and a README.md.

    /usr/bin/python3 tools/export_tudui.py [--out models/tudui_cifar10]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cnnrt_common import REPO_ROOT  # noqa: E402
from cnnrt_export import export  # noqa: E402

CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck"]
PREPROCESS = {"color": "rgb", "scale": 1 / 255,
              "mean": [0.4914, 0.4822, 0.4465], "std": [0.2470, 0.2435, 0.2616]}


class Tudui(nn.Module):
    """3x32x32 -> 3 x (conv 5x5 pad 2, maxpool 2) -> flatten -> 1024 -> 64 -> 10."""

    def __init__(self):
        super().__init__()
        self.model1 = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))

    def forward(self, x):
        return self.model1(x)


def make_tudui():
    """The network with torch.manual_seed(0) default-initialised weights."""
    torch.manual_seed(0)
    return Tudui().eval()


def synthetic_images():
    """Two 32x32 RGB images: a sky/sea gradient with a sun, and a red/white checkerboard."""
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float64)
    sky = np.stack([40 + 3 * yy, 90 + 3 * yy, 250 - 2 * yy], axis=-1)
    sky[yy > 20] = (20, 60, 140)
    sky[(yy - 8) ** 2 + (xx - 22) ** 2 < 16] = (255, 220, 60)
    checker = np.where((((yy // 8) + (xx // 8)) % 2 == 0)[..., None],
                       [220, 30, 30], [245, 245, 245])
    return {"gradient_sun.jpg": sky, "checkerboard.jpg": checker}


def write_samples(sample_dir):
    from PIL import Image

    sample_dir.mkdir(parents=True, exist_ok=True)
    for name, pixels in synthetic_images().items():
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB").save(
            sample_dir / name, quality=95)
    return sorted(synthetic_images())


def write_readme(path, sample_names):
    samples = "\n".join(f"- `samples/{name}`" for name in sample_names)
    path.write_text(f"""# Tudui CIFAR-10 network (untrained)

The classic PyTorch-tutorial CIFAR-10 network: Conv2d 3->32 k5 p2, MaxPool2d 2,
Conv2d 32->32 k5 p2, MaxPool2d 2, Conv2d 32->64 k5 p2, MaxPool2d 2, Flatten,
Linear 1024->64, Linear 64->10, exported to the cnnrt format.

**The weights are random** (PyTorch's default initialisation after
`torch.manual_seed(0)`); the model has not been trained and its predictions are
meaningless. It exists for parity tests against PyTorch and for benchmarks.

- Input: `[1, 3, 32, 32]`, RGB; preprocessing `(pixel / 255 - mean) / std` with the
  CIFAR-10 mean (0.4914, 0.4822, 0.4465) and std (0.2470, 0.2435, 0.2616)
- Output: 10 logits; labels are the CIFAR-10 class names

Regenerate (deterministic): `/usr/bin/python3 tools/export_tudui.py`

Synthetic 32x32 sample images (not CIFAR-10 images):

{samples}
""", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "tudui_cifar10")
    args = parser.parse_args()
    export(make_tudui(), torch.zeros(1, 3, 32, 32), args.out / "model.json",
           labels=CLASSES, preprocess=PREPROCESS)
    write_readme(args.out / "README.md", write_samples(args.out / "samples"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
