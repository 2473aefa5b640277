#!/usr/bin/python3
"""Live parity test: cnnrt vs PyTorch on many small exported modules.

Every op of format v1 is exercised under many parameter combinations (plus a few
chained models and the two shipped models). Each combo is exported into
WORKDIR/combos/<n>/, run with `cnnrt --input-f32/--output-f32` (batch 1 or 3, the
declared batch sometimes different, --threads varied) and compared with torch.
A combo passes when max|cnnrt - torch| <= 1e-4 * max(1, max|torch|); the "relative
error" reported is max|cnnrt - torch| / max(1, max|torch|).

Conv2d padding modes other than "zeros" count as "skipped (unsupported)" when cnnrt
rejects them with an error mentioning padding_mode; a wrong answer is a failure.

    /usr/bin/python3 tests/parity/run_parity.py [--cnnrt PATH] [--workdir build/parity]
        [--filter REGEX] [--jobs 2] [--export-only] [--list]
Exit status: 0 all passed, 1 any failure, 2 usage / missing binary.
"""

import argparse
import itertools
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

TOLERANCE = 1e-4
BATCHES = [(1, 1), (1, 3), (3, 3), (3, 1)]   # (declared in model.json, run)
THREADS = [None, 2, 1]


@dataclass
class Combo:
    """One parity case: a module factory and the per-sample input shape (C, H, W)."""
    desc: str
    make: Callable[[], nn.Module]
    chw: tuple
    scale: float = 1.0                     # input = randn * scale
    unsupported_ok: Optional[str] = None   # stderr keyword of an accepted rejection
    json_path: Optional[Path] = None       # shipped model: run as is, no export
    may_be_invalid: bool = False           # generated params PyTorch may reject: drop
    declared: int = 1
    batch: int = 1
    threads: Optional[int] = None

    def label(self):
        threads = "" if self.threads is None else f" threads={self.threads}"
        return (f"{self.desc} input={[self.batch, *self.chw]} "
                f"declared_batch={self.declared}{threads}")


# --------------------------------------------------------------------------- modules

class Lambda(nn.Module):
    """Wraps a functional form (traced by torch.fx as call_function/call_method)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


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


# --------------------------------------------------------------------------- combos

def conv(cin=4, cout=6, k=3, s=1, p=1, d=1, g=1, bias=True, mode="zeros", hw=(9, 7)):
    desc = (f"Conv2d(in_channels={cin}, out_channels={cout}, kernel_size={k}, stride={s}, "
            f"padding={p!r}, dilation={d}, groups={g}, bias={bias}, padding_mode={mode!r})")
    return Combo(desc, lambda: nn.Conv2d(cin, cout, k, s, p, d, g, bias, mode), (cin, *hw),
                 unsupported_ok="padding_mode" if mode != "zeros" else None,
                 may_be_invalid=True)


def conv_combos():
    kernels = [1, 2, 3, 4, 5, (1, 3), (3, 1), (2, 5), (5, 2), (4, 3)]
    yield from (conv(k=k, p=0) for k in kernels)
    yield from (conv(k=k, p="same") for k in kernels)
    yield from (conv(s=s) for s in [2, 3, (1, 2), (2, 1), (3, 2)])
    yield from (conv(p=p) for p in [0, 2, (1, 2), (0, 2), (2, 0), "same", "valid"])
    yield from (conv(d=d) for d in [2, 3, (1, 2), (3, 1)])
    yield from (conv(cin=ci, cout=co, g=g, k=k, p=k // 2)
                for ci, co, g, k in [(4, 6, 2, 3), (8, 8, 8, 3), (8, 16, 8, 3), (8, 12, 4, 5),
                                     (6, 9, 3, 3), (16, 16, 16, 5), (12, 6, 2, 1)])
    yield from (conv(cin=ci, cout=co, k=k, p=k // 2, bias=b)
                for ci, co, k, b in [(1, 1, 3, True), (3, 16, 3, False), (16, 3, 3, True),
                                     (17, 33, 3, True), (64, 8, 3, False), (32, 32, 1, True),
                                     (1, 64, 5, True)])
    yield from (conv(k=k, s=s, p=p, hw=hw)
                for k, s, p, hw in [(1, 1, 0, (1, 1)), (3, 1, 1, (1, 1)), (3, 2, 1, (2, 2)),
                                    (3, 1, 1, (13, 5)), (3, 2, 1, (28, 28)),
                                    ((1, 5), 1, 0, (3, 17)), (5, 3, 2, (16, 3)),
                                    (2, 2, 0, (10, 10))])
    grid = itertools.product([1, 2, 3, (2, 5)], [1, 2, (1, 3)], [0, 1, (2, 1), "same", "valid"],
                             [1, 2], [1, 2])
    sizes = [(9, 7), (8, 11), (6, 6)]
    for i, (k, s, p, d, g) in enumerate(grid):
        if p == "same" and s != 1:
            continue   # PyTorch rejects padding='same' with stride > 1
        yield conv(k=k, s=s, p=p, d=d, g=g, bias=i % 2 == 0, hw=sizes[i % 3])
    for mode in ["reflect", "replicate", "circular"]:
        for k, p, s, d in [(3, 1, 1, 1), (5, 2, 1, 1), (3, (1, 2), 2, 1), (3, "same", 1, 2),
                           (2, "same", 1, 1), (3, 2, 1, 2), (4, 3, 2, 1)]:
            yield conv(k=k, p=p, s=s, d=d, mode=mode)


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
                   rng.choice(["zeros"] * 7 + ["reflect", "replicate", "circular"]),
                   (rng.randint(1, 33), rng.randint(1, 33)))


def random_maxpool_combos(count=60, seed=4321):
    """Seeded random MaxPool2d configurations."""
    rng = random.Random(seed)
    for _ in range(count):
        k = (rng.randint(1, 5), rng.randint(1, 5))
        yield maxpool(k, (rng.randint(1, 4), rng.randint(1, 4)),
                      (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2)),
                      (rng.randint(1, 3), rng.randint(1, 3)), rng.random() < 0.5,
                      (rng.randint(1, 6), rng.randint(1, 25), rng.randint(1, 25)))


def linear(fin, fout, bias, chw):
    desc = f"Flatten() + Linear(in_features={fin}, out_features={fout}, bias={bias})"
    return Combo(desc, lambda: nn.Sequential(nn.Flatten(), nn.Linear(fin, fout, bias)), chw)


def linear_combos():
    for bias in (True, False):
        yield linear(12, 5, bias, (3, 2, 2))
        yield linear(1, 1, bias, (1, 1, 1))
        yield linear(105, 1, bias, (3, 5, 7))
        yield linear(1568, 128, bias, (32, 7, 7))
        yield linear(60, 64, bias, (5, 4, 3))
        yield Combo(f"Linear(in_features=7, out_features=3, bias={bias}) on the last dim "
                    "of a 4-D input", lambda b=bias: nn.Linear(7, 3, b), (2, 5, 7))


def maxpool(k, s=None, p=0, d=1, ceil=False, chw=(3, 9, 7)):
    desc = (f"MaxPool2d(kernel_size={k}, stride={s}, padding={p}, dilation={d}, "
            f"ceil_mode={ceil})")
    return Combo(desc, lambda: nn.MaxPool2d(k, s, p, d, ceil_mode=ceil), chw,
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
        yield maxpool(k, s, p, d, ceil, sizes[i % 3])
    for size, k, s, p in ceil_edge_cases():
        yield maxpool(k, s, p, 1, True, (2, size, size + 3))
        yield maxpool((k, 2), (s, 1), (p, 0), 1, True, (1, size, 6))


def activation_combos():
    shapes = [(3, 5, 7), (1, 1, 1), (16, 9, 9)]
    for chw in shapes:
        yield Combo("ReLU()", nn.ReLU, chw)
        yield Combo("Sigmoid()", nn.Sigmoid, chw)
    yield Combo("ReLU(inplace=True)", lambda: nn.ReLU(inplace=True), (2, 3, 4))
    for name, fn in [("F.relu(x)", F.relu), ("torch.relu(x)", torch.relu),
                     ("x.relu()", lambda x: x.relu()), ("torch.sigmoid(x)", torch.sigmoid),
                     ("x.sigmoid()", lambda x: x.sigmoid())]:
        yield Combo(name, lambda fn=fn: Lambda(fn), (4, 6, 5))
    for scale in (30.0, 1e4):
        yield Combo(f"Sigmoid() on randn*{scale:g}", nn.Sigmoid, (3, 4, 5), scale)
        yield Combo(f"ReLU() on randn*{scale:g}", nn.ReLU, (3, 4, 5), scale)


def softmax_combos():
    for dim, scale in itertools.product(range(-4, 4), (1.0, 1e4)):
        yield Combo(f"Softmax(dim={dim}) on randn*{scale:g}",
                    lambda dim=dim: nn.Softmax(dim), (5, 4, 3), scale)
    for dim, scale in itertools.product(range(-2, 2), (1.0, 1e4)):
        yield Combo(f"Flatten() + Softmax(dim={dim}) on randn*{scale:g}",
                    lambda dim=dim: nn.Sequential(nn.Flatten(), nn.Softmax(dim)),
                    (3, 3, 5), scale)
    yield Combo("Softmax() (implicit dim=1)", lambda: nn.Softmax(), (4, 2, 3))
    yield Combo("F.softmax(x, 2)", lambda: Lambda(lambda x: F.softmax(x, 2)), (2, 3, 4))
    yield Combo("x.softmax(-1)", lambda: Lambda(lambda x: x.softmax(-1)), (2, 3, 4), 1e4)
    yield Combo("torch.softmax(x, dim=-3)",
                lambda: Lambda(lambda x: torch.softmax(x, dim=-3)), (6, 2, 2), 10.0)
    yield Combo("Flatten() + Linear(60, 10) + Softmax(dim=1)",
                lambda: nn.Sequential(nn.Flatten(), nn.Linear(60, 10), nn.Softmax(1)),
                (5, 3, 4), 100.0)


def flatten_combos():
    for start, end in [(1, -1), (0, -1), (0, 0), (2, 3), (1, 2), (0, 1), (-3, -1), (2, -1),
                       (3, 3), (-1, -1), (1, 1), (-4, -2), (0, 2)]:
        yield Combo(f"Flatten(start_dim={start}, end_dim={end})",
                    lambda s=start, e=end: nn.Flatten(s, e), (3, 5, 4))
    for name, fn in [("torch.flatten(x)", torch.flatten),
                     ("x.flatten(1)", lambda x: x.flatten(1)),
                     ("x.view(x.size(0), -1)", lambda x: x.view(x.size(0), -1)),
                     ("x.view(-1, 60)", lambda x: x.view(-1, 60)),
                     ("x.reshape(x.shape[0], -1)", lambda x: x.reshape(x.shape[0], -1))]:
        yield Combo(name, lambda fn=fn: Lambda(fn), (3, 5, 4))


class Shared(nn.Module):
    """One Conv2d called twice: two nodes sharing the same weight tensors."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.sigmoid(self.conv(F.relu(self.conv(x))))


def model_combos():
    yield Combo("model LeNet (functional)", LeNet, (3, 32, 32))
    yield Combo("model Nested (Sequentials, Dropout, Identity)", Nested, (2, 11, 7))
    yield Combo("model Separable (depthwise, view(-1, K))", Separable, (6, 11, 7))
    yield Combo("model Shared (a Conv2d called twice)", Shared, (4, 6, 5))
    yield Combo("model conv-relu-pool-flatten-linear", lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, (3, 5), stride=(1, 2), padding=(1, 2)), nn.ReLU(),
        nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.Flatten(), nn.Linear(16 * 4 * 2, 10)),
        (3, 15, 13))


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
            yield Combo(f"shipped model {name}", lambda c=cls, p=path: load_shipped(c(), p),
                        chw, json_path=path, batch=batch)


def all_combos():
    """Every combo, with batch sizes and thread counts assigned round-robin."""
    groups = [conv_combos(), random_conv_combos(), linear_combos(), maxpool_combos(),
              random_maxpool_combos(), activation_combos(), softmax_combos(),
              flatten_combos(), model_combos()]
    combos = list(itertools.chain(*groups))
    for i, combo in enumerate(combos):
        combo.declared, combo.batch = BATCHES[i % len(BATCHES)]
        combo.threads = THREADS[i % len(THREADS)]
    return combos + list(shipped_combos())


# --------------------------------------------------------------------------- running

@dataclass
class Job:
    combo: Combo
    json_path: Path
    x: np.ndarray
    expected: np.ndarray
    workdir: Path


@dataclass
class Result:
    combo: Combo
    status: str              # "pass", "fail", "skip"
    error: float = 0.0       # max abs error / max(1, max|torch|)
    message: str = ""


def prepare(combo, workdir):
    """Build, run in torch and export one combo. Returns a Job, a Result or None (invalid)."""
    seed = zlib.crc32(combo.label().encode())
    torch.manual_seed(seed)
    x = torch.randn((combo.batch, *combo.chw),
                    generator=torch.Generator().manual_seed(seed)) * combo.scale
    try:
        module = combo.make().eval()
        with torch.no_grad():
            expected = module(x).numpy()
    except (RuntimeError, ValueError) as e:
        if combo.may_be_invalid:
            return None   # parameter combination PyTorch rejects (e.g. kernel > input)
        return Result(combo, "fail", float("inf"), f"torch failed: {e}")
    workdir.mkdir(parents=True, exist_ok=True)
    json_path = combo.json_path
    if json_path is None:
        json_path = workdir / "model.json"
        try:
            export(module, torch.zeros((combo.declared, *combo.chw)), json_path)
        except Exception as e:   # an exporter bug must not stop the run
            return Result(combo, "fail", float("inf"), f"export failed: {e}")
    return Job(combo, json_path, x.numpy(), expected, workdir)


def execute(job, cnnrt):
    """Run one job through cnnrt and judge it."""
    combo = job.combo
    try:
        actual = cnnrt_common.run_raw(cnnrt, job.json_path, job.x, combo.threads, job.workdir)
    except cnnrt_common.CnnrtError as e:
        if combo.unsupported_ok and combo.unsupported_ok in e.stderr:
            return Result(combo, "skip", message=e.stderr.strip())
        return Result(combo, "fail", float("inf"), f"cnnrt failed: {e}")
    except Exception as e:   # timeout, unreadable output, ...
        return Result(combo, "fail", float("inf"), f"cnnrt failed: {e}")
    if actual.size != job.expected.size:
        return Result(combo, "fail", float("inf"),
                      f"output has {actual.size} values, torch has {job.expected.size} "
                      f"(shape {list(job.expected.shape)})")
    scale = max(1.0, float(np.abs(job.expected).max()) if job.expected.size else 1.0)
    err = cnnrt_common.max_abs_error(job.expected, actual) / scale
    if err <= TOLERANCE:
        return Result(combo, "pass", err)
    return Result(combo, "fail", err,
                  f"max abs error {err * scale:.3g} > tolerance {TOLERANCE * scale:.3g}")


def run(combos, cnnrt, workdir, jobs):
    """Export sequentially while up to `jobs` cnnrt processes run; returns Results."""
    futures, invalid = [], 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for i, combo in enumerate(combos):
            job = prepare(combo, workdir / f"{i:04d}")
            if job is None:
                invalid += 1
            elif isinstance(job, Result):
                futures.append(job)
            elif cnnrt is None:
                futures.append(Result(combo, "pass"))
            else:
                futures.append(pool.submit(execute, job, cnnrt))
        results = [f if isinstance(f, Result) else f.result() for f in futures]
    if invalid:
        print(f"({invalid} parameter combinations rejected by PyTorch itself were dropped)")
    return results


def report(results):
    """Print failures and the summary; returns the number of failures."""
    for r in results:
        if r.status == "fail":
            print(f"FAIL {r.combo.label()}: {r.message}")
    passed = sum(r.status == "pass" for r in results)
    failed = sum(r.status == "fail" for r in results)
    skipped = [r for r in results if r.status == "skip"]
    worst = max((r.error for r in results if r.status != "skip"), default=0.0)
    print(f"{len(results)} combos, worst relative error {worst:.3g}")
    if skipped:
        print(f"{len(skipped)} skipped (unsupported): e.g. {skipped[0].message}")
    print(f"{passed} passed, {failed} failed")
    return failed


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cnnrt", help="cnnrt binary (default $CNNRT_BIN or build/cnnrt)")
    p.add_argument("--workdir", type=Path, default=REPO_ROOT / "build" / "parity")
    p.add_argument("--filter", help="only combos whose description matches this regex")
    p.add_argument("--jobs", type=int, default=2, help="parallel cnnrt processes")
    p.add_argument("--export-only", action="store_true",
                   help="export and run torch only (no cnnrt needed)")
    p.add_argument("--list", action="store_true", help="list the combos and exit")
    return p.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)   # deprecations, 'same' padding
    combos = all_combos()
    if args.filter:
        combos = [c for c in combos if re.search(args.filter, c.label())]
    if args.list:
        print("\n".join(c.label() for c in combos))
        return 0
    cnnrt = None
    if not args.export_only:
        try:
            cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
        except FileNotFoundError as e:
            print(f"run_parity: {e}", file=sys.stderr)
            return 2
    shutil.rmtree(args.workdir / "combos", ignore_errors=True)
    start = time.time()
    results = run(combos, cnnrt, args.workdir / "combos", args.jobs)
    failed = report(results)
    print(f"({time.time() - start:.1f} s{', export only' if cnnrt is None else ''})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
