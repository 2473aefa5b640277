#!/usr/bin/python3
"""Tests of `cnnrt_export.py --check` / check(): the per-node comparison table.

A model is exported, one weight in its blob is corrupted on purpose, and check() must
name that node as the first divergent one (every row before it within tolerance). Fused
nodes (BatchNorm2d / ReLU folded into a conv at load) are reported on their producer's
row, e.g. "conv1 (+bn1, relu1 fused)".

    /usr/bin/python3 tests/parity/test_check.py [--cnnrt PATH]
Prints one line per test and "N passed, N failed"; exit status 1 on any failure.
"""

import contextlib
import io
import subprocess
import sys
import tempfile
import textwrap
import traceback
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))
import cnnrt_common  # noqa: E402
from cnnrt_export import check, export  # noqa: E402

TESTS = []
CNNRT = None


def test(fn):
    TESTS.append(fn)
    return fn


class Net(nn.Module):
    """conv1+bn1+relu1 (fused at load), conv2+relu2 (fused), pool, conv3, Hardswish,
    standalone BN after it, dropout (skipped), flatten, fc, log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1, self.relu1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), \
            nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.ReLU()
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.conv3 = nn.Conv2d(8, 6, 3, padding=1, padding_mode="reflect")
        self.act = nn.Hardswish()
        self.bn2 = nn.BatchNorm2d(6)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(6 * 5 * 4, 10)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2.0)
                bn.weight.uniform_(0.5, 1.5)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.pool(self.relu2(self.conv2(x)))
        x = self.bn2(self.act(self.conv3(x)))
        x = self.drop(x).view(x.size(0), -1)
        return F.log_softmax(self.fc(x), dim=1)


def exported(tmp):
    torch.manual_seed(0)
    module = Net().eval()
    path = Path(tmp, "model.json")
    export(module, torch.zeros(1, 3, 10, 7), path)
    return module, path


def corrupt(path, node_name, tensor="weight", index=0, delta=0.5):
    """Add `delta` to one float of a node's tensor in the blob."""
    model = cnnrt_common.read_model(path)
    ref = next(n for n in model["nodes"] if n["name"] == node_name)["weights"][tensor]
    blob = Path(path).parent / model["weights"]
    data = np.fromfile(blob, dtype="<f4")
    data[ref["offset"] // 4 + index] += delta
    data.tofile(blob)


def quiet_check(*args, **kwargs):
    """check() with its table captured; returns (result, printed text)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = check(*args, cnnrt=CNNRT, **kwargs)
    return result, out.getvalue()


def x_of(batch, seed=1):
    return torch.randn(batch, 3, 10, 7, generator=torch.Generator().manual_seed(seed))


@test
def clean_model_has_no_divergence():
    with tempfile.TemporaryDirectory() as tmp:
        module, path = exported(tmp)
        result, text = quiet_check(path, module, x_of(2))
        assert result.ok and result.first_divergent is None, text
        assert "no node diverges" in text, text
        labels = [r.label for r in result.rows]
        assert labels[:3] == ["conv1 (+bn1, relu1 fused)", "conv2 (+relu2 fused)", "pool"], \
            labels
        assert "bn2" in labels and "drop" not in " ".join(labels), labels
        assert all(r.ok for r in result.rows), text


@test
def corrupted_third_layer_is_named_first():
    with tempfile.TemporaryDirectory() as tmp:
        module, path = exported(tmp)
        corrupt(path, "conv3", index=7)
        result, text = quiet_check(path, module, x_of(1))
        assert not result.ok, text
        assert result.first_divergent == "conv3", text
        assert "first divergent node: conv3 (Conv2d)" in text, text
        rows = {r.name: r for r in result.rows}
        assert rows["conv1"].ok and rows["conv2"].ok and rows["pool"].ok, text
        assert not rows["conv3"].ok and rows["conv3"].rel > 1e-3, text
        diverging = [line for line in text.splitlines() if "<- diverges" in line]
        assert diverging and diverging[0].split()[1] == "conv3", text


@test
def corrupted_folded_batchnorm_reported_at_its_conv():
    with tempfile.TemporaryDirectory() as tmp:
        module, path = exported(tmp)
        corrupt(path, "bn1", tensor="running_mean", index=3, delta=2.0)
        result, text = quiet_check(path, module, x_of(3))
        assert result.first_divergent == "conv1", text
        assert "first divergent node: conv1 (+bn1, relu1 fused) (Conv2d)" in text, text


@test
def corrupted_standalone_batchnorm_named():
    with tempfile.TemporaryDirectory() as tmp:
        module, path = exported(tmp)
        corrupt(path, "bn2", tensor="bias", index=1, delta=1.0)
        result, text = quiet_check(path, module, x_of(2))
        assert result.first_divergent == "bn2", text
        rows = {r.name: r for r in result.rows}
        assert rows["act"].ok and not rows["bn2"].ok, text


@test
def corrupted_last_layer_named():
    with tempfile.TemporaryDirectory() as tmp:
        module, path = exported(tmp)
        corrupt(path, "fc", tensor="bias", index=9, delta=1.0)
        result, text = quiet_check(path, module, x_of(1))
        assert result.first_divergent == "fc", text
        assert not result.ok and result.max_abs > 0.1, text


@test
def tolerance_is_respected():
    with tempfile.TemporaryDirectory() as tmp:
        module, path = exported(tmp)
        corrupt(path, "conv2", index=0, delta=1e-3)
        strict, text = quiet_check(path, module, x_of(1), tolerance=1e-5)
        loose, _ = quiet_check(path, module, x_of(1), tolerance=5e-2)
        assert strict.first_divergent == "conv2", text
        assert loose.first_divergent is None and loose.ok


@test
def cli_check_with_input_file():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "checknet.py").write_text(textwrap.dedent("""
            import torch, torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4),
                                              nn.ReLU6(), nn.AdaptiveAvgPool2d((2, None)),
                                              nn.Flatten(), nn.Linear(4 * 2 * 4, 3),
                                              nn.Softmax(dim=1))
                def forward(self, x):
                    return self.body(x)
            """))
        np.save(Path(tmp, "x.npy"), np.random.default_rng(0).standard_normal(
            (3, 3, 8, 6)).astype(np.float32))
        proc = subprocess.run([sys.executable, str(TOOLS / "cnnrt_export.py"), "checknet:Net",
                               "--input-shape", "1,3,8,6", "-o", str(Path(tmp, "m.json")),
                               "--check", "--input", str(Path(tmp, "x.npy")),
                               "--cnnrt", str(CNNRT)],
                              cwd=tmp, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "body.0 (+body.1, body.2 fused)" in proc.stdout, proc.stdout
        assert "input [3, 3, 8, 6]" in proc.stdout, proc.stdout
        assert "no node diverges" in proc.stdout and "OK" in proc.stdout, proc.stdout


@test
def check_with_kept_noops_and_reshape():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 6, 3)
            self.drop = nn.Dropout(0.1)

        def forward(self, x):
            return torch.reshape(self.drop(self.conv(x)), (-1, 3, 8, 5)).sigmoid()

    with tempfile.TemporaryDirectory() as tmp:
        module, path = M().eval(), Path(tmp, "model.json")
        export(module, torch.zeros(1, 3, 10, 7), path, keep_noops=True)
        result, text = quiet_check(path, module, x_of(4), keep_noops=True)
        assert result.ok, text
        assert [r.op for r in result.rows] == ["Conv2d", "Dropout", "Reshape", "Sigmoid"], text
        assert result.rows[2].shape == (8, 3, 8, 5), text


def main():
    global CNNRT
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    args = sys.argv[1:]
    try:
        CNNRT = cnnrt_common.find_cnnrt(args[args.index("--cnnrt") + 1]
                                        if "--cnnrt" in args else None)
    except (FileNotFoundError, IndexError) as e:
        print(f"test_check: {e}", file=sys.stderr)
        return 2
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}\n{textwrap.indent(traceback.format_exc(), '    ')}")
        else:
            passed += 1
            print(f"ok   {fn.__name__}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
