#!/usr/bin/python3
"""Writes tests/golden/pooling_golden.h: PyTorch's outputs for AvgPool2d,
AdaptiveAvgPool2d, AdaptiveMaxPool2d, Reshape, Unflatten, Identity and the Dropouts.

Every case is a tiny cnnrt model whose params are written out by hand (so that the JSON
forms themselves are covered: omitted and null strides, int or pair, null entries of
output_size), the input and PyTorch's output. The batch cases run at a session batch other
than the model's. Deterministic (fixed seed); regenerate with

    /usr/bin/python3 tests/golden/make_pooling_golden.py

and commit the header. Float formatting is make_golden.py's.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_golden import c_floats  # noqa: E402


def c_string(text):
    """A C string literal over several lines; split before escaping, so that no escape
    sequence is cut in two (make_golden.py's c_string can cut one)."""
    chunks = [text[i:i + 80] for i in range(0, len(text), 80)]
    return "\n".join('    "%s"' % c.replace("\\", "\\\\").replace('"', '\\"') for c in chunks)


class Case:
    """name, declared input shape, layers as (torch callable, op, params); batch: run at
    this session batch instead of the declared one."""

    def __init__(self, name, input_shape, layers, batch=None, input_fn=None):
        self.name, self.input_shape, self.layers = name, input_shape, layers
        self.batch, self.input_fn = batch, input_fn

    def render(self):
        shape = (self.batch or self.input_shape[0],) + tuple(self.input_shape[1:])
        x = torch.randn(shape)
        if self.input_fn:
            x = self.input_fn(x)
        y = x
        with torch.no_grad():
            for fn, _, _ in self.layers:
                y = fn.eval()(y) if isinstance(fn, nn.Module) else fn(y)
        nodes = []
        for i, (_, op, params) in enumerate(self.layers):
            node = {"name": f"layer{i}", "op": op}
            if params is not None:
                node["params"] = params
            nodes.append(node)
        model = {"format": "cnnrt", "version": 1,
                 "input": {"name": "x", "shape": list(self.input_shape)}, "nodes": nodes}
        n = self.name
        text = json.dumps(model, separators=(",", ":"))
        body = "\n".join([
            f"static const char {n}_json[] =\n{c_string(text)};",
            f"static const float {n}_input[] = {{\n{c_floats(x.numpy().ravel())}}};",
            f"static const float {n}_expected[] = {{\n{c_floats(y.numpy().ravel())}}};"])
        dims = ", ".join(str(d) for d in y.shape)
        row = (f"{{\"{n}\", {n}_json, NULL, 0, {n}_input, {x.numel()}, {n}_expected, "
               f"{y.numel()}, {y.dim()}, {{{dims}}}}}")
        if self.batch:
            row = f"{{{row}, {self.batch}}}"
        return body, f"    {row},"


def avg(name, shape, torch_args, params, **kw):
    return Case(name, shape, [(nn.AvgPool2d(**torch_args), "AvgPool2d", params)], **kw)


def avgpool_cases():
    k3s2p1 = {"kernel_size": 3, "stride": 2, "padding": 1}
    ceil = {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}
    over = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}
    return [
        avg("avg_stride_omitted", (1, 2, 6, 7), dict(kernel_size=2), {"kernel_size": 2}),
        avg("avg_stride_null", (1, 1, 7, 7), dict(kernel_size=3),
            {"kernel_size": [3, 3], "stride": None}),
        avg("avg_k3_s2_p1", (2, 3, 7, 7), k3s2p1, k3s2p1),
        avg("avg_k3_s2_p1_exclude_pad", (2, 3, 7, 7), dict(k3s2p1, count_include_pad=False),
            dict(k3s2p1, count_include_pad=False)),
        avg("avg_rect", (2, 2, 7, 5), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
            {"kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0]}),
        # (3 - 1) * 2 - 1 = 3 < 5: the last window starts inside; 3 * 2 - 1 = 5 would start in
        # the right padding, so ceil_mode drops it.
        avg("avg_ceil_last_in_padding", (2, 2, 5, 5), ceil, ceil),
        avg("avg_ceil_last_in_padding_exclude", (1, 2, 5, 5), dict(ceil, count_include_pad=False),
            dict(ceil, count_include_pad=False)),
        # The last window [5, 8) hangs past the padded input [-1, 7): divisor 2 rows, not 3.
        avg("avg_ceil_overhang", (2, 2, 6, 6), over, over),
        avg("avg_ceil_overhang_exclude", (1, 2, 6, 6), dict(over, count_include_pad=False),
            dict(over, count_include_pad=False)),
        avg("avg_ceil_unpadded", (1, 1, 6, 8), dict(kernel_size=3, stride=2, ceil_mode=True),
            {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        avg("avg_divisor", (2, 2, 7, 6), dict(k3s2p1, divisor_override=4),
            dict(k3s2p1, divisor_override=4)),
        avg("avg_divisor_negative_ceil", (1, 2, 6, 6), dict(over, divisor_override=-2),
            dict(over, divisor_override=-2)),
        avg("avg_divisor_exclude_pad", (1, 2, 5, 5),
            dict(k3s2p1, count_include_pad=False, divisor_override=5),
            dict(k3s2p1, count_include_pad=False, divisor_override=5)),
        avg("avg_odd_rect_ceil", (1, 2, 9, 7),
            dict(kernel_size=(4, 5), stride=(3, 2), padding=(2, 1), ceil_mode=True,
                 count_include_pad=False),
            {"kernel_size": [4, 5], "stride": [3, 2], "padding": [2, 1], "ceil_mode": True,
             "count_include_pad": False}),
        avg("avg_kernel_fills_padded", (1, 1, 5, 5), dict(kernel_size=7, padding=1),
            {"kernel_size": 7, "padding": 1}),
        avg("avg_all_defaults_written", (3, 2, 6, 6), dict(kernel_size=2),
            {"kernel_size": 2, "stride": None, "padding": 0, "ceil_mode": False,
             "count_include_pad": True, "divisor_override": None}),
    ]


def adaptive_cases():
    cases = []
    shapes = [("smaller_nondiv", (2, 3, 7, 7), 3, 3),
              ("equal", (1, 2, 5, 5), 5, 5),
              ("larger", (1, 2, 3, 4), (5, 7), [5, 7]),
              ("rect_nondiv", (2, 2, 10, 7), (3, 4), [3, 4]),
              ("none_h", (1, 2, 6, 9), (None, 4), [None, 4]),
              ("none_w", (1, 2, 6, 9), (4, None), [4, None]),
              ("none_both", (1, 1, 3, 5), (None, None), [None, None]),
              ("global", (2, 4, 6, 5), 1, 1)]
    for kind, module, op in (("aavg", nn.AdaptiveAvgPool2d, "AdaptiveAvgPool2d"),
                             ("amax", nn.AdaptiveMaxPool2d, "AdaptiveMaxPool2d")):
        for suffix, shape, size, json_size in shapes:
            cases.append(Case(f"{kind}_{suffix}", shape,
                              [(module(size), op, {"output_size": json_size})]))
    cases.append(Case("amax_ties_negative", (1, 2, 5, 6),
                      [(nn.AdaptiveMaxPool2d((2, 4)), "AdaptiveMaxPool2d",
                        {"output_size": [2, 4], "return_indices": False})],
                      input_fn=lambda x: -x.abs().round() - 1))
    return cases


def reshape(shape):
    return (lambda x: x.reshape(shape)), "Reshape", {"shape": shape}


def unflatten(dim, sizes):
    return nn.Unflatten(dim, sizes), "Unflatten", {"dim": dim, "unflattened_size": list(sizes)}


def reshape_cases():
    flatten = (nn.Flatten(), "Flatten", None)
    pool = (nn.AvgPool2d(2), "AvgPool2d", {"kernel_size": 2})
    chain = [reshape([-1, 3, 8, 2]), pool, flatten, unflatten(1, (2, -1))]
    return [
        Case("reshape_batch_inferred", (2, 6, 5, 5), [reshape([-1, 3, 5, 5])]),
        Case("reshape_features", (2, 3, 4, 5), [reshape([-1, 60])]),
        Case("reshape_inner_inferred", (2, 3, 4, 5), [reshape([2, -1, 10])]),
        Case("reshape_rank6", (2, 3, 4, 5), [reshape([-1, 1, 3, 2, 2, 5])]),
        Case("reshape_then_pool", (2, 6, 4, 4), chain),
        Case("unflatten_after_flatten", (2, 3, 4, 5), [flatten, unflatten(1, (6, -1))]),
        Case("unflatten_negative_dim", (2, 3, 4, 10), [unflatten(-1, (5, 2))]),
        Case("unflatten_single", (2, 6, 2, 2), [unflatten(1, (6,))]),
        Case("noops_chain", (2, 2, 4, 4), [
            (nn.Dropout(0.3), "Dropout", {"p": 0.3}),
            (nn.Identity(), "Identity", None),
            pool,
            (nn.Dropout2d(0.5, inplace=True), "Dropout2d", {"p": 0.5, "inplace": True}),
            (nn.ReLU(inplace=True), "ReLU", {"inplace": True}),
            (nn.AlphaDropout(), "AlphaDropout", {}),
            (nn.Dropout(1.0), "Dropout", {"p": 1}),
            reshape([-1, 8])]),
    ]


def reshape_batch_cases():
    pool = (nn.AvgPool2d(2), "AvgPool2d", {"kernel_size": 2})
    return [
        Case("reshape_batch_inferred_b5", (2, 6, 5, 5), [reshape([-1, 3, 5, 5])], batch=5),
        Case("reshape_features_b3", (2, 6, 5, 5), [reshape([-1, 150])], batch=3),
        Case("reshape_then_pool_b3", (2, 6, 4, 4),
             [reshape([-1, 3, 8, 2]), pool, (nn.Flatten(), "Flatten", None),
              unflatten(1, (2, -1))], batch=3),
        Case("reshape_batch1_model_b4", (1, 6, 5, 5), [reshape([-1, 3, 25])], batch=4),
    ]


def main():
    torch.manual_seed(0)
    tables = [("golden_pooling", "golden_case", avgpool_cases() + adaptive_cases()),
              ("golden_reshape", "golden_case", reshape_cases()),
              ("golden_reshape_batch", "golden_batch_case", reshape_batch_cases())]
    bodies, arrays = [], []
    for array, ctype, cases in tables:
        rows = []
        for case in cases:
            body, row = case.render()
            bodies.append(body)
            rows.append(row)
        arrays.append(f"static const {ctype} {array}[] = {{\n" + "\n".join(rows) + "\n};")
        print(f"{array}: {len(rows)} cases")
    text = (f"/* Generated by tests/golden/make_pooling_golden.py (PyTorch {torch.__version__}); "
            "do not edit. */\n#ifndef CNNRT_TESTS_GOLDEN_POOLING_GOLDEN_H\n"
            "#define CNNRT_TESTS_GOLDEN_POOLING_GOLDEN_H\n\n#include \"tests/test_util.h\"\n\n"
            "/* A case run at a session batch other than the model's (input and expected are at\n"
            " * that batch). */\ntypedef struct {\n  golden_case c;\n  size_t batch;\n"
            "} golden_batch_case;\n\n" + "\n\n".join(bodies) + "\n\n" + "\n\n".join(arrays) +
            "\n\n#endif\n")
    out = HERE / "pooling_golden.h"
    out.write_text(text)
    if shutil.which("clang-format"):  # the repo's format check covers committed headers
        subprocess.run(["clang-format", "-i", str(out)], check=True)


if __name__ == "__main__":
    main()
