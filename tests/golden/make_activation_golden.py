#!/usr/bin/python3
"""Writes activation_golden.h: inputs and PyTorch's outputs for every activation and
softmax-family op / parameter combination that tests/test_activations.c checks.

Run with Debian's interpreter (it has torch): /usr/bin/python3 make_activation_golden.py
Deterministic (fixed seed, CPU float32), so re-running gives the same file.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn

SEED = 1234
SHAPE = [2, 3, 4, 5]  # N, C, H, W: C = 3 gives PReLU three channels
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "activation_golden.h")

# Values at every branch point and overflow edge of the ops under test.
EDGES = [0.0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 1e-3, -1e-3, 0.25, -0.25, 0.5, -0.5, 1.0, -1.0,
         2.9999, 3.0, -3.0, -3.0001, 6.0, 6.0001, -6.0, 10.0, 10.5, 20.0, 20.5, -20.0, -20.5,
         21.0, 88.0, 89.0, -88.0, -104.0, 100.0, -100.0, 1e3, -1e3, 1e4, -1e4, 3e38, -3e38]
SPECIALS = [math.nan, math.inf, -math.inf]


def f32(values):
    return np.asarray(values, dtype=np.float32)


def make_inputs(rng):
    n = int(np.prod(SHAPE))
    fill = n - len(EDGES) - len(SPECIALS)
    rest = np.concatenate([rng.normal(0.0, 3.0, fill // 2), rng.uniform(-12.0, 12.0, fill - fill // 2)])
    act = f32(EDGES + SPECIALS + list(rest))
    act = act[rng.permutation(n)]  # spread the edges over channels and batch
    # Softmax family: finite logits, several lines holding +-1e4 (torch has no trouble there).
    sm = f32(rng.normal(0.0, 4.0, n))
    sm[rng.choice(n, 12, replace=False)] = f32([1e4, -1e4, 1e4, -1e4, 5e3, -5e3, 1e4, 1e4, -1e4,
                                                -1e4, 80.0, -80.0])
    # One 4x4 image with NaN / inf / all -inf / -inf-plus-finite rows.
    nan, inf = math.nan, math.inf
    special = f32([[nan, 1, 2, 3], [inf, 1, 2, 3], [-inf, -inf, -inf, -inf], [-inf, 0, 1, 2]])
    return [("act", SHAPE, act), ("softmax", SHAPE, sm), ("softmax_special", [1, 1, 4, 4], special.ravel())]


class Case:
    def __init__(self, name, input_index, nodes, module, weights=None, rel_tol=1e-5):
        self.name, self.input_index, self.nodes = name, input_index, nodes
        self.module, self.weights, self.rel_tol = module, weights, rel_tol


def node(op, params=None, name="act", weights=None):
    n = {"name": name, "op": op}
    if params:
        n["params"] = params
    if weights:
        n["weights"] = weights
    return n


def simple(op, params, module, input_index=0, rel_tol=1e-5):
    label = op + ("" if not params else " " + json.dumps(params, separators=(",", ":")))
    return Case(label, input_index, [node(op, params)], module, rel_tol=rel_tol)


def prelu_case(name, num_parameters, weight, flatten=False, init=None):
    params = {"num_parameters": num_parameters}
    if init is not None:
        params["init"] = init
    w = {"weight": {"offset": 0, "shape": [num_parameters]}}
    nodes = ([node("Flatten", name="flat")] if flatten else []) + [node("PReLU", params, weights=w)]
    m = nn.PReLU(num_parameters)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(weight))
    module = nn.Sequential(nn.Flatten(), m) if flatten else m
    return Case(name, 0, nodes, module, weights=weight)


def cases(rng):
    # Transcendental ops: glibc's expf/erff/tanhf vs torch's SLEEF differ by a few ulp (worst
    # seen: 2.7e-7 for GELU), so they pass at 1e-5 too; T is where to loosen for another libm.
    T = 1e-5
    c = [
        simple("ReLU", None, nn.ReLU()),
        simple("ReLU", {"inplace": True}, nn.ReLU(inplace=False)),
        simple("ReLU6", None, nn.ReLU6()),
        simple("ReLU6", {"inplace": True}, nn.ReLU6()),
        simple("Sigmoid", None, nn.Sigmoid(), rel_tol=T),
        simple("Tanh", None, nn.Tanh(), rel_tol=T),
        simple("LeakyReLU", None, nn.LeakyReLU()),
        simple("LeakyReLU", {"negative_slope": 0.2, "inplace": True}, nn.LeakyReLU(0.2)),
        simple("LeakyReLU", {"negative_slope": -1.5}, nn.LeakyReLU(-1.5)),
        prelu_case("PReLU num_parameters=1", 1, f32([0.25])),
        prelu_case("PReLU num_parameters=3 init=0.1", 3, f32([0.1, -0.5, 2.0]), init=0.1),
        prelu_case("Flatten+PReLU num_parameters=60", 60, f32(rng.uniform(-1, 1, 60)), flatten=True),
        simple("ELU", None, nn.ELU(), rel_tol=T),
        simple("ELU", {"alpha": 0.5, "inplace": True}, nn.ELU(0.5), rel_tol=T),
        simple("ELU", {"alpha": -2.0}, nn.ELU(-2.0), rel_tol=T),
        simple("CELU", None, nn.CELU(), rel_tol=T),
        simple("CELU", {"alpha": 0.5}, nn.CELU(0.5), rel_tol=T),
        simple("CELU", {"alpha": 2.5, "inplace": True}, nn.CELU(2.5), rel_tol=T),
        simple("CELU", {"alpha": -1.0}, nn.CELU(-1.0), rel_tol=T),
        simple("SELU", None, nn.SELU(), rel_tol=T),
        simple("SELU", {"inplace": True}, nn.SELU(), rel_tol=T),
        simple("GELU", None, nn.GELU(), rel_tol=T),
        simple("GELU", {"approximate": "none"}, nn.GELU(approximate="none"), rel_tol=T),
        simple("GELU", {"approximate": "tanh"}, nn.GELU(approximate="tanh"), rel_tol=T),
        simple("SiLU", None, nn.SiLU(), rel_tol=T),
        simple("SiLU", {"inplace": True}, nn.SiLU(), rel_tol=T),
        simple("Mish", None, nn.Mish(), rel_tol=T),
        simple("Mish", {"inplace": True}, nn.Mish(), rel_tol=T),
        simple("Hardswish", None, nn.Hardswish()),
        simple("Hardswish", {"inplace": True}, nn.Hardswish()),
        simple("Hardsigmoid", None, nn.Hardsigmoid()),
        simple("Hardsigmoid", {"inplace": True}, nn.Hardsigmoid()),
        simple("Hardtanh", None, nn.Hardtanh()),
        simple("Hardtanh", {"min_val": -2.5, "max_val": 0.5, "inplace": True}, nn.Hardtanh(-2.5, 0.5)),
        simple("Hardtanh", {"min_val": 0.0, "max_val": 1e4}, nn.Hardtanh(0.0, 1e4)),
        simple("Softplus", None, nn.Softplus(), rel_tol=T),
        simple("Softplus", {"beta": 2.0, "threshold": 10.0}, nn.Softplus(2.0, 10.0), rel_tol=T),
        simple("Softplus", {"beta": 0.5}, nn.Softplus(0.5), rel_tol=T),
        simple("Softplus", {"beta": -1.0, "threshold": 5.0}, nn.Softplus(-1.0, 5.0), rel_tol=T),
        simple("Softsign", None, nn.Softsign()),
        simple("Threshold", {"threshold": 0.5, "value": -2.0}, nn.Threshold(0.5, -2.0)),
        simple("Threshold", {"threshold": -1.0, "value": 20.0, "inplace": True}, nn.Threshold(-1.0, 20.0)),
        simple("Threshold", {"threshold": 0, "value": 0}, nn.Threshold(0, 0)),
    ]
    with warnings.catch_warnings():  # min_value / max_value are deprecated, still accepted
        warnings.simplefilter("ignore")
        c.append(simple("Hardtanh", {"min_value": -3.0, "max_value": 3.0}, nn.Hardtanh(min_value=-3.0, max_value=3.0)))
    softmax_mods = {"Softmax": nn.Softmax, "LogSoftmax": nn.LogSoftmax, "Softmin": nn.Softmin}
    for op, cls in softmax_mods.items():
        for dim in [1, -1, 0, 2, -2, -4]:
            c.append(simple(op, {"dim": dim}, cls(dim=dim), input_index=1, rel_tol=T))
        for dim in [1, -1, 0]:  # 2-D after Flatten: dim 1 is the feature dim
            c.append(Case("Flatten+%s dim=%d" % (op, dim), 1,
                          [node("Flatten", name="flat"), node(op, {"dim": dim})],
                          nn.Sequential(nn.Flatten(), cls(dim=dim)), rel_tol=T))
        for dim in [-1, 2]:
            c.append(simple(op, {"dim": dim}, cls(dim=dim), input_index=2, rel_tol=T))
    # A chain, so that in-place execution of consecutive element-wise nodes is exercised.
    w = f32([0.3, -0.2, 1.5])
    chain = prelu_case("chain", 3, w)
    c.append(Case("Hardswish+PReLU+ELU+LogSoftmax chain", 0,
                  [node("Hardswish", name="hs"), dict(chain.nodes[0], name="pr"),
                   node("ELU", {"alpha": 0.7}, name="elu"), node("LogSoftmax", {"dim": 1})],
                  nn.Sequential(nn.Hardswish(), chain.module, nn.ELU(0.7), nn.LogSoftmax(dim=1)),
                  weights=w, rel_tol=T))
    return c


def c_float(v):
    v = float(v)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    s = "%.9g" % v
    if not any(ch in s for ch in ".e"):
        s += ".0"
    return s + "f"


def c_array(name, values):
    vals = [c_float(v) for v in values]
    lines = [", ".join(vals[i:i + 5]) for i in range(0, len(vals), 5)]
    # clang-format would put one value per line here (mixed widths defeat its column layout).
    return "/* clang-format off */\nstatic const float %s[%d] = {\n    %s};\n/* clang-format on */\n" % (
        name, len(vals), ",\n    ".join(lines))


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def model_json(case, shape):
    model = {"format": "cnnrt", "version": 1, "input": {"name": "input", "shape": shape},
             "nodes": case.nodes}
    if case.weights is not None:
        model = dict(model, weights="weights.bin")
    return json.dumps(model, separators=(",", ":"))


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    inputs = make_inputs(rng)
    all_cases = cases(rng)
    out = ["/* Generated by tests/golden/make_activation_golden.py (PyTorch %s, seed %d); do not "
           "edit. */" % (torch.__version__, SEED),
           "#ifndef CNNRT_TESTS_GOLDEN_ACTIVATIONS_H", "#define CNNRT_TESTS_GOLDEN_ACTIVATIONS_H", "",
           "#include <math.h>", '#include "tests/test_util.h"', "",
           "typedef struct {",
           "  golden_case c;",
           "  double tol; /* |got - ref| <= tol * max(1, |ref|), element by element */",
           "  int per_sample; /* batch 1 gives the first sample's outputs (no mixing over N) */",
           "} activation_case;", ""]
    for i, (name, shape, data) in enumerate(inputs):
        out.append("/* input %d (%s): shape %s */" % (i, name, shape))
        out.append(c_array("activation_input_%d" % i, data))
    rows = []
    with torch.no_grad():
        for k, case in enumerate(all_cases):
            _, shape, data = inputs[case.input_index]
            x = torch.from_numpy(data.copy()).reshape(shape)
            y = case.module(x).contiguous()
            flat = y.numpy().ravel()
            # Ops that never mix samples give the first sample's rows for a batch of one
            # (close, not equal: torch's vectorised and scalar tails round differently).
            first = case.module(x[:1]).contiguous().numpy().ravel()
            per_sample = bool(np.allclose(first, flat[:first.size], rtol=1e-5, atol=1e-6,
                                          equal_nan=True))
            assert flat.dtype == np.float32 and flat.size == data.size
            out.append("/* %s */" % case.name)
            out.append(c_array("activation_expected_%d" % k, flat))
            weights = "NULL, 0"
            if case.weights is not None:
                out.append(c_array("activation_weights_%d" % k, case.weights))
                weights = "activation_weights_%d, sizeof activation_weights_%d" % (k, k)
            out.append("static const char activation_json_%d[] = %s;" %
                       (k, c_string(model_json(case, shape))))
            rows.append("    {{%s, activation_json_%d,\n      %s, activation_input_%d, %d,\n"
                        "      activation_expected_%d, %d, %d, {%s}}, %g, %d}" % (
                            c_string(case.name), k, weights,
                            case.input_index, data.size, k, flat.size, y.dim(),
                            ", ".join(map(str, y.shape)), case.rel_tol, per_sample))
    out.append("/* clang-format off */")
    out.append("static const activation_case activation_golden[] = {")
    out.append(",\n".join(rows))
    out.append("};")
    out.append("/* clang-format on */\n")
    out.append("#endif")
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")
    # Committed with the C sources, so it follows .clang-format too.
    if shutil.which("clang-format"):
        subprocess.run(["clang-format", "-i", OUT], check=True)
    print("wrote %s: %d cases" % (OUT, len(all_cases)), file=sys.stderr)


if __name__ == "__main__":
    main()
