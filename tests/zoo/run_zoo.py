#!/usr/bin/python3
"""The torchvision model zoo through cnnrt: export, run, compare with PyTorch.

    /usr/bin/python3 tests/zoo/run_zoo.py [--workdir build/zoo] [--cnnrt PATH]
        [--models resnet18,googlenet] [--threads N] [--tolerance 1e-4]

Each model is built with random weights (fixed seeds) and random BatchNorm statistics
(so that folding BatchNorm into the convolution is really exercised), put in eval mode,
exported with tools/cnnrt_export.py and run through `cnnrt --input-f32` at batch 1 and 2
on seeded random inputs. A model passes when

  - max |cnnrt - torch| <= tolerance * max |torch| at both batch sizes,
  - the arena plan from `cnnrt --summary` is sound: no two tensors alive at the same time
    share arena bytes (tensors that alias their input, views and in-place ops, are
    grouped with it; lifetimes come from the model's own graph).

One line per model: parameters (PyTorch's count), cnnrt nodes, the errors, the arena
against the naive sum (every intermediate tensor in its own allocation), then
`N passed, N failed`; the exit status is 1 on any failure.

Exports, inputs and PyTorch's outputs are cached in --workdir, one folder per model,
keyed by the torch and torchvision versions and a hash of the exporter's source and of
this file's model recipes: a rerun only runs cnnrt.
"""

import argparse
import hashlib
import importlib.util
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import cnnrt_common  # noqa: E402

TOLERANCE = 1e-4
BATCHES = (1, 2)
INPUT_SHAPE = (3, 224, 224)


# --------------------------------------------------------------------------- recipes

def _torchvision_models():
    import torchvision
    return torchvision.models


# name -> constructor (random weights: nothing is downloaded)
ZOO = {
    "resnet18": lambda tv: tv.resnet18(),
    "resnet50": lambda tv: tv.resnet50(),
    "mobilenet_v2": lambda tv: tv.mobilenet_v2(),
    "mobilenet_v3_small": lambda tv: tv.mobilenet_v3_small(),
    "squeezenet1_1": lambda tv: tv.squeezenet1_1(),
    "shufflenet_v2_x1_0": lambda tv: tv.shufflenet_v2_x1_0(),
    "efficientnet_b0": lambda tv: tv.efficientnet_b0(),
    "densenet121": lambda tv: tv.densenet121(),
    "vgg11_bn": lambda tv: tv.vgg11_bn(),
    "alexnet": lambda tv: tv.alexnet(),
    "googlenet": lambda tv: tv.googlenet(aux_logits=False, init_weights=True,
                                         transform_input=False),
}


def build(name):
    """The model `name` in eval mode: seeded random weights, random BatchNorm statistics
    and affine parameters."""
    import torch
    torch.manual_seed(0)
    module = ZOO[name](_torchvision_models()).eval()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.rand(c, generator=gen) * 0.2 - 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(c, generator=gen) * 0.2 - 0.1)
    return module


def make_input(batch):
    """The seeded random input at a batch size."""
    return np.random.default_rng(batch).standard_normal((batch, *INPUT_SHAPE),
                                                        dtype=np.float32)


# --------------------------------------------------------------------------- cache

def _package_version(name):
    """A package's version without importing it (reads <package>/version.py)."""
    spec = importlib.util.find_spec(name)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location, "version.py")
        if path.is_file():
            match = re.search(r"""__version__\s*=\s*['"]([^'"]+)""", path.read_text())
            if match:
                return match.group(1)
    return __import__(name).__version__


def cache_key(name):
    """What an export and PyTorch's outputs depend on: versions, the exporter, the recipes
    (this file's "recipes" section) and the input shape and batches."""
    text = Path(__file__).read_text(encoding="utf-8")
    recipes = text[text.index("# " + "-" * 75 + " recipes"):text.index("# " + "-" * 75 + " cache")]
    h = hashlib.sha256()
    for part in (f"torch {_package_version('torch')}",
                 f"torchvision {_package_version('torchvision')}",
                 f"numpy {np.__version__}", f"{INPUT_SHAPE} {BATCHES}",
                 (ROOT / "tools/cnnrt_export.py").read_text(encoding="utf-8"),
                 recipes, name):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def prepare(name, folder):
    """Export the model and record PyTorch's outputs into `folder` unless the cache there
    is current. Returns (meta dict, seconds spent, cached?)."""
    key = cache_key(name)
    meta_path = folder / "meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        files = [folder / "model.json"] + [folder / f"{kind}_b{b}.f32"
                                           for b in BATCHES for kind in ("input", "torch")]
        if meta.get("key") == key and all(f.is_file() for f in files):
            return meta, 0.0, True
    start = time.perf_counter()
    import torch
    from cnnrt_export import export
    meta_path.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    module = build(name)
    export(module, torch.zeros(1, *INPUT_SHAPE), folder / "model.json")
    for batch in BATCHES:
        x = make_input(batch)
        with torch.no_grad():
            y = module(torch.from_numpy(x)).numpy()
        x.astype("<f4").tofile(folder / f"input_b{batch}.f32")
        y.astype("<f4").tofile(folder / f"torch_b{batch}.f32")
    meta = {"key": key, "params": sum(p.numel() for p in module.parameters())}
    meta_path.write_text(json.dumps(meta))   # last: marks the cache complete
    return meta, time.perf_counter() - start, False


# --------------------------------------------------------------------------- checks

_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)( \(fused\))?\s+\[[^\]]*\]\s+(\d+)\s+(\d+)"
                  r"\s+(\d+)\s+(\d+)\s*$")


def summary(cnnrt, json_path):
    """`cnnrt MODEL --summary` (`--json` where the binary has it): ({index: (name, op,
    fused, arena offset, bytes)}, arena bytes, naive bytes)."""
    try:
        data = json.loads(cnnrt_common._run([cnnrt, json_path, "--summary", "--json"], 300))
        rows = {n["index"]: (n["name"], n["op"], bool(n["fused"]), n["arena_offset"],
                             n["arena_bytes"]) for n in data["nodes"]}
        return rows, data["total"]["arena_bytes"], data["total"]["naive_bytes"]
    except (cnnrt_common.CnnrtError, ValueError, KeyError, TypeError):
        pass
    text = cnnrt_common._run([cnnrt, json_path, "--summary"], 300)
    rows = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            rows[int(m.group(1))] = (m.group(2), m.group(3), bool(m.group(4)),
                                     int(m.group(7)), int(m.group(8)))
    m = re.search(r"arena: (\d+) bytes, against (\d+) bytes", text)
    if not m or not rows:
        raise RuntimeError(f"cannot parse the summary of {json_path}")
    return rows, int(m.group(1)), int(m.group(2))


def plan_problems(model, rows):
    """Tensors alive at the same time that share arena bytes (empty list: sound).

    Execution order is the summary's. A node's output aliases its first input when it sits
    at the same offset (a view, a fused node or an in-place op: a fresh buffer cannot, the
    input being alive while the node runs); aliases form one buffer, alive from its first
    producer to the last reader of any of its values (the model output: to the end).
    Views of the graph input (0 bytes in the summary) are outside the arena.
    """
    order = sorted(rows)
    index_of = {rows[i][0]: i for i in order}
    nodes = {n["name"]: n for n in model["nodes"]}
    previous, default = {}, model["input"]["name"]
    for n in model["nodes"]:
        previous[n["name"]] = default
        default = n["name"]
    inputs = {name: n.get("inputs") or [previous[name]] for name, n in nodes.items()}
    end = len(order)
    last_read = {}
    for name, ins in inputs.items():
        for src in ins:
            last_read[src] = max(last_read.get(src, -1), index_of[name])
    last_read[model.get("output", model["nodes"][-1]["name"])] = end
    buffer_of, buffers = {}, []          # buffer: [first, last, offset, bytes, names]
    for i in order:
        name, _, _, offset, size = rows[i]
        if size == 0:   # a view of the graph input: outside the arena
            continue
        first_input = inputs[name][0]
        src = buffer_of.get(first_input)
        if src is not None and buffers[src][2] == offset:
            buffer_of[name] = src
            buffers[src][3] = max(buffers[src][3], size)
            buffers[src][4].append(name)
        else:
            buffer_of[name] = len(buffers)
            buffers.append([i, i, offset, size, [name]])
        b = buffers[buffer_of[name]]
        b[1] = max(b[1], last_read.get(name, i))
    problems = []
    for a in range(len(buffers)):
        for b in range(a + 1, len(buffers)):
            fa, la, oa, sa, na = buffers[a]
            fb, lb, ob, sb, nb = buffers[b]
            if fa <= lb and fb <= la and oa < ob + sb and ob < oa + sa:
                problems.append(f"{na[0]} [{oa}, +{sa}) alive {fa}..{la} overlaps {nb[0]} "
                                f"[{ob}, +{sb}) alive {fb}..{lb}")
    return problems


def relative_error(expected, actual):
    """max |actual - expected| / max |expected| (inf on a size mismatch)."""
    scale = float(np.abs(expected).max())
    return cnnrt_common.max_abs_error(expected, actual) / (scale if scale > 0 else 1.0)


def run_model(cnnrt, name, folder, threads, tolerance):
    """Everything for one model; returns (ok, report line)."""
    start = time.perf_counter()
    meta, prep_s, cached = prepare(name, folder)
    json_path = folder / "model.json"
    model = cnnrt_common.read_model(json_path)
    errors, failures = [], []
    for batch in BATCHES:
        x = np.fromfile(folder / f"input_b{batch}.f32", dtype="<f4").reshape(
            batch, *INPUT_SHAPE)
        expected = np.fromfile(folder / f"torch_b{batch}.f32", dtype="<f4")
        actual = cnnrt_common.run_raw(cnnrt, json_path, x, threads=threads,
                                      workdir=folder)
        err = relative_error(expected, actual)
        errors.append(err)
        if not err <= tolerance:
            failures.append(f"batch {batch}: max relative error {err:.3g} > {tolerance:g}")
    rows, arena, naive = summary(cnnrt, json_path)
    failures += plan_problems(model, rows)[:5]
    seconds = time.perf_counter() - start
    line = (f"{name:20} params {meta['params']:>11,}  nodes {len(model['nodes']):4}  "
            f"max rel err b1 {errors[0]:.2e} b2 {errors[1]:.2e}  arena {arena:>11,} B "
            f"vs naive {naive:>12,} B ({100 * arena / naive:4.1f}%)  "
            f"{seconds:5.1f}s{' (cached)' if cached else f' (export+torch {prep_s:.1f}s)'}")
    if failures:
        line += "".join(f"\n    FAIL: {f}" for f in failures)
    return not failures, line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=str(ROOT / "build" / "zoo"))
    parser.add_argument("--cnnrt", default=None, help="default: $CNNRT_BIN or build/cnnrt")
    parser.add_argument("--models", default=None, help="comma-separated subset")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = parser.parse_args(argv)
    names = args.models.split(",") if args.models else list(ZOO)
    unknown = [n for n in names if n not in ZOO]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(ZOO)}")
    cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
    workdir = Path(args.workdir)
    start = time.perf_counter()
    passed = failed = 0
    for name in names:
        try:
            ok, line = run_model(cnnrt, name, workdir / name, args.threads, args.tolerance)
        except Exception as e:   # an export or cnnrt failure is this model's failure
            ok, line = False, f"{name:20} FAIL: {type(e).__name__}: {e}"
        print(line, flush=True)
        passed += ok
        failed += not ok
    print(f"zoo: {len(names)} models in {time.perf_counter() - start:.1f}s "
          f"(workdir {workdir})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
