#!/usr/bin/python3
"""What PyTorch rejects, cnnrt rejects: one case per invalid parameter or shape.

Each case builds the layer in torch and runs it on an input of the given shape,
asserting that torch raises; then it writes a hand-written model.json with the same
meaning (plus a zero weight blob), runs `cnnrt MODEL --input-f32 ZEROS` and asserts a
non-zero exit status and a stderr message naming the node ('name') and the field.

    /usr/bin/python3 tests/parity/test_rejections.py [--cnnrt PATH] [--verbose]
Prints one line per case and "N passed, N failed"; exit status 1 on any failure, 2 when
the cnnrt binary is missing.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import cnnrt_common  # noqa: E402


@dataclass
class Case:
    name: str
    torch_fn: Callable[[torch.Tensor], object]   # must raise on an input of `shape`
    shape: list                                  # [N, C, H, W]
    nodes: list                                  # cnnrt nodes, weights as name -> shape
    node: str                                    # node the message must name
    field: str                                   # field the message must name


def conv(name="conv1", weight=None, bias=True, **params):
    """A Conv2d node; the weight shape follows the params unless given."""
    cin, cout = params["in_channels"], params["out_channels"]
    k = params["kernel_size"]
    k = [k, k] if isinstance(k, int) else k
    groups = params.get("groups", 1)
    weights = {"weight": weight or [cout, max(cin // max(groups, 1), 1), *k]}
    if bias:
        weights["bias"] = [cout]
    return {"name": name, "op": "Conv2d", "params": params, "weights": weights}


def node(name, op, weights=None, **params):
    n = {"name": name, "op": op, "params": params}
    if weights:
        n["weights"] = weights
    return n


BN_WEIGHTS = {"weight": [3], "bias": [3], "running_mean": [3], "running_var": [3]}

CASES = [
    # Conv2d
    Case("Conv2d groups does not divide in_channels",
         lambda x: nn.Conv2d(6, 4, 3, groups=4)(x), [1, 6, 8, 8],
         [conv(in_channels=6, out_channels=4, kernel_size=3, groups=4, weight=[4, 1, 3, 3])],
         "conv1", "groups"),
    Case("Conv2d groups does not divide out_channels",
         lambda x: nn.Conv2d(4, 6, 3, groups=4)(x), [1, 4, 8, 8],
         [conv(in_channels=4, out_channels=6, kernel_size=3, groups=4)], "conv1", "groups"),
    Case("Conv2d groups=0", lambda x: nn.Conv2d(4, 4, 3, groups=0)(x), [1, 4, 8, 8],
         [conv(in_channels=4, out_channels=4, kernel_size=3, groups=0, weight=[4, 4, 3, 3])],
         "conv1", "groups"),
    Case("Conv2d padding='same' with stride 2",
         lambda x: nn.Conv2d(2, 2, 3, stride=2, padding="same")(x), [1, 2, 8, 8],
         [conv(in_channels=2, out_channels=2, kernel_size=3, stride=2, padding="same")],
         "conv1", "padding"),
    Case("Conv2d padding='full' (unknown string)",
         lambda x: nn.Conv2d(2, 2, 3, padding="full")(x), [1, 2, 8, 8],
         [conv(in_channels=2, out_channels=2, kernel_size=3, padding="full")],
         "conv1", "padding"),
    Case("Conv2d negative padding", lambda x: nn.Conv2d(1, 1, 3, padding=-1)(x), [1, 1, 8, 8],
         [conv(in_channels=1, out_channels=1, kernel_size=3, padding=-1)], "conv1", "padding"),
    Case("Conv2d reflect padding == input size",
         lambda x: nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(x), [1, 1, 3, 3],
         [conv(in_channels=1, out_channels=1, kernel_size=3, padding=3,
               padding_mode="reflect")], "conv1", "padding"),
    Case("Conv2d reflect padding > input width only",
         lambda x: nn.Conv2d(1, 1, 3, padding=(1, 2), padding_mode="reflect")(x), [1, 1, 5, 2],
         [conv(in_channels=1, out_channels=1, kernel_size=3, padding=[1, 2],
               padding_mode="reflect")], "conv1", "padding"),
    Case("Conv2d reflect padding='same' (k=5) on a 2x2 input",
         lambda x: nn.Conv2d(1, 1, 5, padding="same", padding_mode="reflect")(x), [1, 1, 2, 2],
         [conv(in_channels=1, out_channels=1, kernel_size=5, padding="same",
               padding_mode="reflect")], "conv1", "padding"),
    Case("Conv2d circular padding > input size",
         lambda x: nn.Conv2d(1, 1, 3, padding=4, padding_mode="circular")(x), [1, 1, 3, 3],
         [conv(in_channels=1, out_channels=1, kernel_size=3, padding=4,
               padding_mode="circular")], "conv1", "padding"),
    Case("Conv2d padding_mode='mirror'",
         lambda x: nn.Conv2d(1, 1, 3, padding_mode="mirror")(x), [1, 1, 8, 8],
         [conv(in_channels=1, out_channels=1, kernel_size=3, padding_mode="mirror")],
         "conv1", "padding_mode"),
    Case("Conv2d kernel larger than the padded input",
         lambda x: nn.Conv2d(1, 1, 5)(x), [1, 1, 3, 3],
         [conv(in_channels=1, out_channels=1, kernel_size=5)], "conv1", "kernel_size"),
    Case("Conv2d dilated kernel larger than the input",
         lambda x: nn.Conv2d(1, 1, 3, dilation=(1, 3))(x), [1, 1, 8, 6],
         [conv(in_channels=1, out_channels=1, kernel_size=3, dilation=[1, 3])],
         "conv1", "kernel_size"),
    Case("Conv2d stride 0", lambda x: nn.Conv2d(1, 1, 3, stride=0)(x), [1, 1, 8, 8],
         [conv(in_channels=1, out_channels=1, kernel_size=3, stride=0)], "conv1", "stride"),
    Case("Conv2d dilation 0", lambda x: nn.Conv2d(1, 1, 3, dilation=0)(x), [1, 1, 8, 8],
         [conv(in_channels=1, out_channels=1, kernel_size=3, dilation=0)], "conv1",
         "dilation"),
    Case("Conv2d in_channels != input channels", lambda x: nn.Conv2d(4, 2, 3)(x), [1, 3, 8, 8],
         [conv(in_channels=4, out_channels=2, kernel_size=3)], "conv1", "in_channels"),
    # Linear
    Case("Linear in_features != input features",
         lambda x: nn.Linear(10, 3)(x.flatten(1)), [1, 12, 1, 1],
         [node("flatten", "Flatten"),
          node("fc", "Linear", {"weight": [3, 10], "bias": [3]}, in_features=10,
               out_features=3)], "fc", "in_features"),
    # MaxPool2d / AvgPool2d
    Case("MaxPool2d window larger than the padded input", lambda x: nn.MaxPool2d(5)(x),
         [1, 1, 3, 3], [node("pool", "MaxPool2d", kernel_size=5)], "pool", "kernel_size"),
    Case("MaxPool2d dilated window larger than the padded input",
         lambda x: nn.MaxPool2d(3, padding=1, dilation=3)(x), [1, 1, 4, 4],
         [node("pool", "MaxPool2d", kernel_size=3, padding=1, dilation=3)], "pool",
         "kernel_size"),
    Case("MaxPool2d padding > kernel_size / 2", lambda x: nn.MaxPool2d(3, padding=2)(x),
         [1, 1, 8, 8], [node("pool", "MaxPool2d", kernel_size=3, padding=2)], "pool",
         "padding"),
    Case("MaxPool2d kernel_size 0", lambda x: nn.MaxPool2d(0)(x), [1, 1, 8, 8],
         [node("pool", "MaxPool2d", kernel_size=0)], "pool", "kernel_size"),
    Case("MaxPool2d dilation 0", lambda x: nn.MaxPool2d(2, dilation=0)(x), [1, 1, 8, 8],
         [node("pool", "MaxPool2d", kernel_size=2, dilation=0)], "pool", "dilation"),
    Case("MaxPool2d stride -1", lambda x: nn.MaxPool2d(2, stride=-1)(x), [1, 1, 8, 8],
         [node("pool", "MaxPool2d", kernel_size=2, stride=-1)], "pool", "stride"),
    Case("AvgPool2d window larger than the padded input", lambda x: nn.AvgPool2d(5, padding=1)(x),
         [1, 1, 2, 2], [node("pool", "AvgPool2d", kernel_size=5, padding=1)], "pool",
         "kernel_size"),
    Case("AvgPool2d padding > kernel_size / 2", lambda x: nn.AvgPool2d((3, 2), padding=(1, 2))(x),
         [1, 1, 8, 8], [node("pool", "AvgPool2d", kernel_size=[3, 2], padding=[1, 2])], "pool",
         "padding"),
    Case("AvgPool2d divisor_override 0", lambda x: nn.AvgPool2d(2, divisor_override=0)(x),
         [1, 1, 4, 4], [node("pool", "AvgPool2d", kernel_size=2, divisor_override=0)], "pool",
         "divisor_override"),
    Case("AvgPool2d stride 0", lambda x: nn.AvgPool2d(2, stride=0)(x), [1, 1, 4, 4],
         [node("pool", "AvgPool2d", kernel_size=2, stride=0)], "pool", "stride"),
    Case("AdaptiveAvgPool2d output_size -1", lambda x: nn.AdaptiveAvgPool2d(-1)(x),
         [1, 1, 4, 4], [node("pool", "AdaptiveAvgPool2d", output_size=-1)], "pool",
         "output_size"),
    Case("AdaptiveMaxPool2d output_size (2, -3)", lambda x: nn.AdaptiveMaxPool2d((2, -3))(x),
         [1, 1, 4, 4], [node("pool", "AdaptiveMaxPool2d", output_size=[2, -3])], "pool",
         "output_size"),
    # activations
    Case("Hardtanh max_val == min_val", lambda x: nn.Hardtanh(1.0, 1.0)(x), [1, 1, 3, 3],
         [node("act", "Hardtanh", min_val=1.0, max_val=1.0)], "act", "max_val"),
    Case("Hardtanh max_val < min_val", lambda x: nn.Hardtanh(2.0, -2.0)(x), [1, 1, 3, 3],
         [node("act", "Hardtanh", min_val=2.0, max_val=-2.0)], "act", "max_val"),
    Case("Hardtanh deprecated min_value > max_val",
         lambda x: nn.Hardtanh(min_value=2.0, max_val=1.0)(x), [1, 1, 3, 3],
         [node("act", "Hardtanh", min_value=2.0, max_val=1.0)], "act", "min_val"),
    Case("CELU alpha 0", lambda x: nn.CELU(alpha=0.0)(x), [1, 1, 3, 3],
         [node("act", "CELU", alpha=0.0)], "act", "alpha"),
    Case("GELU approximate='fast'", lambda x: nn.GELU(approximate="fast")(x), [1, 1, 3, 3],
         [node("act", "GELU", approximate="fast")], "act", "approximate"),
    Case("PReLU num_parameters neither 1 nor C", lambda x: nn.PReLU(3)(x), [1, 4, 3, 3],
         [node("act", "PReLU", {"weight": [3]}, num_parameters=3)], "act", "num_parameters"),
    Case("Threshold without threshold/value", lambda x: nn.Threshold()(x), [1, 1, 3, 3],
         [node("act", "Threshold")], "act", "threshold"),
    Case("Dropout p 1.5", lambda x: nn.Dropout(1.5)(x), [1, 1, 3, 3],
         [node("drop", "Dropout", p=1.5)], "drop", "p"),
    Case("Dropout2d p -0.1", lambda x: nn.Dropout2d(-0.1)(x), [1, 1, 3, 3],
         [node("drop", "Dropout2d", p=-0.1)], "drop", "p"),
    # softmax family
    *[Case(f"{op}(dim={dim}) on a 4-D input", lambda x, op=op, dim=dim: getattr(nn, op)(dim)(x),
           [1, 2, 3, 3], [node("sm", op, dim=dim)], "sm", "dim")
      for op, dim in [("Softmax", 4), ("LogSoftmax", -5), ("Softmin", 7)]],
    Case("Softmax(dim=2) on a 2-D input", lambda x: nn.Softmax(2)(x.flatten(1)), [1, 2, 3, 3],
         [node("flatten", "Flatten"), node("sm", "Softmax", dim=2)], "sm", "dim"),
    # BatchNorm2d
    Case("BatchNorm2d num_features != channels", lambda x: nn.BatchNorm2d(3).eval()(x),
         [1, 4, 3, 3], [node("bn", "BatchNorm2d", BN_WEIGHTS, num_features=3)], "bn",
         "num_features"),
    # shapes
    Case("Reshape to a wrong element count", lambda x: x.reshape(-1, 7), [1, 2, 3, 3],
         [node("r", "Reshape", shape=[-1, 7])], "r", "shape"),
    Case("Reshape with a fixed wrong size", lambda x: x.reshape(2, 3, 4), [1, 2, 3, 3],
         [node("r", "Reshape", shape=[2, 3, 4])], "r", "shape"),
    Case("Reshape with two -1", lambda x: x.reshape(-1, -1), [1, 2, 3, 3],
         [node("r", "Reshape", shape=[-1, -1])], "r", "shape"),
    Case("Reshape with -2", lambda x: x.reshape(-2, 9), [1, 2, 3, 3],
         [node("r", "Reshape", shape=[-2, 9])], "r", "shape"),
    Case("Unflatten sizes do not multiply up", lambda x: nn.Unflatten(1, (2, 3))(x),
         [1, 4, 3, 3], [node("u", "Unflatten", dim=1, unflattened_size=[2, 3])], "u",
         "unflattened_size"),
    Case("Unflatten with two -1", lambda x: x.unflatten(1, (-1, -1)), [1, 4, 3, 3],
         [node("u", "Unflatten", dim=1, unflattened_size=[-1, -1])], "u", "unflattened_size"),
    Case("Unflatten dim out of range", lambda x: nn.Unflatten(4, (1, 3))(x), [1, 4, 3, 3],
         [node("u", "Unflatten", dim=4, unflattened_size=[1, 3])], "u", "dim"),
    Case("Flatten start_dim after end_dim", lambda x: nn.Flatten(2, 1)(x), [1, 4, 3, 3],
         [node("f", "Flatten", start_dim=2, end_dim=1)], "f", "start_dim"),
    Case("Flatten start_dim out of range", lambda x: nn.Flatten(5)(x), [1, 4, 3, 3],
         [node("f", "Flatten", start_dim=5)], "f", "start_dim"),
    Case("Flatten end_dim out of range", lambda x: torch.flatten(x, 0, -6), [1, 4, 3, 3],
         [node("f", "Flatten", start_dim=0, end_dim=-6)], "f", "end_dim"),
]


def write_model(directory, case):
    """model.json (weights laid out 64-byte aligned) + a zero blob + a zero input."""
    offset, nodes = 0, []
    for n in case.nodes:
        n = json.loads(json.dumps(n))
        for name, shape in n.get("weights", {}).items():
            n["weights"][name] = {"offset": offset, "shape": shape}
            offset += -(-4 * int(np.prod(shape)) // 64) * 64
        nodes.append(n)
    model = {"format": "cnnrt", "version": 1,
             "input": {"name": "input", "shape": case.shape}, "nodes": nodes}
    if offset:
        model["weights"] = "model.bin"
        Path(directory, "model.bin").write_bytes(bytes(offset))
    Path(directory, "model.json").write_text(json.dumps(model, indent=1))
    np.zeros(int(np.prod(case.shape)), "<f4").tofile(Path(directory, "input.f32"))


def run_case(case, cnnrt, directory):
    """Returns (ok, description)."""
    try:
        with torch.no_grad():
            case.torch_fn(torch.randn(case.shape))
    except Exception as e:   # RuntimeError, ValueError, AssertionError, IndexError, ...
        torch_message = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    else:
        return False, "torch accepted it"
    write_model(directory, case)
    proc = subprocess.run([str(cnnrt), str(Path(directory, "model.json")), "--input-f32",
                           str(Path(directory, "input.f32")), "--output-f32",
                           str(Path(directory, "output.f32"))],
                          capture_output=True, text=True, timeout=60)
    stderr = proc.stderr.strip()
    problems = []
    if proc.returncode == 0:
        problems.append("cnnrt exited with status 0")
    if f"'{case.node}'" not in stderr:
        problems.append(f"message does not name node '{case.node}'")
    if case.field not in stderr:
        problems.append(f"message does not name the field {case.field!r}")
    text = f"torch: {torch_message[:110]} | cnnrt (exit {proc.returncode}): {stderr}"
    return not problems, ("; ".join(problems) + " | " if problems else "") + text


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cnnrt", help="cnnrt binary (default $CNNRT_BIN or build/cnnrt)")
    p.add_argument("--verbose", action="store_true", help="print both messages per case")
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")   # Hardtanh's deprecated min_value, ...
    try:
        cnnrt = cnnrt_common.find_cnnrt(args.cnnrt)
    except FileNotFoundError as e:
        print(f"test_rejections: {e}", file=sys.stderr)
        return 2
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="cnnrt_rejections_") as tmp:
        for i, case in enumerate(CASES):
            directory = Path(tmp, f"{i:02d}")
            directory.mkdir()
            ok, text = run_case(case, cnnrt, directory)
            passed += ok
            failed += not ok
            if ok and not args.verbose:
                print(f"ok   {case.name}: {text.split(' | cnnrt (exit 1): ')[-1]}")
            else:
                print(f"{'ok  ' if ok else 'FAIL'} {case.name}: {text}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
