#!/usr/bin/python3
"""Live parity matrix: cnnrt vs PyTorch, every op of format v1 under many parameters.

Each combo is a small module (or a whole model) built with a fixed seed, run in torch,
exported with tools/cnnrt_export.py and run with `cnnrt --input-f32/--output-f32`
(the declared batch in model.json and the run batch (--batch) often differ; --threads is
varied). A combo passes when

    max|cnnrt - torch| <= tol * max(1, max|torch|)

with tol = 1e-4 when the exported model contains a Conv2d on cnnrt's Winograd path (3x3
or 5x5, stride 1, >= 16 channels: see takes_winograd) or a transcendental op (Sigmoid, Tanh,
ELU, CELU, SELU, GELU, SiLU, Mish, Softplus, Softmax, LogSoftmax, Softmin) and 1e-5
otherwise; the "relative error" printed is max|cnnrt - torch| / max(1, max|torch|).
Inputs are randn * scale, for activations with some entries replaced by the op's edge
values (thresholds, clamp bounds, 0) and their float32 neighbours.

Exports are cached in WORKDIR/cache/<hash of combo, exporter and this file>/ (model,
input, torch output), so a rerun after a runtime change only runs cnnrt. torch work runs
in this one process while up to --jobs cnnrt processes run.

    /usr/bin/python3 tests/parity/run_parity.py [--cnnrt PATH] [--workdir build/parity]
        [--filter REGEX] [--jobs 2] [--export-only] [--list] [--no-cache]
Prints one line per op (`OP: n combos, worst relative error E`), the total
(`N combos, worst relative error E`) and last `N passed, N failed`.
Exit status: 0 all passed, 1 any failure, 2 usage / missing binary.
"""

import argparse
import hashlib
import itertools
import json
import random
import re
import shutil
import sys
import time
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import cnnrt_common  # noqa: E402
from cnnrt_common import REPO_ROOT  # noqa: E402
from cnnrt_export import export  # noqa: E402

TOLERANCE = 1e-5
TRANSCENDENTAL_TOLERANCE = 1e-4
TRANSCENDENTAL = {"Sigmoid", "Tanh", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish",
                  "Softplus", "Softmax", "LogSoftmax", "Softmin"}
BATCHES = [(1, 1), (1, 3), (3, 3), (3, 1), (2, 5)]   # (declared in model.json, run)
TWO_BATCHES = [(1, 1), (1, 4), (2, 2), (3, 5)]        # ops whose shape depends on the batch
THREADS = [None, 2, 1]
OP_ORDER = ["Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
            "AdaptiveMaxPool2d", "Flatten", "Unflatten", "Reshape", "Identity", "Dropout",
            "Dropout2d", "AlphaDropout", "BatchNorm2d", "ReLU", "ReLU6", "Sigmoid", "Tanh",
            "LeakyReLU", "PReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish", "Hardswish",
            "Hardsigmoid", "Hardtanh", "Softplus", "Softsign", "Threshold", "Softmax",
            "LogSoftmax", "Softmin", "model", "shipped model"]
SOURCES = [Path(__file__), REPO_ROOT / "tools" / "cnnrt_export.py",
           REPO_ROOT / "tools" / "cnnrt_common.py"]


@dataclass
class Combo:
    """One parity case: a module factory and the per-sample input shape (C, H, W)."""
    op: str                                # the op it tests (per-op summary line)
    desc: str
    make: Callable[[], nn.Module]
    chw: tuple
    scale: float = 1.0                     # input = randn * scale
    special: tuple = ()                    # edge values planted in the input
    json_path: Optional[Path] = None       # shipped model: run as is, no export
    may_be_invalid: bool = False           # generated params PyTorch may reject: drop
    keep_noops: bool = False               # export Dropout/Identity as their ops
    batches: Optional[list] = None         # explicit (declared, run) pairs
    declared: int = 1
    batch: int = 1
    threads: Optional[int] = None

    def key(self):
        """Unique per combo (the cache directory name is derived from it)."""
        key = self.label() + (" keep_noops" if self.keep_noops else "")
        if self.json_path is not None:   # a shipped model: its files are part of the key
            model = cnnrt_common.read_model(self.json_path)
            h = hashlib.sha1(Path(self.json_path).read_bytes())
            if "weights" in model:
                h.update((Path(self.json_path).parent / model["weights"]).read_bytes())
            key += " " + h.hexdigest()
        return key

    def label(self):
        threads = "" if self.threads is None else f" threads={self.threads}"
        return (f"{self.desc} input={[self.batch, *self.chw]} "
                f"declared_batch={self.declared}{threads}")


# --------------------------------------------------------------------------- modules

class Lambda(nn.Module):
    """Wraps a functional form (traced by torch.fx as call_function/call_method)."""

    def __init__(self, fn, *layers):
        super().__init__()
        self.fn = fn
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.fn(self.layers(x))


class FPReLU(nn.Module):
    """F.prelu with the module's own weight (a get_attr node in the fx graph)."""

    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n).uniform_(-1, 1))

    def forward(self, x):
        return F.prelu(x, self.weight)


def bn(num_features, **kwargs):
    """BatchNorm2d with random running statistics and affine parameters."""
    m = nn.BatchNorm2d(num_features, **kwargs)
    with torch.no_grad():
        if m.running_mean is not None:
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.25, 4)
        if m.affine:
            m.weight.uniform_(-2, 2)
            m.bias.uniform_(-1, 1)
    return m


def prelu(n):
    m = nn.PReLU(n)
    with torch.no_grad():
        m.weight.uniform_(-1, 1)
    return m


class LeNet(nn.Module):
    """Functional-style LeNet: F.relu, F.max_pool2d, x.view(x.size(0), -1), softmax."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 6, 5), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2 = nn.Linear(16 * 5 * 5, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), (2, 2))
        x = x.view(x.size(0), -1)
        return F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


class Nested(nn.Module):
    """Nested Sequentials with Dropout/Identity, ceil-mode pooling and a Sigmoid head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(inplace=True)),
            nn.MaxPool2d(3, 2, 1, ceil_mode=True),
            nn.Sequential(nn.Identity(), nn.Conv2d(8, 8, (1, 3), groups=4), nn.ReLU()))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5),
                                        nn.Linear(8 * 6 * 2, 5), nn.Sigmoid())

    def forward(self, x):
        return self.classifier(self.features(x))


class Separable(nn.Module):
    """Depthwise + pointwise conv, view(-1, K), Linear, Softmax(-1)."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6, bias=False)
        self.pw = nn.Conv2d(6, 12, 1)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.fc = nn.Linear(12 * 3 * 2, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.pw(self.dw(x))))
        return self.fc(x.view(-1, 12 * 3 * 2)).softmax(-1)


class Shared(nn.Module):
    """One Conv2d called twice: two nodes sharing the same weight tensors."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.sigmoid(self.conv(F.relu(self.conv(x))))


class Unusual(nn.Module):
    """Reflect-padded dilated grouped conv + BN + Hardswish + ceil-mode AvgPool2d +
    adaptive pool + Reshape + Linear + LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 12, 3, padding=2, dilation=2, groups=3,
                              padding_mode="reflect")
        self.bn = bn(12)
        self.act = nn.Hardswish()
        self.pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
        self.adapt = nn.AdaptiveAvgPool2d((3, None))
        self.fc = nn.Linear(6, 7)
        self.out = nn.LogSoftmax(dim=-1)

    def forward(self, x):
        x = self.adapt(self.pool(self.act(self.bn(self.conv(x)))))
        x = torch.reshape(x, (-1, 12 * 3, 6))
        return self.out(self.fc(x))


class Circular(nn.Module):
    """Circular depthwise conv (stride 2, multiplier 2) + BN(affine=False) + PReLU(C) +
    dilated ceil-mode MaxPool2d + replicate 'same' conv + GELU(tanh) + AdaptiveMaxPool2d
    with a None entry + Flatten + Linear + Softmin."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), groups=4,
                      padding_mode="circular"),
            bn(8, affine=False), prelu(8),
            nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True),
            nn.Conv2d(8, 6, (2, 3), padding="same", padding_mode="replicate", bias=False),
            nn.GELU(approximate="tanh"), nn.AdaptiveMaxPool2d((None, 3)))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(6 * 4 * 3, 5), nn.Softmin(1))

    def forward(self, x):
        return self.head(self.features(x))


class MobileBlock(nn.Module):
    """Conv-BN-ReLU6, depthwise-BN-ReLU6, pointwise-BN, squeeze-excite-like Hardsigmoid
    gate replaced by a chain (cnnrt graphs are chains), SiLU, AvgPool2d with
    divisor_override, Dropout, Linear, Softmax."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(8, 16, 3, 1, 1, groups=8, bias=False), bn(16),
                                nn.ReLU6(inplace=True))
        self.pw = nn.Sequential(nn.Conv2d(16, 8, 1, bias=False), bn(8), nn.Hardsigmoid(),
                                nn.SiLU())
        self.pool = nn.AvgPool2d(2, ceil_mode=True, divisor_override=3)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(8 * 4 * 3, 6),
                                  nn.Softmax(dim=1))

    def forward(self, x):
        return self.head(self.pool(self.pw(self.dw(self.stem(x)))))


class Functional(nn.Module):
    """Functional forms: F.elu, F.softplus, F.threshold, F.prelu, F.adaptive_avg_pool2d,
    x.unflatten, x.view(x.size(0), -1), F.leaky_relu, F.log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.slope = nn.Parameter(torch.empty(6).uniform_(-0.5, 0.5))
        self.fc = nn.Linear(6 * 2 * 2 * 2, 10)

    def forward(self, x):
        x = F.elu(self.conv(x), alpha=0.7)
        x = F.prelu(F.threshold(F.softplus(x, beta=2, threshold=3), 0.5, -1.0), self.slope)
        x = F.adaptive_avg_pool2d(F.avg_pool2d(x, 2, ceil_mode=True), (4, 2))
        x = x.unflatten(2, (2, 2)).flatten(2, 3)
        x = x.view(x.size(0), -1)
        return F.log_softmax(F.leaky_relu(self.fc(x), 0.2), dim=1)


class BatchStats(nn.Module):
    """BN with batch statistics, LeakyReLU, Tanh, Unflatten to 5-D, Softmax(dim=-1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.bn = bn(4, track_running_stats=False)
        self.rest = nn.Sequential(nn.LeakyReLU(0.3), nn.Tanh(), nn.Unflatten(1, (2, 2)),
                                  nn.Softmax(dim=-1))

    def forward(self, x):
        return self.rest(self.bn(self.conv(x)))


class Tutorial(nn.Module):
    """The classic tutorial: a 6-channel conv output reshaped to 3 channels to display."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, stride=1, padding=0)

    def forward(self, x):
        return torch.reshape(self.conv1(x), (-1, 3, 30, 30))


# --------------------------------------------------------------------------- conv

def conv(cin=4, cout=6, k=3, s=1, p=1, d=1, g=1, bias=True, mode="zeros", hw=(9, 7)):
    desc = (f"Conv2d(in_channels={cin}, out_channels={cout}, kernel_size={k}, stride={s}, "
            f"padding={p!r}, dilation={d}, groups={g}, bias={bias}, padding_mode={mode!r})")
    return Combo("Conv2d", desc, lambda: nn.Conv2d(cin, cout, k, s, p, d, g, bias, mode),
                 (cin, *hw), may_be_invalid=True)


def conv_combos():
    kernels = [1, 2, 3, 4, 5, (1, 3), (3, 1), (2, 5), (5, 2), (4, 3)]
    yield from (conv(k=k, p=0) for k in kernels)
    yield from (conv(k=k, p="same") for k in kernels)
    yield from (conv(s=s) for s in [2, 3, (1, 2), (2, 1), (3, 2)])
    yield from (conv(p=p) for p in [0, 2, (1, 2), (0, 2), (2, 0), "same", "valid"])
    yield from (conv(d=d) for d in [2, 3, (1, 2), (3, 1)])
    half = lambda k: k // 2 if isinstance(k, int) else (k[0] // 2, k[1] // 2)  # noqa: E731
    yield from (conv(cin=ci, cout=co, g=g, k=k, p=half(k))
                for ci, co, g, k in [(4, 6, 2, 3), (8, 8, 8, 3), (8, 16, 8, 3), (8, 12, 4, 5),
                                     (6, 9, 3, 3), (16, 16, 16, 5), (12, 6, 2, 1),
                                     (5, 15, 5, 3), (3, 12, 3, (3, 1))])
    yield from (conv(cin=ci, cout=co, k=k, p=k // 2, bias=b)
                for ci, co, k, b in [(1, 1, 3, True), (3, 16, 3, False), (16, 3, 3, True),
                                     (17, 33, 3, True), (64, 8, 3, False), (32, 32, 1, True),
                                     (1, 64, 5, True), (16, 16, 5, True), (20, 17, 5, False)])
    yield from (conv(k=k, s=s, p=p, hw=hw)
                for k, s, p, hw in [(1, 1, 0, (1, 1)), (3, 1, 1, (1, 1)), (3, 2, 1, (2, 2)),
                                    (3, 1, 1, (13, 5)), (3, 2, 1, (28, 28)),
                                    ((1, 5), 1, 0, (3, 17)), (5, 3, 2, (16, 3)),
                                    (2, 2, 0, (10, 10)), (7, 1, 3, (31, 1))])
    grid = itertools.product([1, 2, 3, (2, 5)], [1, 2, (1, 3)], [0, 1, (2, 1), "same", "valid"],
                             [1, 2], [1, 2])
    sizes = [(9, 7), (8, 11), (6, 6)]
    for i, (k, s, p, d, g) in enumerate(grid):
        if p == "same" and s != 1:
            continue   # PyTorch rejects padding='same' with stride > 1
        yield conv(k=k, s=s, p=p, d=d, g=g, bias=i % 2 == 0, hw=sizes[i % 3])


def padding_mode_combos():
    """Every padding_mode crossed with stride, dilation and padding; grouped/depthwise."""
    modes = ["zeros", "reflect", "replicate", "circular"]
    kernels = [3, (3, 2), (2, 3), 5]
    sizes = [(11, 9), (10, 13), (9, 9)]
    i = 0
    for mode, s, d in itertools.product(modes, [1, 2, (2, 1), 3], [1, 2, (1, 3)]):
        for p in [1, (2, 1), "same" if s == 1 else (0, 2), "valid"]:
            yield conv(k=kernels[i % 4], s=s, p=p, d=d, mode=mode, bias=i % 3 != 0,
                       hw=sizes[i % 3])
            i += 1
    for mode in modes:
        for cin, cout, g, s in [(8, 8, 8, 1), (8, 16, 8, 2), (6, 18, 6, 1), (4, 8, 2, 2),
                                (6, 12, 3, (1, 2))]:
            yield conv(cin=cin, cout=cout, k=3, s=s, p=1, d=1, g=g, mode=mode, hw=(12, 10))
        for k, p, hw in [(3, 2, (3, 3)), (5, 4, (5, 5)), (3, (1, 2), (2, 3)), (4, "same", (4, 7))]:
            yield conv(cin=2, cout=3, k=k, p=p, mode=mode, hw=hw)   # padding near the size


def random_conv_combos(count=150, seed=1234):
    """Seeded random Conv2d configurations, larger channel counts and sizes included."""
    rng = random.Random(seed)
    pick_pair = lambda lo, hi: rng.choice([rng.randint(lo, hi), (rng.randint(lo, hi),  # noqa
                                                                 rng.randint(lo, hi))])
    for _ in range(count):
        g = rng.choice([1, 1, 1, 2, 3, 4])
        cin, cout = g * rng.choice([1, 2, 3, 5, 8]), g * rng.choice([1, 2, 4, 7])
        if rng.random() < 0.15:   # depthwise, channel multiplier 1 or 2
            g, cout = cin, cin * rng.choice([1, 2])
        s = pick_pair(1, 3)
        p = rng.choice([pick_pair(0, 3), "valid"] + (["same"] if s == 1 else []))
        yield conv(cin, cout, pick_pair(1, 5), s, p, pick_pair(1, 3), g, rng.random() < 0.7,
                   rng.choice(["zeros"] * 4 + ["reflect", "replicate", "circular"]),
                   (rng.randint(1, 33), rng.randint(1, 33)))


# --------------------------------------------------------------------------- linear

def linear(fin, fout, bias, chw):
    desc = f"Flatten() + Linear(in_features={fin}, out_features={fout}, bias={bias})"
    return Combo("Linear", desc,
                 lambda: nn.Sequential(nn.Flatten(), nn.Linear(fin, fout, bias)), chw)


def linear_combos():
    for bias in (True, False):
        yield linear(12, 5, bias, (3, 2, 2))
        yield linear(1, 1, bias, (1, 1, 1))
        yield linear(105, 1, bias, (3, 5, 7))
        yield linear(1568, 128, bias, (32, 7, 7))
        yield linear(60, 64, bias, (5, 4, 3))
        yield linear(7, 33, bias, (7, 1, 1))
        yield Combo("Linear", f"Linear(in_features=7, out_features=3, bias={bias}) on the "
                    "last dim of a 4-D input", lambda b=bias: nn.Linear(7, 3, b), (2, 5, 7))
        yield Combo("Linear", f"Linear(in_features=7, out_features=3, bias={bias}) + ReLU "
                    "(fused)", lambda b=bias: nn.Sequential(nn.Linear(7, 3, b), nn.ReLU()),
                    (2, 5, 7))
        yield Combo("Linear", f"Flatten + Linear(20, 9, bias={bias}) + ReLU6 (fused)",
                    lambda b=bias: nn.Sequential(nn.Flatten(), nn.Linear(20, 9, b),
                                                 nn.ReLU6()), (5, 2, 2), 4.0,
                    batches=[(1, 1), (1, 5), (4, 4), (8, 3)])


# --------------------------------------------------------------------------- pooling

def maxpool(k, s=None, p=0, d=1, ceil=False, chw=(3, 9, 7)):
    desc = (f"MaxPool2d(kernel_size={k}, stride={s}, padding={p}, dilation={d}, "
            f"ceil_mode={ceil})")
    return Combo("MaxPool2d", desc, lambda: nn.MaxPool2d(k, s, p, d, ceil_mode=ceil), chw,
                 may_be_invalid=True)


def pool_out(size, k, s, p, d, ceil):
    """PyTorch's pooling output size (with the ceil_mode last-window rule)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def ceil_edge_cases(limit=8):
    """(size, k, s, p) where ceil_mode drops a window that would start in the padding."""
    found = []
    for size, k, s in itertools.product(range(3, 12), range(2, 5), range(2, 5)):
        for p in range(0, k // 2 + 1):
            naive = -(-(size + 2 * p - k) // s) + 1
            if pool_out(size, k, s, p, 1, True) != naive and len(found) < limit:
                found.append((size, k, s, p))
    return found


def maxpool_combos():
    grid = itertools.product([1, 2, 3, (2, 3), (3, 2)], [None, 1, 2, (2, 1), 3],
                             [0, 1, (1, 0)], [1, 2], [False, True])
    sizes = [(3, 9, 7), (2, 8, 11), (1, 5, 5)]
    for i, (k, s, p, d, ceil) in enumerate(grid):
        if ceil or (i // 2) % 2 == 0:   # every ceil_mode=True combo, half of the others
            yield maxpool(k, s, p, d, ceil, sizes[i % 3])
    for size, k, s, p in ceil_edge_cases():
        yield maxpool(k, s, p, 1, True, (2, size, size + 3))
        yield maxpool((k, 2), (s, 1), (p, 0), 1, True, (1, size, 6))
    for name, fn in [("F.max_pool2d(x, 3, 2, 1, ceil_mode=True)",
                      lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
                     ("F.max_pool2d(x, (2, 3), dilation=(2, 1))",
                      lambda x: F.max_pool2d(x, (2, 3), dilation=(2, 1))),
                     ("torch.max_pool2d(x, 2)", lambda x: torch.max_pool2d(x, 2))]:
        yield Combo("MaxPool2d", name, lambda fn=fn: Lambda(fn), (3, 11, 8))


def random_maxpool_combos(count=60, seed=4321):
    """Seeded random MaxPool2d configurations."""
    rng = random.Random(seed)
    for _ in range(count):
        k = (rng.randint(1, 5), rng.randint(1, 5))
        yield maxpool(k, (rng.randint(1, 4), rng.randint(1, 4)),
                      (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2)),
                      (rng.randint(1, 3), rng.randint(1, 3)), rng.random() < 0.5,
                      (rng.randint(1, 6), rng.randint(1, 25), rng.randint(1, 25)))


def avgpool(k, s=None, p=0, ceil=False, cip=True, div=None, chw=(3, 9, 7)):
    desc = (f"AvgPool2d(kernel_size={k}, stride={s}, padding={p}, ceil_mode={ceil}, "
            f"count_include_pad={cip}, divisor_override={div})")
    return Combo("AvgPool2d", desc, lambda: nn.AvgPool2d(k, s, p, ceil, cip, div), chw,
                 may_be_invalid=True)


def avgpool_combos():
    grid = itertools.product([1, 2, 3, (2, 3), (3, 2), 4], [None, 1, 2, (2, 1), 3],
                             [0, 1, (1, 0), (0, 2)])
    sizes = [(3, 9, 7), (2, 8, 11), (1, 5, 5), (2, 10, 10)]
    flags = list(itertools.product([False, True], [True, False], [None, None, 2, 5]))
    for i, (k, s, p) in enumerate(grid):
        ceil, cip, div = flags[i % len(flags)]
        yield avgpool(k, s, p, ceil, cip, div, sizes[i % 4])
    for size, k, s, p in ceil_edge_cases(12):
        for cip, div in [(True, None), (False, None), (True, 7)]:
            yield avgpool(k, s, p, True, cip, div, (2, size, size + 3))
        yield avgpool((k, 2), (s, 1), (p, 1), True, False, None, (1, size, 6))
    for name, fn in [("F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)",
                      lambda x: F.avg_pool2d(x, 3, 2, 1, True, False)),
                     ("F.avg_pool2d(x, (2, 3), divisor_override=4)",
                      lambda x: F.avg_pool2d(x, (2, 3), divisor_override=4)),
                     ("F.avg_pool2d(x, 2)", lambda x: F.avg_pool2d(x, 2)),
                     ("F.avg_pool2d(x, 3, stride=1, padding=1, divisor_override=-2)",
                      lambda x: F.avg_pool2d(x, 3, 1, 1, divisor_override=-2))]:
        yield Combo("AvgPool2d", name, lambda fn=fn: Lambda(fn), (3, 11, 8))
    rng = random.Random(777)
    for _ in range(40):
        k = (rng.randint(1, 5), rng.randint(1, 5))
        yield avgpool(k, (rng.randint(1, 4), rng.randint(1, 4)),
                      (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2)),
                      rng.random() < 0.5, rng.random() < 0.5,
                      rng.choice([None, None, rng.randint(1, 9)]),
                      (rng.randint(1, 4), rng.randint(1, 21), rng.randint(1, 21)))


def adaptive_combos():
    outputs = [1, 2, 3, (2, 3), (None, 2), (3, None), (5, 7), 9, (1, None), (None, None)]
    sizes = [(3, 8, 8), (2, 7, 5), (1, 13, 11), (2, 3, 4), (3, 1, 1), (1, 6, 17)]
    for i, (out, chw) in enumerate(itertools.product(outputs, sizes)):
        if i % 2 == 0:
            yield Combo("AdaptiveAvgPool2d", f"AdaptiveAvgPool2d({out!r})",
                        lambda o=out: nn.AdaptiveAvgPool2d(o), chw)
        else:
            yield Combo("AdaptiveMaxPool2d", f"AdaptiveMaxPool2d({out!r})",
                        lambda o=out: nn.AdaptiveMaxPool2d(o), chw)
    for i, (out, chw) in enumerate(itertools.product(outputs, sizes[:3])):
        op = ["AdaptiveMaxPool2d", "AdaptiveAvgPool2d"][i % 2]
        yield Combo(op, f"{op}({out!r}) (other half)",
                    lambda o=out, op=op: getattr(nn, op)(o), chw)
    for op, name, fn in [
            ("AdaptiveAvgPool2d", "F.adaptive_avg_pool2d(x, (3, None))",
             lambda x: F.adaptive_avg_pool2d(x, (3, None))),
            ("AdaptiveAvgPool2d", "F.adaptive_avg_pool2d(x, 1)",
             lambda x: F.adaptive_avg_pool2d(x, 1)),
            ("AdaptiveMaxPool2d", "F.adaptive_max_pool2d(x, (2, 4))",
             lambda x: F.adaptive_max_pool2d(x, (2, 4))),
            ("AdaptiveMaxPool2d", "F.adaptive_max_pool2d(x, 1)",
             lambda x: F.adaptive_max_pool2d(x, 1))]:
        yield Combo(op, name, lambda fn=fn: Lambda(fn), (3, 11, 8))
    # 8 planes at a time (the average's kernel), then the remaining planes one by one
    for out, chw in [(1, (20, 7, 7)), ((2, 3), (19, 9, 10)), (1, (64, 13, 13))]:
        yield Combo("AdaptiveAvgPool2d", f"AdaptiveAvgPool2d({out!r}), {chw[0]} channels",
                    lambda o=out: nn.AdaptiveAvgPool2d(o), chw)


# --------------------------------------------------------------------------- activations

def act(op, desc, make, chw=(3, 5, 7), scale=1.0, special=()):
    return Combo(op, desc, make, chw, scale, tuple(special))


SHAPES = [(3, 5, 7), (1, 1, 1), (16, 9, 9), (2, 17, 3)]
ZERO = (0.0, -0.0, 1e-40, -1e-40, 1e-7, -1e-7)


def activation_combos():
    def shapes(op, desc, make, special=(), scales=(1.0,)):
        for i, chw in enumerate(SHAPES):
            yield act(op, desc, make, chw, scales[i % len(scales)], special)

    # ReLU
    yield from shapes("ReLU", "ReLU()", nn.ReLU, ZERO, (1.0, 30.0, 1e4))
    yield act("ReLU", "ReLU(inplace=True)", lambda: nn.ReLU(inplace=True), special=ZERO)
    for name, fn in [("F.relu(x)", F.relu), ("torch.relu(x)", torch.relu),
                     ("x.relu()", lambda x: x.relu()), ("F.relu(x, inplace=True)",
                                                        lambda x: F.relu(x, inplace=True)),
                     ("torch.relu_(x)", torch.relu_), ("x.relu_()", lambda x: x.relu_())]:
        yield act("ReLU", name, lambda fn=fn: Lambda(fn), (4, 6, 5), special=ZERO)
    yield act("ReLU", "Conv2d + ReLU (fused)", lambda: nn.Sequential(
        nn.Conv2d(3, 5, 3), nn.ReLU()), (3, 7, 6))
    # ReLU6
    six = (6.0, 0.0, 5.9999995, 6.0000005, 1e-40, -1e-40)
    yield from shapes("ReLU6", "ReLU6()", nn.ReLU6, six, (4.0, 1.0, 10.0))
    yield act("ReLU6", "ReLU6(inplace=True)", lambda: nn.ReLU6(True), scale=5, special=six)
    yield act("ReLU6", "F.relu6(x)", lambda: Lambda(F.relu6), scale=5, special=six)
    yield act("ReLU6", "Conv2d + ReLU6 (fused)", lambda: nn.Sequential(
        nn.Conv2d(3, 5, 3), nn.ReLU6()), (3, 7, 6), 6.0)
    # Sigmoid / Tanh
    for op, module, fns in [
            ("Sigmoid", nn.Sigmoid, [("torch.sigmoid(x)", torch.sigmoid),
                                     ("x.sigmoid()", lambda x: x.sigmoid()),
                                     ("F.sigmoid(x)", F.sigmoid),
                                     ("torch.sigmoid_(x)", torch.sigmoid_)]),
            ("Tanh", nn.Tanh, [("torch.tanh(x)", torch.tanh), ("x.tanh()", lambda x: x.tanh()),
                               ("F.tanh(x)", F.tanh), ("x.tanh_()", lambda x: x.tanh_())])]:
        yield from shapes(op, f"{op}()", module, (0.0, 88.7, -88.7, 20.0, -20.0, 1e-40),
                          (1.0, 30.0, 1e4, 5.0))
        for name, fn in fns:
            yield act(op, name, lambda fn=fn: Lambda(fn), (4, 6, 5), 3.0)
    # LeakyReLU
    for i, slope in enumerate([0.01, 0.2, 0.0, 1.0, -0.5, 3.0, 1e-6]):
        yield act("LeakyReLU", f"LeakyReLU(negative_slope={slope})",
                  lambda s=slope, ip=i % 2 == 1: nn.LeakyReLU(s, inplace=ip), SHAPES[i % 4],
                  special=ZERO)
    yield act("LeakyReLU", "F.leaky_relu(x, 0.3)", lambda: Lambda(lambda x: F.leaky_relu(x, 0.3)),
              special=ZERO)
    yield act("LeakyReLU", "F.leaky_relu_(x, 0.1)",
              lambda: Lambda(lambda x: F.leaky_relu_(x, 0.1)), special=ZERO)
    # PReLU
    for n, chw in [(1, (3, 5, 7)), (3, (3, 5, 7)), (16, (16, 9, 9)), (1, (1, 1, 1)),
                   (1, (16, 4, 4)), (2, (2, 17, 3))]:
        yield act("PReLU", f"PReLU(num_parameters={n}) random weight",
                  lambda n=n: prelu(n), chw, special=ZERO)
    yield act("PReLU", "Flatten + PReLU(num_parameters=105) on 2-D",
              lambda: nn.Sequential(nn.Flatten(), prelu(105)), (3, 5, 7))
    yield act("PReLU", "Flatten + PReLU(1) on 2-D", lambda: nn.Sequential(nn.Flatten(), prelu(1)),
              (3, 5, 7))
    yield act("PReLU", "F.prelu(x, weight[C])", lambda: FPReLU(4), (4, 3, 5), special=ZERO)
    yield act("PReLU", "F.prelu(x, weight[1])", lambda: FPReLU(1), (4, 3, 5))
    yield act("PReLU", "nn.PReLU() default init 0.25", nn.PReLU, (2, 4, 4))
    # ELU / CELU / SELU
    for i, alpha in enumerate([1.0, 0.5, 2.0, 0.0, -1.0, 1e-3]):
        yield act("ELU", f"ELU(alpha={alpha})",
                  lambda a=alpha, ip=i % 2 == 0: nn.ELU(a, inplace=ip),
                  SHAPES[i % 4], [1.0, 10.0, 1e4][i % 3], ZERO + (-88.0, -1e-3))
    yield act("ELU", "F.elu(x, 0.7)", lambda: Lambda(lambda x: F.elu(x, 0.7)), special=ZERO)
    yield act("ELU", "F.elu_(x, 1.5)", lambda: Lambda(lambda x: F.elu_(x, 1.5)), special=ZERO)
    for i, alpha in enumerate([1.0, 0.5, 2.0, 3.5, -1.0, 1e-3]):
        yield act("CELU", f"CELU(alpha={alpha})",
                  lambda a=alpha, ip=i % 2 == 0: nn.CELU(a, inplace=ip),
                  SHAPES[i % 4], [1.0, 10.0, 1e4][i % 3], ZERO + (-88.0, -1e-3))
    yield act("CELU", "F.celu(x, alpha=0.3)", lambda: Lambda(lambda x: F.celu(x, alpha=0.3)),
              special=ZERO)
    yield act("CELU", "torch.celu(x)", lambda: Lambda(torch.celu), special=ZERO)
    yield from shapes("SELU", "SELU()", nn.SELU, ZERO + (-88.0,), (1.0, 10.0, 1e4))
    yield act("SELU", "SELU(inplace=True)", lambda: nn.SELU(True), special=ZERO)
    yield act("SELU", "F.selu(x)", lambda: Lambda(F.selu), special=ZERO)
    yield act("SELU", "torch.selu(x)", lambda: Lambda(torch.selu), scale=3.0)
    # GELU / SiLU / Mish
    for approx in ("none", "tanh"):
        yield from shapes("GELU", f"GELU(approximate={approx!r})",
                          lambda a=approx: nn.GELU(approximate=a), ZERO + (-5.0, 5.0, -10.0),
                          (1.0, 5.0, 1e4))
        yield act("GELU", f"F.gelu(x, approximate={approx!r})",
                  lambda a=approx: Lambda(lambda x: F.gelu(x, approximate=a)), scale=3.0)
    yield act("GELU", "F.gelu(x)", lambda: Lambda(F.gelu), scale=2.0)
    for op, module, fn in [("SiLU", nn.SiLU, F.silu), ("Mish", nn.Mish, F.mish)]:
        yield from shapes(op, f"{op}()", module, ZERO + (-20.0, 20.0, 21.0, -88.0),
                          (1.0, 20.0, 1e4))
        yield act(op, f"{op}(inplace=True)", lambda m=module: m(inplace=True), scale=3.0)
        yield act(op, f"F.{op.lower()}(x)", lambda fn=fn: Lambda(fn), scale=3.0)
    # Hardswish / Hardsigmoid / Hardtanh
    hard = (-3.0, 3.0, 0.0, -2.9999998, 3.0000002, 2.9999998, -3.0000002)
    for op, module, fn in [("Hardswish", nn.Hardswish, F.hardswish),
                           ("Hardsigmoid", nn.Hardsigmoid, F.hardsigmoid)]:
        yield from shapes(op, f"{op}()", module, hard, (3.0, 1.0, 1e4))
        yield act(op, f"{op}(inplace=True)", lambda m=module: m(inplace=True), scale=3.0,
                  special=hard)
        yield act(op, f"F.{op.lower()}(x)", lambda fn=fn: Lambda(fn), scale=3.0, special=hard)
    for i, (lo, hi) in enumerate([(-1.0, 1.0), (0.0, 6.0), (-0.5, 2.0), (-3.0, -1.0),
                                  (1.0, 1.5), (-1e-3, 1e-3), (-2.5, 1e4)]):
        edge = (lo, hi, float(np.nextafter(np.float32(lo), np.float32(-1e9))),
                float(np.nextafter(np.float32(hi), np.float32(1e9))))
        yield act("Hardtanh", f"Hardtanh(min_val={lo}, max_val={hi})",
                  lambda lo=lo, hi=hi, ip=i % 2 == 1: nn.Hardtanh(lo, hi, inplace=ip),
                  SHAPES[i % 4], 2.0, edge)
    yield act("Hardtanh", "F.hardtanh(x, -2, 0.5)",
              lambda: Lambda(lambda x: F.hardtanh(x, -2.0, 0.5)), scale=2.0)
    yield act("Hardtanh", "F.hardtanh_(x)", lambda: Lambda(lambda x: F.hardtanh_(x)),
              scale=2.0, special=(-1.0, 1.0))
    # Softplus
    for i, (beta, threshold) in enumerate([(1.0, 20.0), (2.0, 10.0), (0.5, 5.0), (1.0, 1.0),
                                           (3.0, 0.5), (1.0, 0.0), (-1.0, 20.0),
                                           (10.0, 2.0)]):
        t = np.float32(threshold / beta)
        edge = (float(t), float(np.nextafter(t, np.float32(1e9))),
                float(np.nextafter(t, np.float32(-1e9))), 0.0, -20.0, 25.0)
        yield act("Softplus", f"Softplus(beta={beta}, threshold={threshold})",
                  lambda b=beta, t=threshold: nn.Softplus(b, t), SHAPES[i % 4],
                  [2.0, 10.0, 1e4][i % 3], edge)
    yield act("Softplus", "F.softplus(x, beta=2, threshold=3)",
              lambda: Lambda(lambda x: F.softplus(x, beta=2, threshold=3)), scale=3.0,
              special=(1.5, 1.4999999, 1.5000001))
    yield act("Softplus", "F.softplus(x)", lambda: Lambda(F.softplus), scale=30.0)
    # Softsign
    yield from shapes("Softsign", "Softsign()", nn.Softsign, ZERO, (1.0, 100.0, 1e4))
    yield act("Softsign", "F.softsign(x)", lambda: Lambda(F.softsign), scale=3.0)
    # Threshold
    for i, (t, v) in enumerate([(0.0, 0.0), (0.5, -2.0), (-1.0, 3.0), (1e-3, 1e4),
                                (2.0, 2.0), (-0.25, -0.25)]):
        edge = (t, float(np.nextafter(np.float32(t), np.float32(1e9))),
                float(np.nextafter(np.float32(t), np.float32(-1e9))), 0.0)
        yield act("Threshold", f"Threshold(threshold={t}, value={v})",
                  lambda t=t, v=v, ip=i % 2 == 1: nn.Threshold(t, v, inplace=ip), SHAPES[i % 4],
                  special=edge)
    yield act("Threshold", "F.threshold(x, 0.1, 20)",
              lambda: Lambda(lambda x: F.threshold(x, 0.1, 20.0)), special=(0.1,))
    yield act("Threshold", "torch.threshold(x, -0.5, 1)",
              lambda: Lambda(lambda x: torch.threshold(x, -0.5, 1.0)), special=(-0.5,))


def softmax_combos():
    for op in ("Softmax", "LogSoftmax", "Softmin"):
        module = getattr(nn, op)
        for dim, scale in itertools.product(range(-4, 4), (1.0, 1e4)):
            yield Combo(op, f"{op}(dim={dim}) on randn*{scale:g}",
                        lambda dim=dim, m=module: m(dim), (5, 4, 3), scale)
        for dim, scale in itertools.product(range(-2, 2), (1.0, 1e4)):
            yield Combo(op, f"Flatten() + {op}(dim={dim}) on randn*{scale:g} (2-D)",
                        lambda dim=dim, m=module: nn.Sequential(nn.Flatten(), m(dim)),
                        (3, 3, 5), scale)
        yield Combo(op, f"{op}() (implicit dim=1)", lambda m=module: m(), (4, 2, 3))
        yield Combo(op, f"Flatten() + {op}() (implicit dim=1 on 2-D)",
                    lambda m=module: nn.Sequential(nn.Flatten(), m()), (4, 2, 3), 30.0)
        yield Combo(op, f"{op}(dim=1) on 1 channel", lambda m=module: m(1), (1, 3, 3))
        yield Combo(op, f"Flatten(0) + {op}(dim=0) (1-D, whole batch)",
                    lambda m=module: nn.Sequential(nn.Flatten(0), m(0)), (2, 3, 2), 5.0)
        yield Combo(op, f"Flatten() + Linear(60, 10) + {op}(dim=1)",
                    lambda m=module: nn.Sequential(nn.Flatten(), nn.Linear(60, 10), m(1)),
                    (5, 3, 4), 100.0)
    yield Combo("Softmax", "Softmax2d()", nn.Softmax2d, (4, 3, 5), 10.0)
    for op, name, fn in [
            ("Softmax", "F.softmax(x, 2)", lambda x: F.softmax(x, 2)),
            ("Softmax", "x.softmax(-1)", lambda x: x.softmax(-1)),
            ("Softmax", "torch.softmax(x, dim=-3)", lambda x: torch.softmax(x, dim=-3)),
            ("LogSoftmax", "F.log_softmax(x, dim=1)", lambda x: F.log_softmax(x, dim=1)),
            ("LogSoftmax", "torch.log_softmax(x, -1)", lambda x: torch.log_softmax(x, -1)),
            ("LogSoftmax", "x.log_softmax(0)", lambda x: x.log_softmax(0)),
            ("Softmin", "F.softmin(x, dim=-2)", lambda x: F.softmin(x, dim=-2)),
            ("Softmin", "F.softmin(x, 3)", lambda x: F.softmin(x, 3))]:
        yield Combo(op, name, lambda fn=fn: Lambda(fn), (6, 2, 3), 1e4)


# --------------------------------------------------------------------------- shapes

def flatten_combos():
    for start, end in [(1, -1), (0, -1), (0, 0), (2, 3), (1, 2), (0, 1), (-3, -1), (2, -1),
                       (3, 3), (-1, -1), (1, 1), (-4, -2), (0, 2)]:
        yield Combo("Flatten", f"Flatten(start_dim={start}, end_dim={end})",
                    lambda s=start, e=end: nn.Flatten(s, e), (3, 5, 4))
    for name, fn in [("torch.flatten(x)", torch.flatten),
                     ("x.flatten(1)", lambda x: x.flatten(1)),
                     ("x.view(x.size(0), -1)", lambda x: x.view(x.size(0), -1)),
                     ("x.view(-1, 60)", lambda x: x.view(-1, 60)),
                     ("x.reshape(x.shape[0], -1)", lambda x: x.reshape(x.shape[0], -1)),
                     ("x.view(x.size(0), x.size(1) * x.size(2) * x.size(3))",
                      lambda x: x.view(x.size(0), x.size(1) * x.size(2) * x.size(3)))]:
        yield Combo("Flatten", name, lambda fn=fn: Lambda(fn), (3, 5, 4))


def reshape_combos():
    """Reshape (and Unflatten) at two batch sizes: declared != run batch."""
    cases = [
        ("Reshape", "tutorial: Conv2d(3, 6, 3) + torch.reshape(x, (-1, 3, 30, 30))",
         Tutorial, (3, 32, 32)),
        ("Reshape", "x.view(x.size(0), 4, -1)", lambda: Lambda(lambda x: x.view(x.size(0), 4, -1)),
         (4, 3, 5)),
        ("Reshape", "x.reshape(-1)", lambda: Lambda(lambda x: x.reshape(-1)), (2, 3, 5)),
        ("Reshape", "x.view(-1, 5)", lambda: Lambda(lambda x: x.view(-1, 5)), (2, 3, 5)),
        ("Reshape", "x.reshape(x.shape[0], x.shape[1] * x.shape[2], -1)",
         lambda: Lambda(lambda x: x.reshape(x.shape[0], x.shape[1] * x.shape[2], -1)),
         (3, 4, 5)),
        ("Reshape", "x.view(x.size(0), -1, 2, 2)",
         lambda: Lambda(lambda x: x.view(x.size(0), -1, 2, 2)), (3, 4, 4)),
        ("Reshape", "x.reshape(2, -1)", lambda: Lambda(lambda x: x.reshape(2, -1)), (2, 3, 4)),
        ("Reshape", "x.view(1, -1)", lambda: Lambda(lambda x: x.view(1, -1)), (2, 3, 4)),
        ("Reshape", "x.view(x.size(0), 2, 2, -1, 1, 3) (6-D)",
         lambda: Lambda(lambda x: x.view(x.size(0), 2, 2, -1, 1, 3)), (4, 3, 5)),
        ("Reshape", "Conv2d + x.view(x.size(0), 8, -1) + Softmax(-1)",
         lambda: nn.Sequential(nn.Conv2d(3, 8, 3), Lambda(lambda x: x.view(x.size(0), 8, -1)),
                               nn.Softmax(-1)), (3, 6, 7)),
        ("Reshape", "x.reshape(x.size(0) * 2, -1, 5)",
         lambda: Lambda(lambda x: x.reshape(x.size(0) * 2, -1, 5)), (4, 5, 3)),
        ("Reshape", "torch.reshape(x, (-1, 3, 2, 10)).relu()",
         lambda: Lambda(lambda x: torch.reshape(x, (-1, 3, 2, 10)).relu()), (6, 5, 2)),
        ("Reshape", "x.view(x.size(0), 4, -1) followed by view(x.size(0), -1) (Flatten)",
         lambda: Lambda(lambda x: x.view(x.size(0), 4, -1).view(x.size(0), -1)), (4, 3, 5)),
        ("Unflatten", "Unflatten(1, (2, -1))", lambda: nn.Unflatten(1, (2, -1)), (4, 5, 3)),
        ("Unflatten", "Unflatten(-1, (3, 1))", lambda: nn.Unflatten(-1, (3, 1)), (2, 4, 3)),
        ("Unflatten", "Unflatten(2, (5, 1))", lambda: nn.Unflatten(2, (5, 1)), (2, 5, 3)),
        ("Unflatten", "Unflatten(-3, (1, 2, 2))", lambda: nn.Unflatten(-3, (1, 2, 2)), (4, 3, 3)),
        ("Unflatten", "Flatten() + Unflatten(1, (3, 4, 5)) round trip",
         lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4, 5))), (3, 4, 5)),
        ("Unflatten", "Flatten() + Linear + Unflatten(1, (2, 3, -1))",
         lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 18), nn.Unflatten(1, (2, 3, -1))),
         (3, 2, 2)),
        ("Unflatten", "x.unflatten(1, (2, 2))", lambda: Lambda(lambda x: x.unflatten(1, (2, 2))),
         (4, 3, 3)),
        ("Unflatten", "torch.unflatten(x, -2, (-1, 2))",
         lambda: Lambda(lambda x: torch.unflatten(x, -2, (-1, 2))), (3, 4, 3)),
        ("Unflatten", "x.flatten(0, 1).unflatten(0, (-1, 4)) (batch dim)",
         lambda: Lambda(lambda x: x.flatten(0, 1).relu().unflatten(0, (-1, 4))), (4, 3, 2)),
        ("Unflatten", "x.flatten(0, 1).unflatten(0, (x.size(0), x.size(1))) (batch dim)",
         lambda: Lambda(lambda x: x.flatten(0, 1).relu().unflatten(0, (x.size(0), x.size(1)))),
         (4, 3, 2)),
        ("Unflatten", "Unflatten(1, (2, 3)) + Softmax(2) (5-D)",
         lambda: nn.Sequential(nn.Unflatten(1, (2, 3)), nn.Softmax(2)), (6, 2, 3)),
    ]
    for op, desc, make, chw in cases:
        yield Combo(op, desc, make, chw, batches=TWO_BATCHES)
    yield Combo("Reshape", "x.view(-1, 3, 20) + Linear(20, 4) (last dim)",
                lambda: nn.Sequential(Lambda(lambda x: x.view(-1, 3, 20)), nn.Linear(20, 4)),
                (3, 4, 5), batches=TWO_BATCHES)


def noop_combos():
    """Identity / Dropout* exported as their ops (keep_noops) and skipped (default)."""
    for op, make in [("Identity", nn.Identity), ("Dropout", lambda: nn.Dropout(0.3)),
                     ("Dropout", lambda: nn.Dropout(p=1.0, inplace=True)),
                     ("Dropout2d", lambda: nn.Dropout2d(0.5)),
                     ("AlphaDropout", lambda: nn.AlphaDropout(0.2))]:
        for keep in (True, False):
            what = "exported" if keep else "skipped"
            yield Combo(op, f"Conv2d + {make()!r} ({what}) + ReLU",
                        lambda make=make: nn.Sequential(nn.Conv2d(3, 4, 3), make(), nn.ReLU()),
                        (3, 6, 5), keep_noops=keep)
            yield Combo(op, f"{make()!r} ({what}) + Sigmoid + {make()!r}",
                        lambda make=make: nn.Sequential(make(), nn.Sigmoid(), make()),
                        (2, 3, 4), keep_noops=keep)
    yield Combo("Dropout", "F.dropout(x, training=False) (skipped)",
                lambda: Lambda(lambda x: F.dropout(x, 0.5, training=False).relu()), (2, 3, 4))


def batchnorm_combos():
    """BatchNorm2d after a conv (folded), after ReLU (standalone), affine and
    track_running_stats on/off, different eps and momentum=None."""
    variants = [dict(), dict(affine=False), dict(eps=1e-3), dict(eps=0.5, momentum=None),
                dict(track_running_stats=False), dict(affine=False, track_running_stats=False)]
    for i, kw in enumerate(variants):
        text = ", ".join(f"{k}={v}" for k, v in kw.items())
        yield Combo("BatchNorm2d", f"Conv2d(bias={i % 2 == 0}) + BatchNorm2d({text}) (folded)",
                    lambda kw=kw, b=i % 2 == 0: nn.Sequential(nn.Conv2d(3, 6, 3, bias=b),
                                                              bn(6, **kw)),
                    (3, 7, 6))
        yield Combo("BatchNorm2d", f"Conv2d + ReLU + BatchNorm2d({text}) (standalone)",
                    lambda kw=kw: nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.ReLU(),
                                                bn(5, **kw)), (3, 6, 6))
        yield Combo("BatchNorm2d", f"BatchNorm2d({text}) on the input",
                    lambda kw=kw: bn(4, **kw), (4, 5, 3), 3.0)
        yield Combo("BatchNorm2d", f"Conv2d + BatchNorm2d({text}) + ReLU (fold + fuse)",
                    lambda kw=kw: nn.Sequential(nn.Conv2d(4, 8, 3, 2, 1), bn(8, **kw),
                                                nn.ReLU()), (4, 9, 8))
        yield Combo("BatchNorm2d", f"depthwise Conv2d + BatchNorm2d({text}) + ReLU6",
                    lambda kw=kw: nn.Sequential(nn.Conv2d(6, 12, 3, 1, 1, groups=6, bias=False),
                                                bn(12, **kw), nn.ReLU6()), (6, 7, 7))
        yield Combo("BatchNorm2d", f"reflect dilated Conv2d + BatchNorm2d({text}) + Hardswish",
                    lambda kw=kw: nn.Sequential(nn.Conv2d(3, 4, 3, 1, 2, 2,
                                                          padding_mode="reflect"),
                                                bn(4, **kw), nn.Hardswish()), (3, 8, 9))
    yield Combo("BatchNorm2d", "BatchNorm2d(1) on 1x1 planes", lambda: bn(1), (1, 1, 1))
    yield Combo("BatchNorm2d", "BatchNorm2d(32) + BatchNorm2d(32)",
                lambda: nn.Sequential(bn(32), bn(32)), (32, 3, 3))
    yield Combo("BatchNorm2d", "Conv2d + BatchNorm2d + BatchNorm2d (second standalone)",
                lambda: nn.Sequential(nn.Conv2d(2, 3, 1), bn(3), bn(3)), (2, 4, 4))
    yield Combo("BatchNorm2d", "Conv2d + BatchNorm2d(track_running_stats=False) at batch > 1",
                lambda: nn.Sequential(nn.Conv2d(2, 3, 3), bn(3, track_running_stats=False)),
                (2, 6, 5), batches=[(1, 4), (4, 4), (3, 2)])
    yield Combo("BatchNorm2d", "Conv2d + ReLU + BatchNorm2d(eps=1e-5) + Linear",
                lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), bn(4), nn.Flatten(),
                                      nn.Linear(4 * 3 * 3, 5)), (3, 5, 5))


def model_combos():
    models = [("LeNet (functional)", LeNet, (3, 32, 32)),
              ("Nested (Sequentials, Dropout, Identity)", Nested, (2, 11, 7)),
              ("Separable (depthwise, view(-1, K))", Separable, (6, 11, 7)),
              ("Shared (a Conv2d called twice)", Shared, (4, 6, 5)),
              ("Unusual (reflect dilated grouped conv, BN, Hardswish, ceil AvgPool, "
               "adaptive, Reshape, Linear, LogSoftmax)", Unusual, (6, 13, 11)),
              ("Circular (circular depthwise, BN affine=False, PReLU(C), dilated ceil "
               "MaxPool, replicate same conv, GELU tanh, AdaptiveMaxPool (None, 3), Softmin)",
               Circular, (4, 17, 15)),
              ("MobileBlock (Conv-BN-ReLU6, depthwise, Hardsigmoid, SiLU, divisor_override)",
               MobileBlock, (3, 15, 11)),
              ("Functional (F.elu, F.softplus, F.threshold, F.prelu, F.avg_pool2d, "
               "unflatten, view)", Functional, (3, 8, 8)),
              ("BatchStats (BN batch statistics, Unflatten 5-D, Softmax(-1))", BatchStats,
               (2, 6, 7)),
              ("conv-relu-pool-flatten-linear", lambda: nn.Sequential(
                  nn.Conv2d(3, 8, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(8, 16, (3, 5), stride=(1, 2), padding=(1, 2)), nn.ReLU(),
                  nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.Flatten(),
                  nn.Linear(16 * 4 * 2, 10)), (3, 15, 13))]
    for name, make, chw in models:
        yield Combo("model", f"model {name}", make, chw, batches=[(1, 1), (1, 3), (2, 2)])


def large_combos():
    """Larger tensors: work split over threads, packed GEMM panels, long softmax rows."""
    big = [(1, 2), (2, 2)]
    cases = [
        ("Conv2d", "large Conv2d(32, 64, 3, padding=1)", lambda: nn.Conv2d(32, 64, 3, padding=1),
         (32, 40, 40), 1.0),
        ("Conv2d", "large Conv2d(256, 256, 3, padding=1) (deep 3x3 stride 1)",
         lambda: nn.Conv2d(256, 256, 3, padding=1), (256, 14, 14), 1.0),
        ("Conv2d", "large Conv2d(128, 128, 3, padding=1, bias=False) + BN + ReLU",
         lambda: nn.Sequential(nn.Conv2d(128, 128, 3, padding=1, bias=False), bn(128),
                               nn.ReLU()), (128, 16, 16), 1.0),
        ("Conv2d", "large Conv2d(32, 32, 5, padding=2) (5x5 stride 1, as in tudui)",
         lambda: nn.Conv2d(32, 32, 5, padding=2), (32, 16, 16), 1.0),
        ("Conv2d", "large Conv2d(32, 64, 5, padding=2) + ReLU (fused)",
         lambda: nn.Sequential(nn.Conv2d(32, 64, 5, padding=2), nn.ReLU()), (32, 8, 8), 1.0),
        ("Conv2d", "large Conv2d(17, 24, 5) (5x5, no padding, odd size)",
         lambda: nn.Conv2d(17, 24, 5), (17, 13, 11), 1.0),
        ("Conv2d", "large Conv2d(24, 16, 5, padding=1, bias=False) + BN + ReLU",
         lambda: nn.Sequential(nn.Conv2d(24, 16, 5, padding=1, bias=False), bn(16),
                               nn.ReLU()), (24, 15, 9), 1.0),
        ("Conv2d", "large Conv2d(256, 64, 5, padding=2) (deep 5x5 stride 1)",
         lambda: nn.Conv2d(256, 64, 5, padding=2), (256, 10, 10), 1.0),
        # the Winograd variants on 8x8 tiles and the other choices (ops/conv2d_run.c)
        ("Conv2d", "large Conv2d(16, 32, 5, padding=2) (F(4x4, 5x5), 32x32 map)",
         lambda: nn.Conv2d(16, 32, 5, padding=2), (16, 32, 32), 1.0),
        ("Conv2d", "large Conv2d(128, 96, 5, padding=2) + ReLU (F(4x4, 5x5), 7x7 map)",
         lambda: nn.Sequential(nn.Conv2d(128, 96, 5, padding=2), nn.ReLU()), (128, 7, 7), 1.0),
        ("Conv2d", "large Conv2d(32, 32, 5, padding=2) (F(2x2, 5x5), 2x2 map)",
         lambda: nn.Conv2d(32, 32, 5, padding=2), (32, 2, 2), 1.0),
        ("Conv2d", "large Conv2d(32, 48, 3, padding=1) (F(6x6, 3x3), 24x24 map)",
         lambda: nn.Conv2d(32, 48, 3, padding=1), (32, 24, 24), 1.0),
        ("Conv2d", "large Conv2d(64, 64, 3, padding=1, bias=False) + BN + ReLU (F(6x6, 3x3))",
         lambda: nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, bias=False), bn(64),
                               nn.ReLU()), (64, 18, 18), 1.0),
        ("Conv2d", "large Conv2d(256, 256, 3, padding=1) (F(6x6, 3x3), deep, 18x18 map)",
         lambda: nn.Conv2d(256, 256, 3, padding=1), (256, 18, 18), 1.0),
        ("Conv2d", "large Conv2d(512, 512, 3, padding=1) (F(2x2, 3x3), deep, 7x7 map)",
         lambda: nn.Conv2d(512, 512, 3, padding=1), (512, 7, 7), 1.0),
        ("Conv2d", "large Conv2d(64, 48, 3, padding=1, bias=False) + BN + ReLU (F(2x2, 3x3))",
         lambda: nn.Sequential(nn.Conv2d(64, 48, 3, padding=1, bias=False), bn(48),
                               nn.ReLU()), (64, 9, 9), 1.0),
        ("Conv2d", "large Conv2d(40, 24, 3) (F(2x2, 3x3), no padding, 6x7 map)",
         lambda: nn.Conv2d(40, 24, 3), (40, 8, 9), 1.0),
        ("Conv2d", "large Conv2d(384, 384, 3, padding=1) (F(2x2, 3x3): big weights, 10x10)",
         lambda: nn.Conv2d(384, 384, 3, padding=1), (384, 10, 10), 1.0),
        ("Conv2d", "large depthwise Conv2d(16, 32, 3, groups=16, reflect)",
         lambda: nn.Conv2d(16, 32, 3, padding=1, groups=16, padding_mode="reflect"),
         (16, 64, 63), 1.0),
        ("Conv2d", "large Conv2d(3, 24, 7, stride=2, padding=3, circular) + BN + ReLU",
         lambda: nn.Sequential(nn.Conv2d(3, 24, 7, 2, 3, padding_mode="circular"), bn(24),
                               nn.ReLU()), (3, 97, 101), 1.0),
        ("MaxPool2d", "large MaxPool2d(3, 2, 1)", lambda: nn.MaxPool2d(3, 2, 1), (32, 64, 64), 1.0),
        ("AvgPool2d", "large AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)",
         lambda: nn.AvgPool2d(3, 2, 1, True, False), (32, 63, 65), 1.0),
        ("AdaptiveAvgPool2d", "large AdaptiveAvgPool2d(7)", lambda: nn.AdaptiveAvgPool2d(7),
         (64, 30, 30), 1.0),
        ("AdaptiveMaxPool2d", "large AdaptiveMaxPool2d((5, 9))",
         lambda: nn.AdaptiveMaxPool2d((5, 9)), (64, 31, 29), 1.0),
        ("BatchNorm2d", "large BatchNorm2d(64)", lambda: bn(64), (64, 32, 32), 2.0),
        ("BatchNorm2d", "large BatchNorm2d(64, track_running_stats=False)",
         lambda: bn(64, track_running_stats=False), (64, 32, 32), 2.0),
        ("Softmax", "large Softmax(dim=1)", lambda: nn.Softmax(1), (64, 32, 32), 10.0),
        ("LogSoftmax", "large LogSoftmax(dim=-1)", lambda: nn.LogSoftmax(-1), (8, 32, 512), 10.0),
        ("Softmin", "large Softmin(dim=0)", lambda: nn.Softmin(0), (8, 32, 64), 10.0),
        ("GELU", "large GELU()", nn.GELU, (64, 32, 32), 3.0),
        ("PReLU", "large PReLU(64)", lambda: prelu(64), (64, 32, 32), 1.0),
        ("Linear", "large Flatten + Linear(4096, 256)",
         lambda: nn.Sequential(nn.Flatten(), nn.Linear(4096, 256)), (16, 16, 16), 1.0),
        ("Linear", "large Linear(512, 100) + ReLU on the last dim",
         lambda: nn.Sequential(nn.Linear(512, 100), nn.ReLU()), (4, 8, 512), 1.0),
    ]
    for op, desc, make, chw, scale in cases:
        yield Combo(op, desc, make, chw, scale, batches=big)


def load_shipped(module, json_path):
    """`module` with the weights read back from a shipped model's blob."""
    state = {k: torch.from_numpy(v) for k, v in cnnrt_common.read_state_dict(json_path).items()}
    module.load_state_dict(state, strict=True)
    return module


def shipped_combos():
    from export_tudui import Tudui
    from train_fashion_mnist import FashionCNN

    for name, cls, chw in [("fashion_mnist", FashionCNN, (1, 28, 28)),
                           ("tudui_cifar10", Tudui, (3, 32, 32))]:
        path = REPO_ROOT / "models" / name / "model.json"
        for batch in (1, 3):
            yield Combo("shipped model", f"shipped model {name}",
                        lambda c=cls, p=path: load_shipped(c(), p), chw, json_path=path,
                        batch=batch)


def all_combos():
    """Every combo, with batch sizes and thread counts assigned round-robin (or from the
    combo's own list of batches)."""
    groups = [conv_combos(), padding_mode_combos(), random_conv_combos(), linear_combos(),
              maxpool_combos(), random_maxpool_combos(), avgpool_combos(), adaptive_combos(),
              activation_combos(), softmax_combos(), flatten_combos(), reshape_combos(),
              noop_combos(), batchnorm_combos(), model_combos(), large_combos()]
    combos, seen = [], set()
    for i, combo in enumerate(itertools.chain(*groups)):
        pairs = combo.batches or [BATCHES[i % len(BATCHES)]]
        for j, (declared, batch) in enumerate(pairs):
            c = Combo(**{**combo.__dict__, "declared": declared, "batch": batch,
                         "threads": THREADS[(i + j) % len(THREADS)]})
            if c.key() not in seen:   # the same combo from two generators: run it once
                seen.add(c.key())
                combos.append(c)
    return combos + list(shipped_combos())


# --------------------------------------------------------------------------- running

@dataclass
class Job:
    combo: Combo
    json_path: Path
    x: np.ndarray
    expected: np.ndarray
    workdir: Path
    tolerance: float


@dataclass
class Result:
    combo: Combo
    status: str              # "pass", "fail"
    error: float = 0.0       # max abs error / max(1, max|torch|)
    message: str = ""
    tolerance: float = TOLERANCE


def sources_digest():
    """Hash of the files that decide an export (cache key part)."""
    h = hashlib.sha1(torch.__version__.encode())
    for path in SOURCES:
        h.update(path.read_bytes())
    return h.hexdigest()


def takes_winograd(node):
    """Whether cnnrt may run this node on its Winograd path (F(2x2, 3x3), F(4x4, 3x3),
    F(6x6, 3x3), F(2x2, 5x5) or F(4x4, 5x5); the rule of conv2d_choose_path in ops/conv2d_run.c): its
    rounding grows with the input channels (~1e-5 relative at 256), so such models are
    judged at the project's general 1e-4."""
    p = node.get("params", {})

    def pair(key, default):
        v = p.get(key, default)
        return v if isinstance(v, list) else [v, v]
    return (node["op"] == "Conv2d" and pair("kernel_size", 0) in ([3, 3], [5, 5])
            and pair("stride", 1) == [1, 1] and pair("dilation", 1) == [1, 1]
            and p.get("groups", 1) == 1 and p.get("padding_mode", "zeros") == "zeros"
            and p.get("in_channels", 0) >= 16 and p.get("out_channels", 0) >= 16)


def tolerance_of(json_path):
    nodes = cnnrt_common.read_model(json_path)["nodes"]
    if {n["op"] for n in nodes} & TRANSCENDENTAL or any(takes_winograd(n) for n in nodes):
        return TRANSCENDENTAL_TOLERANCE
    return TOLERANCE


def make_input(combo, seed):
    x = torch.randn((combo.batch, *combo.chw),
                    generator=torch.Generator().manual_seed(seed)) * combo.scale
    if combo.special:
        rng = np.random.default_rng(seed)
        mask = rng.random(x.shape) < 0.3
        picks = rng.choice(np.asarray(combo.special, dtype=np.float32), size=x.shape)
        x = torch.from_numpy(np.where(mask, picks, x.numpy()).astype(np.float32))
    return x


def prepare(combo, cache_dir, digest, use_cache, used):
    """Torch reference and export of one combo (cached). Returns a Job, a Result, or
    None (parameters PyTorch rejects)."""
    key = hashlib.sha1((digest + combo.key()).encode()).hexdigest()[:20]
    workdir = cache_dir / key
    used.add(key)
    meta_path = workdir / "meta.json"
    if use_cache and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta["status"] == "invalid":
            return None
        json_path = combo.json_path or workdir / "model.json"
        return Job(combo, json_path, np.load(workdir / "x.npy"),
                   np.load(workdir / "expected.npy"), workdir, meta["tolerance"])
    seed = zlib.crc32(combo.label().encode())
    torch.manual_seed(seed)
    x = make_input(combo, seed)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        module = combo.make().eval()
        with torch.no_grad():
            expected = module(x.clone()).numpy()
    except (RuntimeError, ValueError) as e:
        if combo.may_be_invalid or combo.declared != combo.batch:
            meta_path.write_text(json.dumps({"status": "invalid", "message": str(e)}))
            return None   # parameters PyTorch rejects (e.g. kernel > input)
        return Result(combo, "fail", float("inf"), f"torch failed: {e}")
    json_path = combo.json_path
    if json_path is None:
        json_path = workdir / "model.json"
        try:
            export(module, torch.zeros((combo.declared, *combo.chw)), json_path,
                   keep_noops=combo.keep_noops)
        except Exception as e:   # an exporter bug must not stop the run
            return Result(combo, "fail", float("inf"), f"export failed: {e}")
    tolerance = tolerance_of(json_path)
    np.save(workdir / "x.npy", x.numpy())
    np.save(workdir / "expected.npy", expected)
    meta_path.write_text(json.dumps({"status": "ok", "tolerance": tolerance,
                                     "label": combo.label()}))
    return Job(combo, json_path, x.numpy(), expected, workdir, tolerance)


def execute(job, cnnrt):
    """Run one job through cnnrt and judge it."""
    combo = job.combo
    try:
        actual = cnnrt_common.run_raw(cnnrt, job.json_path, job.x, combo.threads, job.workdir)
    except Exception as e:   # non-zero exit, timeout, unreadable output, ...
        return Result(combo, "fail", float("inf"), f"cnnrt failed: {e}", job.tolerance)
    if actual.size != job.expected.size:
        return Result(combo, "fail", float("inf"),
                      f"output has {actual.size} values, torch has {job.expected.size} "
                      f"(shape {list(job.expected.shape)})", job.tolerance)
    scale = max(1.0, float(np.abs(job.expected).max()) if job.expected.size else 1.0)
    err = cnnrt_common.max_abs_error(job.expected, actual) / scale
    if err <= job.tolerance:
        return Result(combo, "pass", err, tolerance=job.tolerance)
    return Result(combo, "fail", err, f"max abs error {err * scale:.3g} > tolerance "
                  f"{job.tolerance * scale:.3g}", job.tolerance)


def run(combos, cnnrt, cache_dir, jobs, use_cache):
    """Prepare in this thread while up to `jobs` cnnrt processes run; returns Results."""
    futures, invalid, used = [], 0, set()
    digest = sources_digest()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for combo in combos:
            job = prepare(combo, cache_dir, digest, use_cache, used)
            if job is None:
                invalid += 1
            elif isinstance(job, Result):
                futures.append(job)
            elif cnnrt is None:
                futures.append(Result(combo, "pass", tolerance=job.tolerance))
            else:
                futures.append(pool.submit(execute, job, cnnrt))
        results = [f if isinstance(f, Result) else f.result() for f in futures]
    if invalid:
        print(f"({invalid} parameter combinations rejected by PyTorch itself were dropped)")
    return results, used


def report(results, verbose=False):
    """Print failures, the per-op lines and the summary; returns the number of failures."""
    for r in results:
        if r.status == "fail":
            print(f"FAIL [{r.combo.op}] {r.combo.label()}: {r.message}")
    by_op = {}
    for r in results:
        by_op.setdefault(r.combo.op, []).append(r)
    for op in sorted(by_op, key=lambda o: OP_ORDER.index(o) if o in OP_ORDER else 99):
        rs = by_op[op]
        worst = max(r.error for r in rs)
        tols = sorted({f"{r.tolerance:g}" for r in rs})
        failed = sum(r.status == "fail" for r in rs)
        print(f"{op}: {len(rs)} combos, worst relative error {worst:.3g}"
              f" (tolerance {'/'.join(tols)}){f', {failed} FAILED' if failed else ''}")
        if verbose:
            print(f"    worst: {max(rs, key=lambda r: r.error).combo.label()}")
    passed = sum(r.status == "pass" for r in results)
    failed = sum(r.status == "fail" for r in results)
    worst = max((r.error for r in results), default=0.0)
    print(f"{len(results)} combos, worst relative error {worst:.3g}")
    return passed, failed


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cnnrt", help="cnnrt binary (default $CNNRT_BIN or build/cnnrt)")
    p.add_argument("--workdir", type=Path, default=REPO_ROOT / "build" / "parity")
    p.add_argument("--filter", help="only combos whose op or description matches this regex")
    p.add_argument("--jobs", type=int, default=2, help="parallel cnnrt processes")
    p.add_argument("--export-only", action="store_true",
                   help="export and run torch only (no cnnrt needed)")
    p.add_argument("--no-cache", action="store_true", help="re-export every combo")
    p.add_argument("--list", action="store_true", help="list the combos and exit")
    p.add_argument("--verbose", action="store_true", help="name each op's worst combo")
    return p.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")   # deprecations, 'same' padding, F.sigmoid, ...
    combos = all_combos()
    if args.filter:
        combos = [c for c in combos if re.search(args.filter, f"{c.op}: {c.label()}")]
    if args.list:
        print("\n".join(f"[{c.op}] {c.label()}" for c in combos))
        return 0
    cnnrt = None
    if not args.export_only:
        try:
            cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
        except FileNotFoundError as e:
            print(f"run_parity: {e}", file=sys.stderr)
            return 2
    cache_dir = args.workdir / "cache"
    shutil.rmtree(args.workdir / "combos", ignore_errors=True)   # the old uncached layout
    start = time.time()
    results, used = run(combos, cnnrt, cache_dir, args.jobs, not args.no_cache)
    if not args.filter and cache_dir.is_dir():   # drop entries of older sources
        for stale in cache_dir.iterdir():
            if stale.name not in used and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    passed, failed = report(results, args.verbose)
    print(f"({time.time() - start:.1f} s{', export only' if cnnrt is None else ''})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
