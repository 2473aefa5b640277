#!/usr/bin/python3
"""Benchmark cnnrt against PyTorch on the same machine, in the same run.

For each model (bench/models.py), batch size and thread count, on the same random input:
  - cnnrt: `cnnrt MODEL --input-f32 IN --bench N --threads T --batch B` (median ms)
  - torch eager: the module in eval mode under torch.inference_mode()
  - torch frozen: torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(m, x)))
and prints one row per case: the ratio of cnnrt to the faster torch path (< 1: cnnrt is
faster), effective GFLOP/s (2 x direct-convolution MACs / time) and its share of the FMA
peak measured in the same run (bench/fma_peak.c, one core, times the thread count),
cnnrt's arena and peak RSS, and the model's load time. Medians: the machine is shared.

A second table splits each model's 1-thread time by the kernel each layer runs on
(`cnnrt --profile`, `cnnrt --summary --json`): GFLOP/s of the GEMM-path convolutions and
Linear layers, and the effective GFLOP/s of the Winograd layers (direct-convolution MACs),
against the FMA peak.

    /usr/bin/python3 bench/run_bench.py [--runs 50] [--repeat 3] [--threads 1,2] [--models a,b]
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import MODELS, ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import cnnrt_common  # noqa: E402
from cnnrt_export import export  # noqa: E402

CACHE = ROOT / "build" / "bench"


def run_child(command):
    """Run a command; return (stdout, its peak RSS in MB). The RSS comes from GNU time:
    a child forked from this Python process would otherwise count torch's pages too."""
    with tempfile.NamedTemporaryFile(mode="r") as rss_file:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name,
                               *[str(c) for c in command]], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {proc.stderr}")
        return proc.stdout, int(rss_file.read().split()[-1]) / 1024


def fma_peak():
    """Single-core FP32 FMA peak in GFLOP/s (best of 3 runs of bench/fma_peak.c)."""
    binary = CACHE / "fma_peak"
    subprocess.run(["cc", "-O2", "-mavx2", "-mfma", str(ROOT / "bench/fma_peak.c"), "-o",
                    str(binary)], check=True)
    return max(float(run_child([binary])[0].split()[0]) for _ in range(3))


def median_ms(fn, runs, warmup=3):
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


def model_json(name, shipped, module, shape):
    """The model.json to run: shipped, or exported once into the cache."""
    if shipped:
        return shipped
    path = CACHE / name / "model.json"
    if not path.exists():
        export(module, torch.randn(*shape), str(path))
    return path


def summary_numbers(cnnrt, json_path):
    """(MACs at batch 1, median of 7 wall times of cnnrt_model_load in a fresh process)."""
    out = run_child([cnnrt, json_path, "--summary"])[0]
    macs = int(re.search(r"(\d+) MACs", out).group(1))
    loads = [float(re.search(r"model loaded in ([0-9.]+) ms",
                             run_child([cnnrt, json_path, "--bench", 1, "--threads", 1])[0]).group(1))
             for _ in range(7)]
    return macs, statistics.median(loads)


def cnnrt_case(cnnrt, json_path, x, threads, runs):
    """(median ms, arena MB, peak RSS MB) from `cnnrt --bench`."""
    in_path = CACHE / "bench_input.f32"
    x.numpy().astype("<f4").tofile(in_path)
    out, rss = run_child([cnnrt, json_path, "--input-f32", in_path, "--bench", runs, "--threads",
                          threads, "--batch", x.shape[0]])
    median = float(re.search(r"median ([0-9.]+) ms", out).group(1))
    arena = int(re.search(r"arena (\d+) bytes", out).group(1)) / 2**20
    return median, arena, rss


PROFILE_ROW = re.compile(r"^\s*(\d+)\s.*\s([0-9.]+)\s+([0-9.]+)\s+[0-9.]+%\s*$")


def kernel_rates(cnnrt, json_path, batch, runs):
    """{kernel: (GFLOP/s, ms)} at 1 thread from per-node medians of `cnnrt --profile`."""
    summary = json.loads(run_child([cnnrt, json_path, "--summary", "--json"])[0])
    nodes = {n["index"]: n for n in summary["nodes"]}
    declared = summary["declared_batch"]
    out = run_child([cnnrt, json_path, "--input-f32", CACHE / "bench_input.f32", "--bench", runs,
                     "--profile", "--threads", 1, "--batch", batch])[0]
    flops, ms = {}, {}
    for line in out.splitlines():
        row = PROFILE_ROW.match(line)
        if not row or not nodes[int(row.group(1))]["kernel"]:
            continue
        node = nodes[int(row.group(1))]
        kernel = f'{node["op"]} {node["kernel"]}'
        flops[kernel] = flops.get(kernel, 0) + 2 * node["macs"] * batch / declared
        ms[kernel] = ms.get(kernel, 0) + float(row.group(2))
    return {k: (flops[k] / (ms[k] * 1e6), ms[k]) for k in flops if ms[k] > 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--models", default=None, help="comma-separated names")
    parser.add_argument("--cnnrt", default=None)
    parser.add_argument("--repeat", type=int, default=3,
                        help="measure each case this many times, cnnrt and torch in turn, "
                             "and report the median of the medians (the machine is shared)")
    args = parser.parse_args()
    cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
    CACHE.mkdir(parents=True, exist_ok=True)
    threads_list = [int(t) for t in args.threads.split(",")]
    wanted = set(args.models.split(",")) if args.models else None
    peak = fma_peak()
    print(f"torch {torch.__version__}; single-core FMA peak {peak:.1f} GFLOP/s")
    print(f"{'model':16} {'batch':>5} {'thr':>3} {'cnnrt ms':>9} {'eager ms':>9} "
          f"{'frozen ms':>9} {'ratio':>6} {'GFLOP/s':>8} {'%peak':>6} {'arena MB':>8} "
          f"{'RSS MB':>7} {'load ms':>7}")
    rates = []
    for name, shipped, factory, shape, batches in MODELS:
        if wanted and name not in wanted:
            continue
        module = factory()
        json_path = model_json(name, shipped, module, shape)
        macs, load_ms = summary_numbers(cnnrt, json_path)
        runs = max(5, min(args.runs, int(2e10 / max(macs, 1))))  # big models: fewer runs
        for batch in batches:
            x = torch.from_numpy(np.random.default_rng(0).standard_normal(
                (batch, *shape[1:]), dtype=np.float32))
            for threads in threads_list:
                samples = []
                for _ in range(args.repeat):  # interleaved, so noise hits both sides
                    ours, arena, rss = cnnrt_case(cnnrt, json_path, x, threads, runs)
                    samples.append((ours, *torch_times(module, x, threads, runs)))
                ours, eager, frozen = (statistics.median(s[i] for s in samples) for i in range(3))
                gflops = 2 * macs * batch / (ours * 1e6)
                print(f"{name:16} {batch:5} {threads:3} {ours:9.3f} {eager:9.3f} {frozen:9.3f} "
                      f"{ours / min(eager, frozen):6.2f} {gflops:8.1f} "
                      f"{100 * gflops / (peak * threads):5.0f}% {arena:8.2f} {rss:7.1f} "
                      f"{load_ms:7.1f}", flush=True)
                if threads == 1:  # the input file now holds this batch
                    rates.append((name, batch, kernel_rates(cnnrt, json_path, batch, runs)))
    print(f"\nper kernel, 1 thread (GFLOP/s over the layers on it; Winograd: effective):")
    for name, batch, by_kernel in rates:
        cells = [f"{k}: {g:.1f} GFLOP/s = {100 * g / peak:.0f}% of peak ({t:.2f} ms)"
                 for k, (g, t) in sorted(by_kernel.items())]
        print(f"{name:16} {batch:5}  " + "; ".join(cells))


if __name__ == "__main__":
    main()
