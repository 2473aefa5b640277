#!/usr/bin/python3
"""A slow PyTorch stand-in for the `cnnrt` command line, for testing the test tools.

It reads a model.json (docs/format.md) independently of the exporter, rebuilds each
node as the torch.nn module named by `op` from its params, loads its weights from the
blob and runs the graph. Use it to check the harness when build/cnnrt is missing:

    CNNRT_BIN=tests/parity/reference_cnnrt.py /usr/bin/python3 tests/parity/run_parity.py \\
        --filter Softmax

Supports the same interface: MODEL --input-f32 IN --output-f32 OUT [--batch N]
[--threads N], and MODEL IMG... --json --top K. With REFERENCE_CNNRT_NO_PADDING_MODE=1
it rejects Conv2d padding_mode other than "zeros", like a runtime that lacks them.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import cnnrt_common  # noqa: E402

OPS = {"Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
       "Unflatten", "Identity", "Dropout", "Dropout2d", "AlphaDropout", "BatchNorm2d", "ReLU",
       "ReLU6", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "CELU", "SELU", "GELU", "SiLU",
       "Mish", "Hardswish", "Hardsigmoid", "Hardtanh", "Softplus", "Softsign", "Threshold",
       "Softmax", "LogSoftmax", "Softmin", "Flatten", "Reshape"}


class Reshape(nn.Module):
    """torch.reshape(x, shape) (format v1's Reshape op)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = list(shape)

    def forward(self, x):
        return torch.reshape(x, self.shape)


def build_node(node, state):
    """torch.nn module for one node, weights loaded."""
    if node["op"] not in OPS:
        raise ValueError(f"node {node['name']}: unsupported op {node['op']}")
    params = node.get("params", {})
    if params.get("padding_mode", "zeros") != "zeros" \
            and os.environ.get("REFERENCE_CNNRT_NO_PADDING_MODE"):
        raise ValueError(f"node {node['name']}: unsupported padding_mode")
    params = {k: tuple(v) if isinstance(v, list) and k == "output_size" else v
              for k, v in params.items()}
    module = Reshape(**params) if node["op"] == "Reshape" else getattr(nn, node["op"])(**params)
    weights = {name: torch.from_numpy(state[f"{node['name']}.{name}"])
               for name in node.get("weights", {})}
    # strict except for BatchNorm2d's num_batches_tracked, which the format never holds
    missing, unexpected = module.load_state_dict(weights, strict=False)
    if unexpected or [m for m in missing if m != "num_batches_tracked"]:
        raise ValueError(f"node {node['name']}: weights {sorted(weights)} do not match "
                         f"{node['op']} (missing {missing}, unexpected {unexpected})")
    return module.eval()


def run_graph(model, state, x):
    """Evaluate the nodes in dependency order (default input: the previous node)."""
    values = {model["input"]["name"]: x}
    pending, previous = [], model["input"]["name"]
    for node in model["nodes"]:
        pending.append((node, node.get("inputs", [previous])))
        previous = node["name"]
    while pending:
        ready = [(n, i) for n, i in pending if all(name in values for name in i)]
        if not ready:
            raise ValueError("graph has a cycle or a missing input")
        for node, inputs in ready:
            values[node["name"]] = build_node(node, state)(*(values[i] for i in inputs))
            pending.remove((node, inputs))
    return values[model.get("output", model["nodes"][-1]["name"])]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("images", nargs="*")
    p.add_argument("--input-f32")
    p.add_argument("--output-f32")
    p.add_argument("--batch", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--top", type=int, default=5)
    args = p.parse_args()
    model = cnnrt_common.read_model(args.model)
    state = cnnrt_common.read_state_dict(args.model)
    shape = list(model["input"]["shape"])
    with torch.no_grad():
        if args.input_f32:
            shape[0] = args.batch or shape[0]
            x = torch.from_numpy(np.fromfile(args.input_f32, dtype="<f4").reshape(shape))
            run_graph(model, state, x).numpy().astype("<f4").tofile(args.output_f32)
            return
        for path in args.images:
            x = torch.from_numpy(cnnrt_common.preprocess_image(path, model))[None]
            probs = torch.softmax(run_graph(model, state, x).flatten(), 0)
            top = torch.topk(probs, min(args.top, probs.numel()))
            labels = model.get("labels")
            print(json.dumps({"image": path, "top": [
                {"index": int(i), "label": labels[i] if labels else str(int(i)),
                 "prob": float(v)} for v, i in zip(top.values, top.indices)]}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report like the real tool: message + non-zero exit
        print(f"reference_cnnrt: error: {e}", file=sys.stderr)
        sys.exit(1)
