#!/usr/bin/python3
"""Benchmark cnnrt against PyTorch on the same machine, in the same run.

For each model, batch size and thread count it measures, on the same random input:
  - cnnrt: `cnnrt MODEL --input-f32 IN --bench N --threads T [--batch B]` (median ms)
  - torch eager: the module in eval mode under torch.inference_mode()
  - torch frozen: torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(m, x)))
and prints one row per case with the ratio of cnnrt to the faster torch path
(< 1 means cnnrt is faster). Medians, because the machine is shared and noisy.

    /usr/bin/python3 bench/run_bench.py [--runs 50] [--threads 1,2] [--cnnrt build/cnnrt]
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import cnnrt_common  # noqa: E402
from export_tudui import make_tudui  # noqa: E402
from train_fashion_mnist import FashionCNN  # noqa: E402


def fashion_module():
    """The shipped Fashion-MNIST model with its trained weights."""
    module = FashionCNN().eval()
    state = cnnrt_common.read_state_dict(ROOT / "models/fashion_mnist/model.json")
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return module


# name, model.json, module factory, batch sizes
MODELS = [
    ("tudui_cifar10", ROOT / "models/tudui_cifar10/model.json", make_tudui, (1, 64)),
    ("fashion_mnist", ROOT / "models/fashion_mnist/model.json", fashion_module, (1, 64)),
]


def median_ms(fn, runs, warmup=3):
    """Median wall time of fn() in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def torch_times(module, x, threads, runs):
    """(eager ms, frozen TorchScript ms) at the given thread count."""
    torch.set_num_threads(threads)
    with torch.inference_mode():
        eager = median_ms(lambda: module(x), runs)
    with torch.no_grad():
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(module, x)))
        frozen_ms = median_ms(lambda: frozen(x), runs)
    return eager, frozen_ms


def cnnrt_time(cnnrt, json_path, x, threads, runs, workdir):
    """Median ms reported by `cnnrt --bench`."""
    in_path = Path(workdir, "bench_input.f32")
    x.numpy().astype("<f4").tofile(in_path)
    command = [str(cnnrt), str(json_path), "--input-f32", str(in_path), "--bench", str(runs),
               "--threads", str(threads), "--batch", str(x.shape[0])]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--cnnrt", default=None)
    args = parser.parse_args()
    cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(f"torch {torch.__version__}, BLAS: "
          f"{'OpenBLAS' if 'openblas' in torch.__config__.show().lower() else 'see torch config'}")
    header = f"{'model':16} {'batch':>5} {'thr':>3} {'cnnrt ms':>9} {'eager ms':>9} " \
             f"{'frozen ms':>9} {'ratio':>6} {'GFLOP/s':>8}"
    print(header)
    with tempfile.TemporaryDirectory() as workdir:
        for name, json_path, factory, batches in MODELS:
            module = factory()
            macs = sum_macs(cnnrt, json_path)
            for batch in batches:
                shape = cnnrt_common.read_model(json_path)["input"]["shape"]
                x = torch.from_numpy(
                    np.random.default_rng(0).standard_normal([batch, *shape[1:]],
                                                             dtype=np.float32))
                for threads in thread_counts:
                    ours = cnnrt_time(cnnrt, json_path, x, threads, args.runs, workdir)
                    eager, frozen = torch_times(module, x, threads, args.runs)
                    gflops = 2 * macs * batch / shape[0] / (ours * 1e6)
                    print(f"{name:16} {batch:5} {threads:3} {ours:9.3f} {eager:9.3f} "
                          f"{frozen:9.3f} {ours / min(eager, frozen):6.2f} {gflops:8.2f}",
                          flush=True)


def sum_macs(cnnrt, json_path):
    """Total MACs at the declared batch, from `cnnrt --summary`."""
    out = subprocess.run([str(cnnrt), str(json_path), "--summary"], capture_output=True,
                         text=True, check=True).stdout
    return int(re.search(r"(\d+) MACs", out).group(1))


if __name__ == "__main__":
    main()
