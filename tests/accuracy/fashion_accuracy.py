#!/usr/bin/python3
"""Fashion-MNIST accuracy of cnnrt on JPEGs, compared with PyTorch on the same JPEGs.

Extracts the first N test images as JPEG (quality 95) into a cache folder (reused when
present), classifies them with `cnnrt models/fashion_mnist/model.json IMG... --json
--top 1`, and reports cnnrt's accuracy and torch's (same weights, read back from the
model's blob; same JPEGs decoded by PIL with the model's preprocessing).

    /usr/bin/python3 tests/accuracy/fashion_accuracy.py [--count 1000] [--min 0.89]
        [--workdir build/fashion_test_jpeg] [--cnnrt PATH]
Exit status: 0 ok, 1 cnnrt accuracy below --min (or cnnrt failed), 2 missing binary.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import cnnrt_common  # noqa: E402
import fashion_mnist_data as fm  # noqa: E402

MODEL = ROOT / "models" / "fashion_mnist" / "model.json"


def extract_jpegs(count, workdir):
    """First `count` test images as workdir/<index>.jpg (kept); returns (paths, labels)."""
    images, labels = fm.load_split("test")
    workdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = workdir / f"{i:05d}.jpg"
        if not path.exists():
            fm.save_jpeg(images[i], path)
        paths.append(path)
    return paths, labels[:count]


def cnnrt_predictions(cnnrt, paths):
    """Top-1 class index per image according to cnnrt."""
    results = cnnrt_common.classify_images(cnnrt, MODEL, [str(p) for p in paths], top=1)
    for path, result in zip(paths, results):
        if Path(result["image"]).name != path.name:
            raise cnnrt_common.CnnrtError([], 0, f"result for {result['image']}, "
                                          f"expected {path}")
    return np.array([r["top"][0]["index"] for r in results])


def torch_predictions(paths):
    """Top-1 class index per image from PyTorch (PIL decode + reference preprocess)."""
    import torch
    from train_fashion_mnist import FashionCNN

    model = FashionCNN().eval()
    state = cnnrt_common.read_state_dict(MODEL)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    spec = cnnrt_common.read_model(MODEL)
    x = torch.from_numpy(np.stack([cnnrt_common.preprocess_image(p, spec) for p in paths]))
    with torch.no_grad():
        return model(x).argmax(1).numpy()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=1000, help="number of test images")
    p.add_argument("--min", type=float, default=0.89, help="minimum cnnrt accuracy")
    p.add_argument("--workdir", type=Path, default=ROOT / "build" / "fashion_test_jpeg")
    p.add_argument("--cnnrt", help="cnnrt binary (default $CNNRT_BIN or build/cnnrt)")
    return p.parse_args()


def main():
    args = parse_args()
    try:
        cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
    except FileNotFoundError as e:
        print(f"fashion_accuracy: {e}", file=sys.stderr)
        return 2
    paths, labels = extract_jpegs(args.count, args.workdir)
    try:
        ours = cnnrt_predictions(cnnrt, paths)
    except cnnrt_common.CnnrtError as e:
        print(f"fashion_accuracy: {e}", file=sys.stderr)
        return 1
    theirs = torch_predictions(paths)
    acc, torch_acc = float((ours == labels).mean()), float((theirs == labels).mean())
    print(f"cnnrt accuracy: {acc:.4f} ({int((ours == labels).sum())}/{len(labels)})")
    print(f"torch accuracy: {torch_acc:.4f} (same JPEGs, PIL decode)")
    print(f"cnnrt and torch disagree on {int((ours != theirs).sum())} image(s)")
    if acc < args.min:
        print(f"FAIL: cnnrt accuracy {acc:.4f} < {args.min}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
