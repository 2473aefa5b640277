#!/usr/bin/python3
"""Train a small CNN on Fashion-MNIST and export it to models/fashion_mnist/.

Writes model.json + model.bin (cnnrt format), samples/*.jpg (one test image per class)
and README.md. Deterministic (fixed seed, 2 threads); takes a few minutes on 2 cores.

    /usr/bin/python3 tools/train_fashion_mnist.py [--epochs 5] [--out models/fashion_mnist]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fashion_mnist_data as fm  # noqa: E402
from cnnrt_common import REPO_ROOT  # noqa: E402
from cnnrt_export import export  # noqa: E402

SEED = 0
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
PREPROCESS = {"color": "gray", "scale": 1 / 255, "mean": [fm.MEAN], "std": [fm.STD]}


class FashionCNN(nn.Module):
    """conv-relu-pool x2, then two linear layers: 1x28x28 -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def to_tensor(images):
    """uint8 [N, 28, 28] -> normalised float [N, 1, 28, 28] (as the preprocess does)."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - fm.MEAN) / fm.STD


def train(model, images, labels, epochs):
    """Adam, cross-entropy, shuffled mini-batches from a seeded generator."""
    x, y = to_tensor(images), torch.from_numpy(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    for epoch in range(epochs):
        start, total = time.time(), 0.0
        for idx in torch.randperm(len(x), generator=generator).split(BATCH_SIZE):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f} "
              f"({time.time() - start:.0f} s)", flush=True)


@torch.no_grad()
def accuracy(model, images, labels):
    """Top-1 accuracy of `model` on uint8 images."""
    model.eval()
    logits = torch.cat([model(to_tensor(images[i:i + 1000]))
                        for i in range(0, len(images), 1000)])
    return float((logits.argmax(1).numpy() == labels).mean())


def write_samples(images, labels, sample_dir):
    """First test image of each class -> samples/<class>_<test index>.jpg."""
    sample_dir.mkdir(parents=True, exist_ok=True)
    samples = []
    for cls, label in enumerate(fm.CLASSES):
        index = int(np.flatnonzero(labels == cls)[0])
        name = f"{fm.slug(label)}_{index}.jpg"
        fm.save_jpeg(images[index], sample_dir / name)
        samples.append((name, index, label))
    return samples


def write_readme(path, acc, epochs, samples):
    rows = "\n".join(f"| `samples/{name}` | {index} | {label} |"
                     for name, index, label in samples)
    path.write_text(f"""# Fashion-MNIST classifier

A small CNN (Conv2d 1->16 k3 p1, ReLU, MaxPool2d 2, Conv2d 16->32 k3 p1, ReLU,
MaxPool2d 2, Flatten, Linear 1568->128, ReLU, Linear 128->10) trained on the
Fashion-MNIST training set, exported to the cnnrt format (`model.json` + `model.bin`).

- Test accuracy (10,000 test images, measured in PyTorch): **{acc * 100:.2f}%**
- Input: `[1, 1, 28, 28]`, grayscale; preprocessing `x = (pixel / 255 - {fm.MEAN}) / {fm.STD}`
- Output: 10 logits (no softmax layer), labels in `model.json`

Reproduce (seed {SEED}, {epochs} epochs of Adam lr {LEARNING_RATE}, batch {BATCH_SIZE},
2 threads; a few minutes on 2 cores):

    /usr/bin/python3 tools/train_fashion_mnist.py --epochs {epochs}

Classify the samples:

    build/cnnrt models/fashion_mnist/model.json models/fashion_mnist/samples/*.jpg --top 3

Sample images (the first test-set image of each class, 28x28 gray JPEG, quality 95):

| file | test index | true label |
|---|---|---|
{rows}
""", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "fashion_mnist")
    args = parser.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    train_images, train_labels = fm.load_split("train")
    test_images, test_labels = fm.load_split("test")

    model = FashionCNN()
    train(model, train_images, train_labels, args.epochs)
    acc = accuracy(model, test_images, test_labels)
    print(f"torch test accuracy: {acc * 100:.2f}% ({len(test_labels)} images)")

    export(model, torch.zeros(1, 1, 28, 28), args.out / "model.json",
           labels=fm.CLASSES, preprocess=PREPROCESS)
    samples = write_samples(test_images, test_labels, args.out / "samples")
    write_readme(args.out / "README.md", acc, args.epochs, samples)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
