#!/usr/bin/python3
"""Writes the op-level golden cases of the C test suite: tests/golden/golden_<family>.h.

Each case is a tiny cnnrt model (JSON text + weight blob, written here independently of
tools/cnnrt_export.py so that an exporter bug cannot hide a runtime bug), an input tensor
and the output PyTorch computes for it. The C tests load the model from memory, run it and
compare. Deterministic (fixed seed); regenerate with

    /usr/bin/python3 tests/golden/make_golden.py

and commit the headers.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

ALIGNMENT = 64
HERE = Path(__file__).resolve().parent


def pair(v):
    return [int(v[0]), int(v[1])] if isinstance(v, (tuple, list)) else [int(v), int(v)]


def compact(v, ints):
    """[3, 3] -> 3 when the case asks for the integer form (exercises int-or-pair)."""
    return v[0] if ints and isinstance(v, list) and v[0] == v[1] else v


def node_for(module, ints, extra):
    """(op, params, {weight name: tensor}) of a module, under PyTorch's names."""
    if isinstance(module, nn.Conv2d):
        params = {
            "in_channels": module.in_channels, "out_channels": module.out_channels,
            "kernel_size": compact(pair(module.kernel_size), ints),
            "stride": compact(pair(module.stride), ints),
            "padding": (module.padding if isinstance(module.padding, str)
                        else compact(pair(module.padding), ints)),
            "dilation": compact(pair(module.dilation), ints), "groups": module.groups,
            "bias": module.bias is not None, "padding_mode": module.padding_mode}
        weights = {"weight": module.weight}
        if module.bias is not None:
            weights["bias"] = module.bias
        return "Conv2d", params, weights
    if isinstance(module, nn.MaxPool2d):
        params = {"kernel_size": compact(pair(module.kernel_size), ints),
                  "stride": compact(pair(module.stride), ints),
                  "padding": compact(pair(module.padding), ints),
                  "dilation": compact(pair(module.dilation), ints),
                  "ceil_mode": module.ceil_mode}
        return "MaxPool2d", params, {}
    if isinstance(module, nn.Linear):
        params = {"in_features": module.in_features, "out_features": module.out_features,
                  "bias": module.bias is not None}
        weights = {"weight": module.weight}
        if module.bias is not None:
            weights["bias"] = module.bias
        return "Linear", params, weights
    if isinstance(module, nn.ReLU):
        return "ReLU", {"inplace": module.inplace}, {}
    if isinstance(module, nn.Sigmoid):
        return "Sigmoid", {}, {}
    if isinstance(module, nn.Softmax):
        return "Softmax", {"dim": module.dim}, {}
    if isinstance(module, nn.Flatten):
        return "Flatten", {"start_dim": module.start_dim, "end_dim": module.end_dim}, {}
    raise TypeError(f"no golden writer for {type(module).__name__}")


def build_model(layers, input_shape, ints, extra):
    """Model JSON (a dict) and the blob (float32 array) for a chain of layers."""
    blob, nodes = [], []
    offset = 0
    for i, module in enumerate(layers):
        op, params, weights = node_for(module, ints, extra)
        params.update(extra.get(i, {}))
        params = {k: v for k, v in params.items() if v != "omit"}
        node = {"name": f"layer{i}", "op": op}
        if params:
            node["params"] = params
        refs = {}
        for name, tensor in weights.items():
            data = tensor.detach().numpy().astype(np.float32).ravel()
            refs[name] = {"offset": offset, "shape": list(tensor.shape)}
            padded = -(-data.size * 4 // ALIGNMENT) * ALIGNMENT // 4
            blob.append(np.concatenate([data, np.zeros(padded - data.size, np.float32)]))
            offset += padded * 4
        if refs:
            node["weights"] = refs
        nodes.append(node)
    model = {"format": "cnnrt", "version": 1}
    if blob:
        model["weights"] = "golden.bin"
    model["input"] = {"name": "x", "shape": list(input_shape)}
    model["nodes"] = nodes
    return model, (np.concatenate(blob) if blob else np.zeros(0, np.float32))


def c_floats(values):
    """float32 values as C literals that round-trip exactly, 5 per line."""
    out = []
    for v in values:
        text = "%.9g" % float(v)
        if not any(c in text for c in ".en"):
            text += "."
        out.append(text + "f")
    lines = [", ".join(out[i:i + 5]) for i in range(0, len(out), 5)]
    return "    " + ",\n    ".join(lines)


def c_string(text):
    """A C string literal in lines of at most 90 escaped characters (no escape is cut)."""
    lines, line = [], ""
    for ch in text:
        piece = "\\" + ch if ch in '"\\' else ch
        if len(line) + len(piece) > 90:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\n".join(f'    "{line}"' for line in lines)


class Case:
    def __init__(self, name, input_shape, layers, ints=False, extra=None, input_fn=None):
        self.name, self.input_shape, self.layers = name, input_shape, layers
        self.ints, self.extra, self.input_fn = ints, extra or {}, input_fn

    def render(self):
        x = torch.randn(self.input_shape)
        if self.input_fn:
            x = self.input_fn(x)
        model = nn.Sequential(*self.layers).eval()
        with torch.no_grad():
            y = model(x)
        spec, blob = build_model(self.layers, self.input_shape, self.ints, self.extra)
        text = json.dumps(spec, separators=(",", ":"))
        n = self.name
        parts = [f"static const char {n}_json[] =\n{c_string(text)};"]
        if blob.size:
            parts.append(f"static const float {n}_weights[] = {{\n{c_floats(blob)}}};")
        parts.append(f"static const float {n}_input[] = {{\n{c_floats(x.numpy().ravel())}}};")
        parts.append(f"static const float {n}_expected[] = {{\n{c_floats(y.numpy().ravel())}}};")
        weights = f"{n}_weights, sizeof {n}_weights" if blob.size else "NULL, 0"
        dims = ", ".join(str(d) for d in y.shape)
        row = (f"    {{\"{n}\", {n}_json,\n     {weights},\n     {n}_input, {x.numel()},\n"
               f"     {n}_expected, {y.numel()},\n     {y.dim()}, {{{dims}}}}},")
        return "\n".join(parts), row


def conv_cases():
    C = nn.Conv2d
    return [
        Case("conv_k3_s2_p1", (1, 3, 9, 9), [C(3, 4, 3, stride=2, padding=1)], ints=True),
        Case("conv_pair_padding", (1, 2, 7, 8), [C(2, 3, (3, 5), stride=(1, 2), padding=(1, 2))]),
        Case("conv_rect_stride", (1, 2, 9, 10), [C(2, 3, (2, 3), stride=(2, 3))]),
        Case("conv_same_even", (1, 2, 6, 7), [C(2, 3, (4, 2), padding="same")]),
        Case("conv_same_even_dilated", (1, 2, 8, 8), [C(2, 2, 4, padding="same", dilation=(1, 3))]),
        Case("conv_same_reflect_even", (1, 2, 5, 5),
             [C(2, 2, 4, padding="same", padding_mode="reflect")]),
        Case("conv_valid", (1, 3, 6, 5), [C(3, 2, 3, padding="valid")]),
        Case("conv_dilation", (1, 2, 10, 9), [C(2, 3, 3, dilation=(2, 3), padding=2)]),
        Case("conv_groups2", (1, 4, 6, 6), [C(4, 6, 3, groups=2, padding=1)], ints=True),
        Case("conv_depthwise", (1, 3, 6, 6), [C(3, 3, 3, groups=3, padding=1)]),
        Case("conv_depthwise_mult2", (1, 3, 6, 6), [C(3, 6, 3, groups=3, padding=1)]),
        Case("conv_no_bias", (1, 2, 5, 5), [C(2, 3, 3, bias=False)]),
        Case("conv_reflect", (1, 2, 5, 6), [C(2, 3, 3, padding=(1, 2), padding_mode="reflect")]),
        Case("conv_reflect_max", (1, 1, 3, 4), [C(1, 2, 3, padding=(2, 3), padding_mode="reflect")]),
        Case("conv_replicate", (1, 2, 5, 6), [C(2, 3, 3, padding=2, padding_mode="replicate")]),
        Case("conv_circular", (1, 2, 5, 6), [C(2, 3, 3, padding=(1, 2), padding_mode="circular")]),
        Case("conv_circular_full", (1, 1, 3, 3), [C(1, 2, 3, padding=3, padding_mode="circular")]),
        Case("conv_pointwise", (2, 4, 5, 5), [C(4, 3, 1)]),
        Case("conv_pointwise_stride2", (1, 4, 5, 5), [C(4, 3, 1, stride=2)]),
        Case("conv_batch3", (3, 2, 6, 6), [C(2, 4, 3, padding=1)]),
        Case("conv_wide", (2, 8, 12, 12), [C(8, 16, 3, padding=1)]),
        # more output channels and pixels than one GEMM tile, ReLU fused into the conv
        Case("conv_panels_relu", (2, 5, 7, 9), [C(5, 23, 3, padding=1), nn.ReLU()]),
    ]


def pool_cases():
    P = nn.MaxPool2d
    return [
        Case("pool_default_stride", (1, 2, 7, 7), [P(2)], extra={0: {"stride": "omit"}}),
        Case("pool_stride_null", (1, 2, 8, 8), [P(3)], ints=True, extra={0: {"stride": None}}),
        Case("pool_padding_negative", (1, 2, 5, 5), [P(3, 1, 1)],
             input_fn=lambda x: -x.abs() - 1),
        Case("pool_ceil_edge", (1, 1, 5, 5), [P(2, stride=2, padding=1, ceil_mode=True)]),
        Case("pool_ceil_partial", (1, 2, 6, 6), [P(3, 2, ceil_mode=True)]),
        Case("pool_ceil_rect", (1, 1, 5, 8), [P((3, 2), stride=(2, 3), padding=1, ceil_mode=True)]),
        Case("pool_dilation", (1, 2, 9, 9), [P(3, stride=2, padding=1, dilation=2)]),
        Case("pool_dilation_ceil", (1, 1, 8, 8), [P(2, stride=3, dilation=2, ceil_mode=True)]),
        Case("pool_batch3", (3, 2, 6, 6), [P(2)]),
    ]


def linear_cases():
    L, F = nn.Linear, nn.Flatten
    return [
        Case("linear_bias", (2, 3, 2, 2), [F(), L(12, 5)]),
        Case("linear_no_bias", (2, 3, 2, 2), [F(), L(12, 4, bias=False)]),
        Case("linear_4d", (2, 3, 4, 5), [L(5, 3)]),
        Case("linear_odd_width", (1, 1, 1, 37), [L(37, 9)]),
        Case("linear_chain", (1, 2, 3, 3), [F(), L(18, 7), nn.ReLU(), L(7, 3)]),
        # 7 rows x 37 features: partial GEMM tiles on both sides, ReLU fused
        Case("linear_panels", (7, 2, 4, 5), [F(), L(40, 37), nn.ReLU()]),
    ]


def activation_cases():
    def spread(x):
        x = x * 8
        x.view(-1)[:6] = torch.tensor([0.0, -0.0, 100.0, -100.0, 1000.0, -1000.0])
        return x
    return [
        Case("relu", (2, 3, 4, 5), [nn.ReLU()]),
        Case("sigmoid", (1, 2, 3, 4), [nn.Sigmoid()], input_fn=spread),
        Case("conv_relu_inplace", (1, 2, 5, 5),
             [nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(inplace=True), nn.Sigmoid()]),
    ]


def softmax_cases():
    cases = [Case(f"softmax_dim{'m' if d < 0 else ''}{abs(d)}", (2, 3, 4, 5), [nn.Softmax(d)])
             for d in range(-4, 4)]
    cases.append(Case("softmax_flat", (2, 3, 2, 2), [nn.Flatten(), nn.Softmax(1)]))
    cases.append(Case("softmax_huge_logits", (1, 1, 2, 6), [nn.Softmax(-1)],
                      input_fn=lambda x: x * 1e4))
    return cases


def flatten_cases():
    F = nn.Flatten
    shape = (2, 3, 4, 5)
    return [
        Case("flatten_default", shape, [F()]),
        Case("flatten_all", shape, [F(0, -1)]),
        Case("flatten_1_2", shape, [F(1, 2)]),
        Case("flatten_2_3", shape, [F(2, 3)]),
        Case("flatten_m3_m2", shape, [F(-3, -2)]),
        Case("flatten_same_dim", shape, [F(3, 3)]),
        Case("flatten_after_relu", shape, [nn.ReLU(), F(1, -2)]),
    ]


FAMILIES = {"conv2d": conv_cases, "pool": pool_cases, "linear": linear_cases,
            "activation": activation_cases, "softmax": softmax_cases,
            "flatten": flatten_cases}


def main():
    torch.manual_seed(0)
    for family, make in FAMILIES.items():
        bodies, rows = [], []
        for case in make():
            body, row = case.render()
            bodies.append(body)
            rows.append(row)
        guard = f"CNNRT_TESTS_GOLDEN_{family.upper()}_H"
        text = (f"/* Generated by tests/golden/make_golden.py (PyTorch {torch.__version__}); "
                f"do not edit. */\n#ifndef {guard}\n#define {guard}\n\n"
                f"#include \"tests/test_util.h\"\n\n" + "\n\n".join(bodies) +
                f"\n\nstatic const golden_case golden_{family}[] = {{\n" + "\n".join(rows) +
                f"\n}};\n\n#endif\n")
        (HERE / f"golden_{family}.h").write_text(text)
        print(f"golden_{family}.h: {len(rows)} cases")
    # The headers are committed with the C sources, so they follow .clang-format too.
    if shutil.which("clang-format"):
        subprocess.run(["clang-format", "-i"] + [str(HERE / f"golden_{f}.h") for f in FAMILIES],
                       check=True)


if __name__ == "__main__":
    main()
