"""Helpers shared by the cnnrt Python tools and tests (numpy + PIL only, no torch).

- locating and running the `cnnrt` command-line tool (raw tensors and images),
- comparing outputs,
- reading a cnnrt model (model.json + weight blob, docs/format.md),
- a reference implementation of the format's image preprocessing.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CNNRT = REPO_ROOT / "build" / "cnnrt"

# Maximum number of image paths passed to one cnnrt invocation (keeps argv small).
IMAGES_PER_RUN = 200


class CnnrtError(RuntimeError):
    """The cnnrt tool exited with a non-zero status."""

    def __init__(self, command, returncode, stderr):
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(f"cnnrt exited with status {returncode}: {stderr.strip()}")


def find_cnnrt(path=None):
    """Return the cnnrt binary: `path`, else $CNNRT_BIN, else build/cnnrt.

    Raises FileNotFoundError if it is not an executable file.
    """
    candidate = Path(path or os.environ.get("CNNRT_BIN") or DEFAULT_CNNRT)
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        raise FileNotFoundError(
            f"cnnrt binary not found at {candidate} "
            "(build it, or pass --cnnrt PATH / set CNNRT_BIN)")
    return candidate


def _run(command, timeout):
    """Run a command; return its stdout, raise CnnrtError on any failure."""
    try:
        proc = subprocess.run([str(c) for c in command], capture_output=True,
                              text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CnnrtError(command, -1, str(e)) from e
    if proc.returncode != 0:
        raise CnnrtError(command, proc.returncode, proc.stderr)
    return proc.stdout


def read_model(json_path):
    """Parse a model.json."""
    with open(json_path, encoding="utf-8") as f:
        return json.load(f)


def run_raw(cnnrt, json_path, x, threads=None, workdir=None, timeout=120):
    """Run a float32 tensor `x` (numpy, [N, C, H, W]) through `cnnrt --input-f32`.

    `--batch` is passed when N differs from the model's declared batch size.
    The input/output files go to `workdir` (kept) or a temporary directory.
    Returns the raw output as a flat float32 array.
    """
    if workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run_raw(cnnrt, json_path, x, threads, tmp, timeout)
    declared_batch = read_model(json_path)["input"]["shape"][0]
    in_path, out_path = Path(workdir, "input.f32"), Path(workdir, "output.f32")
    np.ascontiguousarray(x, dtype="<f4").tofile(in_path)
    out_path.unlink(missing_ok=True)
    command = [cnnrt, json_path, "--input-f32", in_path, "--output-f32", out_path]
    if x.shape[0] != declared_batch:
        command += ["--batch", x.shape[0]]
    if threads is not None:
        command += ["--threads", threads]
    _run(command, timeout)
    return np.fromfile(out_path, dtype="<f4")


def run_dump(cnnrt, json_path, x, dump_dir, threads=None, workdir=None, timeout=300):
    """Run `x` through `cnnrt --input-f32 ... --dump-tensors DUMP_DIR`.

    Returns (output as a flat float32 array, [(index, node name, flat float32 array)] in
    execution order). Stale *.f32 files in dump_dir are removed first. Node names are
    matched back to model.json (the dump file names have '/' and '\\' replaced by '_').
    """
    if workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run_dump(cnnrt, json_path, x, dump_dir, threads, tmp, timeout)
    dump_dir = Path(dump_dir)
    dump_dir.mkdir(parents=True, exist_ok=True)
    for stale in dump_dir.glob("*.f32"):
        stale.unlink()
    model = read_model(json_path)
    in_path, out_path = Path(workdir, "input.f32"), Path(workdir, "output.f32")
    np.ascontiguousarray(x, dtype="<f4").tofile(in_path)
    command = [cnnrt, json_path, "--input-f32", in_path, "--output-f32", out_path,
               "--dump-tensors", dump_dir, "--batch", x.shape[0]]
    if threads is not None:
        command += ["--threads", threads]
    _run(command, timeout)
    names = {n["name"].replace("/", "_").replace("\\", "_"): n["name"]
             for n in model["nodes"]}
    dumps = []
    for path in dump_dir.glob("*.f32"):
        index, _, name = path.stem.partition("_")
        if index.isdigit():
            dumps.append((int(index), names.get(name, name), np.fromfile(path, dtype="<f4")))
    dumps.sort(key=lambda d: d[0])
    return np.fromfile(out_path, dtype="<f4"), dumps


def fused_nodes(cnnrt, json_path, batch=None, timeout=120):
    """Indices of the nodes fused at load into the node producing their input: "fused"
    in `cnnrt MODEL --summary --json`, or "(fused)" in the op column of the text summary
    (binaries without --summary --json)."""
    command = [cnnrt, json_path, "--summary"] + (["--batch", batch] if batch else [])
    try:
        summary = json.loads(_run(command + ["--json"], timeout))
        return {n["index"] for n in summary["nodes"] if n.get("fused")}
    except (CnnrtError, ValueError, KeyError, TypeError):
        pass
    fused = set()
    for line in _run(command, timeout).splitlines():
        fields = line.split()
        if fields and fields[0].isdigit() and " (fused) " in line + " ":
            fused.add(int(fields[0]))
    return fused


def classify_images(cnnrt, json_path, image_paths, top=1, timeout=600):
    """Run `cnnrt MODEL --json --top K` over images (in chunks).

    Returns one dict per image, in order: {"image", "top": [{"index", "label", "prob"}]}.
    """
    results = []
    for start in range(0, len(image_paths), IMAGES_PER_RUN):
        chunk = list(image_paths[start:start + IMAGES_PER_RUN])
        stdout = _run([cnnrt, json_path, *chunk, "--json", "--top", top], timeout)
        lines = [line for line in stdout.splitlines() if line.strip()]
        if len(lines) != len(chunk):
            raise CnnrtError(chunk, 0, f"expected {len(chunk)} JSON lines, got {len(lines)}")
        results += [json.loads(line) for line in lines]
    return results


def max_abs_error(expected, actual):
    """Max |expected - actual| (inf on shape mismatch or non-finite values)."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if expected.size != actual.size:
        return float("inf")
    diff = np.abs(expected.ravel() - actual.ravel())
    if diff.size == 0:
        return 0.0
    return float(diff.max()) if np.all(np.isfinite(diff)) else float("inf")


def read_state_dict(json_path):
    """Read a model's weights back as {"<node>.<tensor>": numpy float32 array}.

    Node names are PyTorch's qualified module names, so for a module exported by
    tools/cnnrt_export.py the keys are the module's state_dict keys.
    """
    json_path = Path(json_path)
    model = read_model(json_path)
    blob = np.fromfile(json_path.parent / model["weights"], dtype="<f4") \
        if "weights" in model else np.zeros(0, dtype="<f4")
    tensors = {}
    for node in model["nodes"]:
        for name, ref in node.get("weights", {}).items():
            start = ref["offset"] // 4
            count = int(np.prod(ref["shape"]))
            tensors[f"{node['name']}.{name}"] = \
                blob[start:start + count].reshape(ref["shape"]).copy()
    return tensors


def load_image(path, color):
    """Decode an image to uint8 [C, H, W] with the format's colour conversion.

    "gray" of a colour JPEG is the decoder's luma (Y) channel, as libjpeg produces it.
    """
    from PIL import Image

    with Image.open(path) as img:
        if color == "gray":
            if img.format == "JPEG":
                img.draft("L", img.size)   # decode straight to libjpeg's Y channel
            img = img.convert("L")
            return np.asarray(img, dtype=np.uint8)[None]
        return np.asarray(img.convert("RGB"), dtype=np.uint8).transpose(2, 0, 1)


def resize_bilinear(image, height, width):
    """Resize float [C, H, W] like F.interpolate(bilinear, align_corners=False)."""
    def axis(n_in, n_out):
        src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = src - lo
        return lo, hi, frac

    y0, y1, fy = axis(image.shape[1], height)
    x0, x1, fx = axis(image.shape[2], width)
    rows = image[:, y0, :] * (1 - fy)[None, :, None] + image[:, y1, :] * fy[None, :, None]
    return rows[:, :, x0] * (1 - fx) + rows[:, :, x1] * fx


def preprocess_image(path, model):
    """Reference preprocessing (docs/format.md): image -> float32 [C, H, W]."""
    pre = model["preprocess"]
    _, channels, height, width = model["input"]["shape"]
    x = load_image(path, pre["color"]).astype(np.float64)
    if x.shape[1:] != (height, width):
        x = resize_bilinear(x, height, width)
    x = x * pre.get("scale", 1.0 / 255.0)
    mean = np.asarray(pre.get("mean", [0.0] * channels), dtype=np.float64)
    std = np.asarray(pre.get("std", [1.0] * channels), dtype=np.float64)
    return ((x - mean[:, None, None]) / std[:, None, None]).astype(np.float32)
