#!/usr/bin/python3
"""Export a PyTorch CNN to the cnnrt model format v1 (docs/format.md).

Python API:
    export(module, example_input, json_path, labels=None, preprocess=None) -> dict
    check(json_path, module, example_input=None, cnnrt=None, threads=None,
          tolerance=1e-4, dump_dir=None) -> CheckResult

Command line:
    cnnrt_export.py package.module:Class --input-shape 1,3,32,32 -o out/model.json
        [--state-dict f.pth] [--labels labels.txt] [--preprocess JSON]
        [--check [--input IN.npy] [--tolerance T]] [--cnnrt PATH]

The module is traced with torch.fx (in eval mode) and run on the example input (and once
more at twice its batch size, to learn which reshaped dims depend on the batch). Each graph
node becomes a cnnrt node: leaf modules by class, functional forms (F.relu, torch.flatten,
x.view(x.size(0), -1), F.avg_pool2d, ...) as the equivalent module op. Graphs may be DAGs:
each node lists its inputs. x + y / x += y / torch.add / x.mul(y) (broadcasting) become
Add/Sub/Mul/Div, torch.cat Concat, chunk/split one Slice per piece used (x[:, a:b] and
narrow too), transpose/permute Permute, x.mean(dims) Mean, squeeze/unsqueeze Reshape.
Dropout/Identity/contiguous and eval-mode StochasticDepth are skipped. An in-place op
(x += y, F.relu(x, inplace=True)) is what later readers of x read, as in PyTorch. Anything
else is reported, all problems at once, each naming the node, its op and the module whose
forward() made it, as an UnsupportedModelError.

check() runs torch and cnnrt (`--dump-tensors`) on the same input and compares every
node's output; it prints a table and names the first node that diverges.
"""

import argparse
import dis
import importlib
import inspect
import json
import math
import operator
import os
import re
import sys
import tempfile
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.node import _get_qualified_name

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cnnrt_common  # noqa: E402  (sibling module)

FORMAT_VERSION = 1
ALIGNMENT = 64
INPUT_NAME = "input"
CHECK_TOLERANCE = 1e-4
MAX_RANK = 6

_SKIPPED_MODULES = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                    nn.AlphaDropout, nn.FeatureAlphaDropout)
_PREPROCESS_KEYS = {"color", "scale", "mean", "std"}
# The no-op modules cnnrt has an op for (exported as such with keep_noops=True).
_NOOP_OPS = {nn.Identity: "Identity", nn.Dropout: "Dropout", nn.Dropout2d: "Dropout2d",
             nn.AlphaDropout: "AlphaDropout"}


class ExportError(Exception):
    """The module cannot be exported."""


class UnsupportedModelError(ExportError):
    """One or more graph nodes have no cnnrt equivalent; `problems` lists them all."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("model cannot be exported to cnnrt:\n"
                         + "\n".join(f"  - {p}" for p in self.problems))


class _Unsupported(Exception):
    """Raised by a node converter; the message is the reason."""


@dataclass
class _Layer:
    """A cnnrt node before its name, inputs and weight offsets are known."""
    op: str
    params: dict = field(default_factory=dict)
    tensors: dict = field(default_factory=dict)   # name -> torch.Tensor
    # The fx nodes whose tensors it reads, in order; None: the node's first argument only
    # (any other tensor argument is then an error).
    inputs: list = None


@dataclass
class _Pieces:
    """torch.chunk / torch.split: a tuple of slices of `source` along `dim`, each
    (start, end); the getitem nodes that pick them become Slice nodes."""
    source: fx.Node
    dim: int
    bounds: list


class _ShapeList(list):
    """The recorded value of a node that yields a tuple/list of tensors: their shapes
    (a list, so that it is never mistaken for the shape of one tensor)."""


_SKIP = object()     # node is an identity: consumers read its input
_HELPER = object()   # node computes a size used by a reshape; not a layer
_PARAM = object()    # get_attr: a parameter tensor read by a functional form (F.prelu)
_DEAD = object()     # node reads the result of an unsupported node (already reported)


# --------------------------------------------------------------------------- params

def _pair(value, what):
    """PyTorch int-or-pair parameter -> [height, width]."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value, value]
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) \
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return [value[0], value[-1]]
    raise _Unsupported(f"{what}={value!r} is not an int or a pair of ints")


def _number(value, what):
    """A float parameter (Python number or 0-dim tensor) -> float."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unsupported(f"{what}={value!r} is not a number")
    if not math.isfinite(value):
        raise _Unsupported(f"{what}={value!r} is not finite (JSON has no inf/nan)")
    return float(value)


def _implicit_softmax_dim(rank):
    """The dim PyTorch's softmax uses when dim=None (legacy behaviour)."""
    return 0 if rank in (0, 1, 3) else 1


def _no_return_indices(return_indices):
    if return_indices:
        raise _Unsupported("return_indices=True is not supported")


def _maxpool_layer(kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _no_return_indices(return_indices)
    kernel = _pair(kernel_size, "kernel_size")
    return _Layer("MaxPool2d", {
        "kernel_size": kernel,
        "stride": _pair(stride, "stride") if stride not in (None, [], ()) else kernel,
        "padding": _pair(padding, "padding"),
        "dilation": _pair(dilation, "dilation"),
        "ceil_mode": bool(ceil_mode),
        "return_indices": False,
    })


def _avgpool_layer(kernel_size, stride, padding, ceil_mode, count_include_pad,
                   divisor_override):
    kernel = _pair(kernel_size, "kernel_size")
    if divisor_override is not None and (isinstance(divisor_override, bool)
                                         or not isinstance(divisor_override, int)):
        raise _Unsupported(f"divisor_override={divisor_override!r} is not an int")
    return _Layer("AvgPool2d", {
        "kernel_size": kernel,
        "stride": _pair(stride, "stride") if stride not in (None, [], ()) else kernel,
        "padding": _pair(padding, "padding"),
        "ceil_mode": bool(ceil_mode),
        "count_include_pad": bool(count_include_pad),
        "divisor_override": divisor_override,
    })


def _output_size(value):
    """AdaptiveXPool2d output_size: an int, or [h, w] with None (null) entries."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
        return [value[0], value[-1]]
    raise _Unsupported(f"output_size={value!r} is not an int or a pair of ints/None")


def _adaptive_layer(op, output_size, return_indices=False):
    _no_return_indices(return_indices)
    params = {"output_size": _output_size(output_size)}
    if op == "AdaptiveMaxPool2d":
        params["return_indices"] = False
    return _Layer(op, params)


def _softmax_layer(op, dim, dtype, node, conv):
    if dtype is not None:
        raise _Unsupported(f"dtype={dtype} is not supported")
    if dim is None:
        dim = _implicit_softmax_dim(conv.input_rank(node))
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise _Unsupported(f"dim={dim!r} is not an int")
    return _Layer(op, {"dim": dim})


# --------------------------------------------------------------------------- modules

def _conv2d_module(m, _node, _conv):
    params = {
        "in_channels": m.in_channels,
        "out_channels": m.out_channels,
        "kernel_size": _pair(m.kernel_size, "kernel_size"),
        "stride": _pair(m.stride, "stride"),
        "padding": m.padding if isinstance(m.padding, str) else _pair(m.padding, "padding"),
        "dilation": _pair(m.dilation, "dilation"),
        "groups": m.groups,
        "bias": m.bias is not None,
        "padding_mode": m.padding_mode,
    }
    return _Layer("Conv2d", params, _tensors(m))


def _linear_module(m, _node, _conv):
    params = {"in_features": m.in_features, "out_features": m.out_features,
              "bias": m.bias is not None}
    return _Layer("Linear", params, _tensors(m))


def _batchnorm_module(m, _node, _conv):
    """BatchNorm2d in eval mode; never writes num_batches_tracked."""
    if m.training:
        raise _Unsupported("the module is in training mode (call .eval())")
    if not m.eps > 0:
        raise _Unsupported(f"eps={m.eps}: cnnrt needs eps > 0 (docs/format.md)")
    params = {"num_features": m.num_features, "eps": _number(m.eps, "eps"),
              "momentum": None if m.momentum is None else _number(m.momentum, "momentum"),
              "affine": bool(m.affine), "track_running_stats": bool(m.track_running_stats)}
    tensors = {}
    if m.affine:
        tensors.update(weight=m.weight, bias=m.bias)
    if m.track_running_stats:
        if m.running_mean is None or m.running_var is None:
            raise _Unsupported("track_running_stats=True but running_mean/var is None")
        tensors.update(running_mean=m.running_mean, running_var=m.running_var)
    elif m.running_mean is not None:
        # track_running_stats switched off after construction: PyTorch's eval forward
        # then still uses the buffers (it normalises with batch statistics only when they
        # are None), so export what PyTorch computes.
        params["track_running_stats"] = True
        tensors.update(running_mean=m.running_mean, running_var=m.running_var)
    return _Layer("BatchNorm2d", params, tensors)


def _prelu_module(m, _node, _conv):
    weight = m.weight.reshape(-1)
    return _Layer("PReLU", {"num_parameters": int(weight.numel())}, {"weight": weight})


def _unflatten_module(m, node, conv):
    if isinstance(m.dim, str):
        raise _Unsupported("named dims are not supported")
    return conv.unflatten_layer(node, node.args[0], m.dim, m.unflattened_size)


def _inplace(op, *numbers):
    """Module converter for an activation with `numbers` params and an inplace flag."""
    def convert(m, _node, _conv):
        params = {name: _number(getattr(m, name), name) for name in numbers}
        params["inplace"] = bool(m.inplace)
        return _Layer(op, params)
    return convert


def _plain(op, **strings):
    return lambda m, _node, _conv: _Layer(op, {k: getattr(m, k) for k in strings})


_MODULE_CONVERTERS = {
    nn.Conv2d: _conv2d_module,
    nn.Linear: _linear_module,
    nn.MaxPool2d: lambda m, node, conv: _maxpool_layer(
        m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, m.return_indices),
    nn.AvgPool2d: lambda m, node, conv: _avgpool_layer(
        m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
        m.divisor_override),
    nn.AdaptiveAvgPool2d: lambda m, node, conv: _adaptive_layer(
        "AdaptiveAvgPool2d", m.output_size),
    nn.AdaptiveMaxPool2d: lambda m, node, conv: _adaptive_layer(
        "AdaptiveMaxPool2d", m.output_size, m.return_indices),
    nn.BatchNorm2d: _batchnorm_module,
    nn.Flatten: lambda m, node, conv: _Layer(
        "Flatten", {"start_dim": m.start_dim, "end_dim": m.end_dim}),
    nn.Unflatten: _unflatten_module,
    nn.ReLU: _inplace("ReLU"),
    nn.ReLU6: _inplace("ReLU6"),
    nn.SELU: _inplace("SELU"),
    nn.SiLU: _inplace("SiLU"),
    nn.Mish: _inplace("Mish"),
    nn.Hardswish: _inplace("Hardswish"),
    nn.Hardsigmoid: _inplace("Hardsigmoid"),
    nn.LeakyReLU: _inplace("LeakyReLU", "negative_slope"),
    nn.ELU: _inplace("ELU", "alpha"),
    nn.CELU: _inplace("CELU", "alpha"),
    nn.Hardtanh: _inplace("Hardtanh", "min_val", "max_val"),
    nn.Threshold: _inplace("Threshold", "threshold", "value"),
    nn.Sigmoid: lambda m, node, conv: _Layer("Sigmoid"),
    nn.Tanh: lambda m, node, conv: _Layer("Tanh"),
    nn.Softsign: lambda m, node, conv: _Layer("Softsign"),
    nn.GELU: _plain("GELU", approximate=str),
    nn.Softplus: lambda m, node, conv: _Layer("Softplus", {
        "beta": _number(m.beta, "beta"), "threshold": _number(m.threshold, "threshold")}),
    nn.PReLU: _prelu_module,
    nn.Softmax: lambda m, node, conv: _softmax_layer("Softmax", m.dim, None, node, conv),
    nn.LogSoftmax: lambda m, node, conv: _softmax_layer("LogSoftmax", m.dim, None, node, conv),
    nn.Softmin: lambda m, node, conv: _softmax_layer("Softmin", m.dim, None, node, conv),
    nn.Softmax2d: lambda m, node, conv: _Layer("Softmax", {"dim": -3}),
}


def _tensors(m):
    """A layer's weight and (if present) bias."""
    tensors = {"weight": m.weight}
    if m.bias is not None:
        tensors["bias"] = m.bias
    return tensors


# --------------------------------------------------------------------------- functions
# Each functional form is described by a Python signature (used to bind the fx node's
# args/kwargs by name, applying PyTorch's defaults) and a converter.

def _sig_unary(input, inplace=False): pass                                      # noqa: E704
def _sig_hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False): pass       # noqa: E704
def _sig_hardtanh_(input, min_val=-1.0, max_val=1.0): pass                     # noqa: E704
def _sig_leaky_relu(input, negative_slope=0.01, inplace=False): pass           # noqa: E704
def _sig_alpha(input, alpha=1.0, inplace=False): pass                          # noqa: E704
def _sig_elu_(input, alpha=1.0, scale=1.0, input_scale=1.0): pass              # noqa: E704
def _sig_gelu(input, approximate="none"): pass                                 # noqa: E704
def _sig_softplus(input, beta=1.0, threshold=20.0): pass                       # noqa: E704
def _sig_threshold(input, threshold, value, inplace=False): pass               # noqa: E704
def _sig_prelu(input, weight): pass                                            # noqa: E704
def _sig_f_softmax(input, dim=None, _stacklevel=3, dtype=None): pass           # noqa: E704
def _sig_softmax(input, dim=None, dtype=None): pass                            # noqa: E704
def _sig_flatten(input, start_dim=0, end_dim=-1): pass                         # noqa: E704
def _sig_unflatten(input, dim, sizes): pass                                    # noqa: E704
def _sig_max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,    # noqa: E704
                    ceil_mode=False, return_indices=False): pass
def _sig_avg_pool2d(input, kernel_size, stride=None, padding=0,                # noqa: E704
                    ceil_mode=False, count_include_pad=True, divisor_override=None): pass
def _sig_adaptive_avg(input, output_size): pass                                # noqa: E704
def _sig_adaptive_max(input, output_size, return_indices=False): pass          # noqa: E704
def _sig_dropout(input, p=0.5, training=True, inplace=False): pass             # noqa: E704
def _sig_feature_alpha_dropout(input, p=0.5, training=False, inplace=False): pass  # noqa
def _sig_torch_dropout(input, p, train): pass                                  # noqa: E704
def _sig_reshape(input, *shape): pass                                          # noqa: E704
def _sig_torch_reshape(input, shape): pass                                     # noqa: E704
def _sig_contiguous(input, memory_format=None): pass                           # noqa: E704


def _unary(op, inplace=None):
    """Converter for a parameterless activation; `inplace` forces the flag (relu_)."""
    def convert(a, node, conv):
        if op in _NO_INPLACE:
            return _Layer(op)
        flag = inplace if inplace is not None else bool(a.get("inplace", False))
        return _Layer(op, {"inplace": flag})
    return convert


_NO_INPLACE = {"Sigmoid", "Tanh", "Softsign"}


def _with_numbers(op, *names, inplace=None):
    """Converter for an activation with number params (bound by name)."""
    def convert(a, node, conv):
        params = {name: _number(a[name], name) for name in names}
        params["inplace"] = inplace if inplace is not None else bool(a.get("inplace", False))
        return _Layer(op, params)
    return convert


def _hardtanh_fn(inplace=None):
    convert = _with_numbers("Hardtanh", "min_val", "max_val", inplace=inplace)

    def check(a, node, conv):
        layer = convert(a, node, conv)
        if not layer.params["max_val"] > layer.params["min_val"]:
            raise _Unsupported(f"max_val={layer.params['max_val']} <= min_val="
                               f"{layer.params['min_val']} (F.hardtanh then returns the "
                               "constant max_val; nn.Hardtanh and cnnrt reject it)")
        return layer
    return check


def _elu_inplace_fn(a, node, conv):
    if a["scale"] != 1.0 or a["input_scale"] != 1.0:
        raise _Unsupported("elu_ with scale/input_scale other than 1 is not supported")
    return _Layer("ELU", {"alpha": _number(a["alpha"], "alpha"), "inplace": True})


def _gelu_fn(a, node, conv):
    if a["approximate"] not in ("none", "tanh"):
        raise _Unsupported(f"approximate={a['approximate']!r} is not supported")
    return _Layer("GELU", {"approximate": a["approximate"]})


def _softplus_fn(a, node, conv):
    return _Layer("Softplus", {"beta": _number(a["beta"], "beta"),
                               "threshold": _number(a["threshold"], "threshold")})


def _prelu_fn(a, node, conv):
    weight = a["weight"]
    if not isinstance(weight, fx.Node) or weight not in conv.params:
        raise _Unsupported("weight is not a parameter of the module")
    tensor = conv.attr_tensor(weight).reshape(-1)
    return _Layer("PReLU", {"num_parameters": int(tensor.numel())}, {"weight": tensor})


def _softmax_fn(op):
    return lambda a, node, conv: _softmax_layer(op, a["dim"], a.get("dtype"), node, conv)


def _flatten_fn(a, node, conv):
    return _Layer("Flatten", {"start_dim": a["start_dim"], "end_dim": a["end_dim"]})


def _unflatten_fn(a, node, conv):
    return conv.unflatten_layer(node, a["input"], a["dim"], a["sizes"])


def _max_pool2d_fn(a, node, conv):
    return _maxpool_layer(a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                          a["ceil_mode"], a["return_indices"])


def _avg_pool2d_fn(a, node, conv):
    return _avgpool_layer(a["kernel_size"], a["stride"], a["padding"], a["ceil_mode"],
                          a["count_include_pad"], a["divisor_override"])


def _dropout_fn(a, node, conv):
    if a.get("training", a.get("train")):
        raise _Unsupported("dropout with training=True (random at inference; pass "
                           "training=self.training)")
    return _SKIP


def _reshape_fn(a, node, conv):
    shape = a["shape"]
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return conv.reshape_layer(node, a["input"], shape)


# ------------------------------------------------------------------ DAG: several tensors

def _sig_operator(a, b): pass                                                  # noqa: E704
def _sig_add(input, other, alpha=1): pass                                      # noqa: E704
def _sig_mul(input, other): pass                                               # noqa: E704
def _sig_div(input, other, rounding_mode=None): pass                           # noqa: E704
def _sig_cat(tensors, dim=0): pass                                             # noqa: E704
def _sig_chunk(input, chunks, dim=0): pass                                     # noqa: E704
def _sig_split(tensor, split_size_or_sections, dim=0): pass                    # noqa: E704
def _sig_split_method(input, split_size, dim=0): pass                          # noqa: E704
def _sig_narrow(input, dim, start, length): pass                               # noqa: E704
def _sig_permute(input, *dims): pass                                           # noqa: E704
def _sig_torch_permute(input, dims): pass                                      # noqa: E704
def _sig_transpose(input, dim0, dim1): pass                                    # noqa: E704
def _sig_mean(input, dim=None, keepdim=False, dtype=None): pass                # noqa: E704
def _sig_squeeze(input, dim=None): pass                                        # noqa: E704
def _sig_unsqueeze(input, dim): pass                                           # noqa: E704
def _sig_stochastic_depth(input, p, mode, training=True): pass                 # noqa: E704

_COMMUTATIVE = {"Add", "Mul"}
_MAX_NODE_INPUTS = 64   # CNNRT_MAX_INPUTS in ops/op.h


def _binary_fn(op):
    """x + y, torch.add(x, y), x.mul(y), x += y, ... -> Add/Sub/Mul/Div of two tensors
    (broadcast as in PyTorch). For Add/Mul the operand with the output's shape goes first,
    and of two such the one nobody reads afterwards (exact: IEEE + and * are commutative),
    so that the runtime can work in its buffer (in place needs input 0)."""
    def convert(a, node, conv):
        x = a["a"] if "a" in a else a["input"]
        y = a["b"] if "b" in a else a["other"]
        if a.get("alpha", 1) != 1:
            raise _Unsupported(f"alpha={a['alpha']!r} is not supported (only 1)")
        if a.get("rounding_mode") is not None:
            raise _Unsupported(f"rounding_mode={a['rounding_mode']!r} is not supported")
        for operand in (x, y):
            if not conv.is_tensor(operand):
                if operand in conv.params:
                    what = f"the parameter or buffer {operand.target}"
                elif operand in conv.helpers:
                    what = f"{operand.name}, a size"
                else:
                    what = f"{operand!r}, a constant"
                raise _Unsupported(f"operand {what}: cnnrt's {op} takes two tensors computed "
                                   "from the input (arithmetic with numbers or parameters "
                                   "is not supported)")
        out = conv.values.get(node)
        if op in _COMMUTATIVE and conv.values.get(y) == out and (
                conv.values.get(x) != out
                or (conv.read_later(x, node) and not conv.read_later(y, node))):
            x, y = y, x
        return _Layer(op, inputs=[x, y])
    return convert


def _cat_fn(a, node, conv):
    tensors, dim = a["tensors"], a["dim"]
    if not isinstance(tensors, (tuple, list)) or not tensors:
        raise _Unsupported(f"tensors={tensors!r} is not a list of tensors")
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise _Unsupported(f"dim={dim!r} is not an int")
    for t in tensors:
        if not conv.is_tensor(t):
            raise _Unsupported(f"{t!r} is not a tensor computed from the input")
    if len(tensors) > _MAX_NODE_INPUTS:
        raise _Unsupported(f"{len(tensors)} tensors: cnnrt concatenates at most "
                           f"{_MAX_NODE_INPUTS} in one node")
    return _Layer("Concat", {"dim": dim}, inputs=list(tensors))


def _pieces_fn(a, node, conv):
    """chunk / split: the slice bounds, from the recorded shapes of the pieces."""
    source = a["input"] if "input" in a else a["tensor"]
    dim = a["dim"]
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise _Unsupported(f"dim={dim!r} is not an int")
    in1, _ = conv.shapes_of(source)
    pieces = conv.values.get(node)
    if not isinstance(pieces, _ShapeList) or not -len(in1) <= dim < len(in1):
        raise _Unsupported("pieces unknown (module failed on the example input)")
    d = dim % len(in1)
    sizes = [shape[d] for shape in pieces]
    other = conv.values2.get(node)
    if isinstance(other, _ShapeList) and [shape[d] for shape in other] != sizes:
        raise _Unsupported(f"splitting dim {dim} gives pieces that change with the batch "
                           "size")
    if 0 in sizes:
        raise _Unsupported(f"an empty piece along dim {dim}: empty tensors are not supported")
    bounds, start = [], 0
    for size in sizes:
        bounds.append((start, start + size))
        start += size
    return _Pieces(source, dim, bounds)


def _getitem_fn(a, node, conv):
    """pieces[i] of a chunk/split -> Slice; x[:, a:b] (slices only) -> Slice(s)."""
    obj, index = a["a"], a["b"]
    if isinstance(obj, fx.Node) and obj in conv.pieces:
        pieces = conv.pieces[obj]
        if isinstance(index, bool) or not isinstance(index, int) \
                or not -len(pieces.bounds) <= index < len(pieces.bounds):
            raise _Unsupported(f"index {index!r} into {len(pieces.bounds)} pieces")
        start, end = pieces.bounds[index]
        return _Layer("Slice", {"dim": pieces.dim, "start": start, "end": end},
                      inputs=[pieces.source])
    if isinstance(obj, fx.Node) and obj in conv.dead:
        return _DEAD
    if not conv.is_tensor(obj):
        raise _Unsupported(f"indexing {obj} is not supported (not a tensor or a chunk/split)")
    return conv.index_layers(node, obj, index)


def _narrow_fn(a, node, conv):
    dim = a["dim"]
    start = conv.resolve_int(a["start"], "start")
    length = conv.resolve_int(a["length"], "length")
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise _Unsupported(f"dim={dim!r} is not an int")
    if start < 0:
        start += conv.shapes_of(a["input"])[0][dim]
    return _Layer("Slice", {"dim": dim, "start": start, "end": start + length})


def _permute_fn(a, node, conv):
    dims = a["dims"]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    rank = conv.input_rank(node)
    if len(dims) != rank or any(isinstance(d, bool) or not isinstance(d, int) for d in dims) \
            or sorted(d % rank for d in dims) != list(range(rank)):
        raise _Unsupported(f"dims={tuple(dims)!r} is not a permutation of {rank} dims")
    return _Layer("Permute", {"dims": [d % rank for d in dims]})


def _transpose_fn(a, node, conv):
    rank = conv.input_rank(node)
    dims = list(range(rank))
    for d in (a["dim0"], a["dim1"]):
        if isinstance(d, bool) or not isinstance(d, int) or not -rank <= d < rank:
            raise _Unsupported(f"dim {d!r} is not a dim of a {rank}-D tensor")
    i, j = a["dim0"] % rank, a["dim1"] % rank
    dims[i], dims[j] = dims[j], dims[i]
    return _Layer("Permute", {"dims": dims})


def _mean_fn(a, node, conv):
    dim = a["dim"]
    if a["dtype"] is not None:
        raise _Unsupported(f"dtype={a['dtype']} is not supported")
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        raise _Unsupported("a mean over every dim (a 0-d tensor) is not supported; "
                           "name the dims, e.g. x.mean([2, 3])")
    dims = list(dim) if isinstance(dim, (tuple, list)) else [dim]
    if any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
        raise _Unsupported(f"dim={dim!r} is not an int or a list of ints")
    return _Layer("Mean", {"dim": dims if isinstance(dim, (tuple, list)) else dim,
                           "keepdim": bool(a["keepdim"])})


def _squeeze_fn(a, node, conv):
    """squeeze / unsqueeze -> Reshape to the recorded shape (-1 for the batch dim)."""
    out1 = conv.values.get(node)
    out2 = conv.values2.get(node)
    if isinstance(out1, tuple) and isinstance(out2, tuple) and len(out1) != len(out2):
        raise _Unsupported(f"the result has {len(out1)} dims at batch {conv.batch} and "
                           f"{len(out2)} at batch {2 * conv.batch} (squeeze() of the batch "
                           "dim); name the dim to squeeze")
    if not isinstance(out1, tuple):
        raise _Unsupported("shape unknown (module failed on the example input)")
    return conv.reshape_layer(node, a["input"], tuple(out1))


def _stochastic_depth_fn(a, node, conv):
    if a["training"] and a["p"] != 0:
        raise _Unsupported("stochastic depth in training mode (random at inference)")
    return _SKIP


_FUNCTIONS = {
    F.relu: (_sig_unary, _unary("ReLU")),
    torch.relu: (_sig_unary, _unary("ReLU")),
    torch.relu_: (_sig_unary, _unary("ReLU", inplace=True)),
    F.relu6: (_sig_unary, _unary("ReLU6")),
    F.selu: (_sig_unary, _unary("SELU")),
    torch.selu: (_sig_unary, _unary("SELU")),
    torch.selu_: (_sig_unary, _unary("SELU", inplace=True)),
    F.silu: (_sig_unary, _unary("SiLU")),
    F.mish: (_sig_unary, _unary("Mish")),
    F.hardswish: (_sig_unary, _unary("Hardswish")),
    F.hardsigmoid: (_sig_unary, _unary("Hardsigmoid")),
    torch.sigmoid: (_sig_unary, _unary("Sigmoid")),
    torch.sigmoid_: (_sig_unary, _unary("Sigmoid")),
    torch.tanh: (_sig_unary, _unary("Tanh")),
    torch.tanh_: (_sig_unary, _unary("Tanh")),
    F.softsign: (_sig_unary, _unary("Softsign")),
    F.hardtanh: (_sig_hardtanh, _hardtanh_fn()),
    F.hardtanh_: (_sig_hardtanh_, _hardtanh_fn(inplace=True)),
    F.leaky_relu: (_sig_leaky_relu, _with_numbers("LeakyReLU", "negative_slope")),
    F.leaky_relu_: (_sig_leaky_relu, _with_numbers("LeakyReLU", "negative_slope",
                                                   inplace=True)),
    F.elu: (_sig_alpha, _with_numbers("ELU", "alpha")),
    F.elu_: (_sig_elu_, _elu_inplace_fn),
    F.celu: (_sig_alpha, _with_numbers("CELU", "alpha")),
    torch.celu: (_sig_alpha, _with_numbers("CELU", "alpha")),
    torch.celu_: (_sig_alpha, _with_numbers("CELU", "alpha", inplace=True)),
    F.gelu: (_sig_gelu, _gelu_fn),
    F.softplus: (_sig_softplus, _softplus_fn),
    F.threshold: (_sig_threshold, _with_numbers("Threshold", "threshold", "value")),
    torch.threshold: (_sig_threshold, _with_numbers("Threshold", "threshold", "value")),
    torch.threshold_: (_sig_threshold, _with_numbers("Threshold", "threshold", "value",
                                                     inplace=True)),
    torch.prelu: (_sig_prelu, _prelu_fn),
    F.prelu: (_sig_prelu, _prelu_fn),
    F.softmax: (_sig_f_softmax, _softmax_fn("Softmax")),
    F.log_softmax: (_sig_f_softmax, _softmax_fn("LogSoftmax")),
    F.softmin: (_sig_f_softmax, _softmax_fn("Softmin")),
    torch.softmax: (_sig_softmax, _softmax_fn("Softmax")),
    torch.log_softmax: (_sig_softmax, _softmax_fn("LogSoftmax")),
    torch.flatten: (_sig_flatten, _flatten_fn),
    torch.unflatten: (_sig_unflatten, _unflatten_fn),
    F.max_pool2d: (_sig_max_pool2d, _max_pool2d_fn),
    torch.max_pool2d: (_sig_max_pool2d, _max_pool2d_fn),
    F.avg_pool2d: (_sig_avg_pool2d, _avg_pool2d_fn),
    F.adaptive_avg_pool2d: (_sig_adaptive_avg, lambda a, node, conv: _adaptive_layer(
        "AdaptiveAvgPool2d", a["output_size"])),
    F.adaptive_max_pool2d: (_sig_adaptive_max, lambda a, node, conv: _adaptive_layer(
        "AdaptiveMaxPool2d", a["output_size"], a["return_indices"])),
    F.dropout: (_sig_dropout, _dropout_fn),
    F.dropout1d: (_sig_dropout, _dropout_fn),
    F.dropout2d: (_sig_dropout, _dropout_fn),
    F.dropout3d: (_sig_dropout, _dropout_fn),
    F.alpha_dropout: (_sig_dropout, _dropout_fn),
    F.feature_alpha_dropout: (_sig_feature_alpha_dropout, _dropout_fn),
    torch.dropout: (_sig_torch_dropout, _dropout_fn),
    torch.reshape: (_sig_torch_reshape, _reshape_fn),
    operator.add: (_sig_operator, _binary_fn("Add")),
    operator.iadd: (_sig_operator, _binary_fn("Add")),
    operator.sub: (_sig_operator, _binary_fn("Sub")),
    operator.isub: (_sig_operator, _binary_fn("Sub")),
    operator.mul: (_sig_operator, _binary_fn("Mul")),
    operator.imul: (_sig_operator, _binary_fn("Mul")),
    operator.truediv: (_sig_operator, _binary_fn("Div")),
    operator.itruediv: (_sig_operator, _binary_fn("Div")),
    torch.add: (_sig_add, _binary_fn("Add")),
    torch.sub: (_sig_add, _binary_fn("Sub")),
    torch.subtract: (_sig_add, _binary_fn("Sub")),
    torch.mul: (_sig_mul, _binary_fn("Mul")),
    torch.multiply: (_sig_mul, _binary_fn("Mul")),
    torch.div: (_sig_div, _binary_fn("Div")),
    torch.divide: (_sig_div, _binary_fn("Div")),
    torch.true_divide: (_sig_mul, _binary_fn("Div")),
    torch.cat: (_sig_cat, _cat_fn),
    torch.concat: (_sig_cat, _cat_fn),
    torch.chunk: (_sig_chunk, _pieces_fn),
    torch.split: (_sig_split, _pieces_fn),
    torch.narrow: (_sig_narrow, _narrow_fn),
    operator.getitem: (_sig_operator, _getitem_fn),
    torch.permute: (_sig_torch_permute, _permute_fn),
    torch.transpose: (_sig_transpose, _transpose_fn),
    torch.swapaxes: (_sig_transpose, _transpose_fn),
    torch.swapdims: (_sig_transpose, _transpose_fn),
    torch.mean: (_sig_mean, _mean_fn),
    torch.squeeze: (_sig_squeeze, _squeeze_fn),
    torch.unsqueeze: (_sig_unsqueeze, _squeeze_fn),
}

# Functions found by qualified name (their packages are not imported by the exporter).
_FUNCTIONS_BY_NAME = {
    "torchvision.ops.stochastic_depth.stochastic_depth":
        (_sig_stochastic_depth, _stochastic_depth_fn),
}

# In-place operators: they change their first operand, so later readers of that tensor
# read the result (see _Converter.add).
_INPLACE_OPERATORS = {operator.iadd, operator.isub, operator.imul, operator.itruediv}

_METHODS = {
    "relu": (_sig_unary, _unary("ReLU")),
    "relu_": (_sig_unary, _unary("ReLU", inplace=True)),
    "sigmoid": (_sig_unary, _unary("Sigmoid")),
    "sigmoid_": (_sig_unary, _unary("Sigmoid")),
    "tanh": (_sig_unary, _unary("Tanh")),
    "tanh_": (_sig_unary, _unary("Tanh")),
    "softmax": (_sig_softmax, _softmax_fn("Softmax")),
    "log_softmax": (_sig_softmax, _softmax_fn("LogSoftmax")),
    "flatten": (_sig_flatten, _flatten_fn),
    "unflatten": (_sig_unflatten, _unflatten_fn),
    "view": (_sig_reshape, _reshape_fn),
    "reshape": (_sig_reshape, _reshape_fn),
    "contiguous": (_sig_contiguous, lambda a, node, conv: _SKIP),
    "add": (_sig_add, _binary_fn("Add")),
    "add_": (_sig_add, _binary_fn("Add")),
    "sub": (_sig_add, _binary_fn("Sub")),
    "sub_": (_sig_add, _binary_fn("Sub")),
    "mul": (_sig_mul, _binary_fn("Mul")),
    "mul_": (_sig_mul, _binary_fn("Mul")),
    "div": (_sig_div, _binary_fn("Div")),
    "div_": (_sig_div, _binary_fn("Div")),
    "chunk": (_sig_chunk, _pieces_fn),
    "split": (_sig_split_method, _pieces_fn),
    "narrow": (_sig_narrow, _narrow_fn),
    "permute": (_sig_permute, _permute_fn),
    "transpose": (_sig_transpose, _transpose_fn),
    "swapaxes": (_sig_transpose, _transpose_fn),
    "swapdims": (_sig_transpose, _transpose_fn),
    "mean": (_sig_mean, _mean_fn),
    "squeeze": (_sig_squeeze, _squeeze_fn),
    "unsqueeze": (_sig_unsqueeze, _squeeze_fn),
}

# Integer arithmetic on sizes (x.size(1) * x.size(2), ...) feeding a reshape.
_SIZE_ARITHMETIC = {operator.mul, operator.floordiv, operator.add, operator.sub,
                    operator.mod, operator.getitem, operator.iadd, operator.isub,
                    operator.imul, operator.ifloordiv}
_SIZE_METHODS = {"size", "dim", "numel"}


def _bind(signature_fn, node):
    """Bind an fx node's args/kwargs to a signature; returns {param: value}."""
    try:
        bound = inspect.signature(signature_fn).bind(*node.args, **node.kwargs)
    except TypeError as e:
        raise _Unsupported(f"unexpected arguments: {e}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


# --------------------------------------------------------------------------- converter

class _Tracer(fx.Tracer):
    """torch.fx's tracer, plus:

    - every node records the module whose forward() created it (node.meta
      "cnnrt_source": (qualified name, class name), or None for the top module), for
      names and error messages;
    - `a, b = proxy` (x.chunk(2), x.size() unpacked) works on Python 3.11, where fx 1.13's
      Proxy.__iter__ looks the instruction up at the wrong index (it ignores 3.11's
      inline caches) and so refuses to iterate or fails with an IndexError: during
      trace(), Proxy.__iter__ is replaced by _proxy_iter;
    - `x += y` is recorded as operator.iadd (fx has no Proxy.__iadd__, so Python falls
      back to x = x + y and the graph loses the change of x that PyTorch makes, which
      later readers of x see), likewise -=, *=, /=.
    """

    def __init__(self):
        super().__init__()
        self.module_stack = []

    def call_module(self, m, forward, args, kwargs):
        try:
            path = self.path_of_module(m)
        except NameError:
            path = "?"
        self.module_stack.append((path, type(m).__name__))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.module_stack.pop()

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None,
                     proxy_factory_fn=None):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr,
                                     proxy_factory_fn)
        if kind != "call_module":   # a leaf module's node is its own source
            proxy.node.meta["cnnrt_source"] = \
                self.module_stack[-1] if self.module_stack else None
        return proxy

    def trace(self, root, concrete_args=None):
        patches = {"__iter__": _proxy_iter, **{
            f"__i{name}__": _inplace_operator(getattr(operator, f"i{name}"))
            for name in ("add", "sub", "mul", "truediv")}}
        originals = {name: fx.Proxy.__dict__.get(name) for name in patches}
        for name, fn in patches.items():
            setattr(fx.Proxy, name, fn)
        try:
            return super().trace(root, concrete_args)
        finally:
            for name, fn in originals.items():
                if fn is None:
                    delattr(fx.Proxy, name)
                else:
                    setattr(fx.Proxy, name, fn)


def _inplace_operator(target):
    def method(self, other):
        return self.tracer.create_proxy("call_function", target, (self, other), {})
    return method


def _proxy_iter(self):
    """Proxy.__iter__ with the calling instruction found by its byte offset: unpacking
    (`a, b = proxy`) yields proxy[0], proxy[1], ...; anything else is the tracer's error."""
    frame = inspect.currentframe().f_back
    if frame is not None:
        for inst in dis.get_instructions(frame.f_code):
            if inst.offset == frame.f_lasti:
                if inst.opname == "UNPACK_SEQUENCE":
                    return iter([self[i] for i in range(inst.argval)])
                break
    return self.tracer.iter(self)


class _Recorder(fx.Interpreter):
    """Runs the traced module, remembering each node's value (shape for tensors, a
    _ShapeList for a tuple/list of tensors).

    With keep_tensors, also keeps a copy of every tensor (for check(); copies, because
    a later in-place op would change the recorded value).
    """

    def __init__(self, gm, keep_tensors=False):
        super().__init__(gm)
        self.values = {}
        self.storage = {}   # node -> its tensor's storage address
        self.tensors = {} if keep_tensors else None

    def run_node(self, n):
        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            self.values[n] = tuple(result.shape)
            try:
                self.storage[n] = getattr(result, "untyped_storage", result.storage)().data_ptr()
            except (RuntimeError, NotImplementedError):   # no storage (e.g. sparse)
                pass
            if self.tensors is not None:
                self.tensors[n] = result.detach().clone()
        elif isinstance(result, (tuple, list)) and result \
                and all(isinstance(r, torch.Tensor) for r in result):
            self.values[n] = _ShapeList(tuple(r.shape) for r in result)
        else:
            self.values[n] = result
        return result


def _live_nodes(graph):
    """Nodes the graph output depends on."""
    output = next(n for n in graph.nodes if n.op == "output")
    live, stack = set(), [output]
    while stack:
        node = stack.pop()
        if node not in live:
            live.add(node)
            stack.extend(node.all_input_nodes)
    return live


def _is_discarded_inplace(node, modules):
    """True for an in-place op whose result is unused (it still mutates its input)."""
    if node.op == "call_module":
        return bool(getattr(modules[node.target], "inplace", False))
    if node.op == "call_method":
        return node.target.endswith("_") and not node.target.endswith("__")
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        return node.kwargs.get("inplace") is True or node.target in _INPLACE_OPERATORS or (
            name.endswith("_") and not name.endswith("__"))
    return False


def _flatten1(shape):
    """The shape flatten(1) gives for `shape` (None for rank < 2)."""
    return (shape[0], int(np.prod(shape[1:]))) if shape is not None and len(shape) >= 2 \
        else None


def _describe_shape(shape):
    """Printable reshape target, e.g. (size, -1)."""
    return "(" + ", ".join(d.name if isinstance(d, fx.Node) else repr(d)
                           for d in shape) + ")"


class _Converter:
    """Turns a traced GraphModule into a list of cnnrt nodes.

    values: fx.Node -> shape (or Python value) on the example input; values2: the same at
    twice the batch size (may be partial or empty when that run failed), used to find the
    batch-dependent dim of a reshape.
    """

    def __init__(self, gm, values, values2=None, keep_noops=False, batch=1, storage=None):
        self.gm = gm
        self.keep_noops = keep_noops
        self.batch = batch
        self.modules = dict(gm.named_modules())
        self.values = values
        self.values2 = values2 or {}
        self.producer = {}            # fx.Node -> cnnrt name of the tensor it yields
        self.origin = {}              # cnnrt name -> fx.Node that computes it
        self.helpers = set()          # size nodes feeding reshapes
        self.params = set()           # get_attr nodes read by functional forms
        self.pieces = {}              # chunk/split node -> _Pieces
        self.dead = set()             # nodes that read an unsupported node's result
        # fx.Node -> address of its tensor's storage on the example input: PyTorch views
        # (reshape, slices, transpose, ...) share it; cnnrt copies some of them
        self.storage = storage or {}
        self.position = {n: i for i, n in enumerate(gm.graph.nodes)}
        self.used_names = {INPUT_NAME}
        # names of called modules: a functional node never takes one (weights are
        # named after their module, e.g. "layer1.0.conv1.weight")
        self.module_names = {n.target for n in gm.graph.nodes if n.op == "call_module"}
        self.nodes = []               # (name, inputs, _Layer)
        self.problems = []
        self.output = None

    # -- naming / describing
    def unique_name(self, base, avoid_modules=False):
        name, i = base, 1
        while name in self.used_names or (avoid_modules and name in self.module_names):
            name, i = f"{base}_{i}", i + 1
        self.used_names.add(name)
        return name

    def node_name(self, node):
        """A call_module node: the qualified module name. A function / method: the fx
        name, prefixed with the module whose forward() called it (layer1.0.add)."""
        if node.op == "call_module":
            return self.unique_name(node.target)
        source = node.meta.get("cnnrt_source")
        if source is None:
            return self.unique_name(node.name, avoid_modules=True)
        return self.unique_name(f"{source[0]}.{re.sub(r'_[0-9]+$', '', node.name)}",
                                avoid_modules=True)

    def describe(self, node):
        if node.op == "call_module":
            return f"{node.target} ({type(self.modules[node.target]).__name__})"
        if node.op == "call_method":
            return f"{node.name} (Tensor.{node.target})"
        if node.op == "call_function":
            return f"{node.name} ({_get_qualified_name(node.target)})"
        return f"{node.name} ({node.op} {node.target})"

    def source_of(self, node):
        """' [in layer1.0 (BasicBlock)]': the module whose forward() made a functional
        node ('' for a module node, which names itself)."""
        if node.op == "call_module" or "cnnrt_source" not in node.meta:
            return ""
        source = node.meta["cnnrt_source"]
        if source is None:
            return f" [in {type(self.gm).__name__}.forward]"
        return f" [in {source[0]} ({source[1]})]"

    def input_rank(self, node):
        shape = self.values.get(node.args[0] if node.args else None)
        if not isinstance(shape, tuple):
            raise _Unsupported("input shape unknown (module failed on the example input)")
        return len(shape)

    def is_tensor(self, value):
        """True for an fx node that yields a tensor computed from the input."""
        return isinstance(value, fx.Node) and value not in self.helpers \
            and value not in self.params and value not in self.pieces \
            and isinstance(self.values.get(value), tuple) \
            and not isinstance(self.values.get(value), torch.Size)

    def read_later(self, value, node):
        """True when the tensor of fx node `value` is read after `node` (or is the graph
        input, which the runtime never overwrites)."""
        return value.op == "placeholder" or any(
            self.position[user] > self.position[node] for user in value.users)

    def attr_tensor(self, node):
        """The tensor a get_attr node reads."""
        obj = self.gm
        for part in node.target.split("."):
            obj = getattr(obj, part)
        if not isinstance(obj, torch.Tensor):
            raise _Unsupported(f"{node.target} is not a tensor")
        return obj

    # -- main loop
    def convert(self):
        live = _live_nodes(self.gm.graph)
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            self.problems.append(f"forward() must take exactly one tensor input, "
                                 f"got {len(placeholders)}")
        for node in self.gm.graph.nodes:
            if node not in live:
                # an unused in-place op matters when its operand is read afterwards
                operand = node.args[0] if node.args else None
                if node.op != "placeholder" and _is_discarded_inplace(node, self.modules) \
                        and isinstance(operand, fx.Node) and any(
                            u in live and self.position[u] > self.position[node]
                            for u in operand.users):
                    self.problems.append(f"{self.describe(node)}: result of an in-place "
                                         "operation is discarded" + self.source_of(node))
                continue
            self.convert_node(node)
        return self.problems

    def convert_node(self, node):
        if node.op == "placeholder":
            self.producer[node] = INPUT_NAME
        elif node.op == "output":
            self.set_output(node)
        else:
            try:
                self.add(node, *self.layer_for(node))
            except _Unsupported as e:
                self.dead.add(node)
                self.problems.append(f"{self.describe(node)}: {e}{self.source_of(node)}")

    def layer_for(self, node):
        """(what, mutates) for a node: what is a _Layer, a list of _Layers (a chain), a
        _Pieces, _SKIP, _HELPER, _PARAM or _DEAD; mutates: the node changes its first
        operand in place. Raises _Unsupported."""
        if node.op == "get_attr":
            return _PARAM, False
        if node.op == "call_module":
            module = self.modules[node.target]
            if isinstance(module, _SKIPPED_MODULES):
                op = _NOOP_OPS.get(type(module)) if self.keep_noops else None
                if op is None:
                    return _SKIP, False
                if op == "Identity":
                    return _Layer(op), False
                return _Layer(op, {"p": _number(module.p, "p"), "inplace": module.inplace}), \
                    False
            converter = _MODULE_CONVERTERS.get(type(module))
            if converter is None:
                raise _Unsupported("layer type not supported by cnnrt")
            if len(node.args) != 1 or node.kwargs:
                raise _Unsupported("expected a single tensor argument")
            return converter(module, node, self), getattr(module, "inplace", False) is True
        if self.is_size_helper(node):
            return _HELPER, False
        table = {"call_function": _FUNCTIONS, "call_method": _METHODS}.get(node.op, {})
        try:
            entry = table.get(node.target)
        except TypeError:   # unhashable target
            entry = None
        if entry is None and node.op == "call_function":
            entry = _FUNCTIONS_BY_NAME.get(_get_qualified_name(node.target))
        if entry is None:
            what = {"call_function": "function", "call_method": "tensor method"}.get(
                node.op, "graph operation")
            raise _Unsupported(f"{what} not supported by cnnrt")
        signature, converter = entry
        bound = _bind(signature, node)
        mutates = bound.get("inplace") is True or node.target in _INPLACE_OPERATORS or (
            node.op == "call_method" and node.target.endswith("_")
            and not node.target.endswith("__"))
        if node.op == "call_function" and not mutates:
            name = getattr(node.target, "__name__", "")
            mutates = name.endswith("_") and not name.endswith("__")
        return converter(bound, node, self), mutates

    def is_size_helper(self, node):
        """x.size(...), x.shape, x.dim(), x.numel(), and integer arithmetic on them."""
        if node.op == "call_method" and node.target in _SIZE_METHODS:
            return True
        if node.op != "call_function":
            return False
        if node.target is getattr:
            return len(node.args) == 2 and node.args[1] == "shape"
        if node.target in _SIZE_ARITHMETIC:
            nodes = node.all_input_nodes
            return bool(nodes) and all(n in self.helpers for n in nodes)
        return False

    def add(self, node, layer, mutates=False):
        if layer is _HELPER:
            self.helpers.add(node)
            return
        if layer is _PARAM:
            self.params.add(node)
            return
        if layer is _DEAD:
            self.dead.add(node)
            return
        if isinstance(layer, _Pieces):
            if layer.source in self.producer:
                self.pieces[node] = layer
            else:
                self.dead.add(node)
            return
        chain = layer if isinstance(layer, list) else [layer]
        if layer is _SKIP or chain[0].inputs is None:
            source = node.args[0] if node.args else node.kwargs.get("input")
            if not isinstance(source, fx.Node) or source in self.helpers \
                    or source in self.params:
                raise _Unsupported("first argument is not a tensor")
            other = [n for n in node.all_input_nodes
                     if n is not source and n not in self.helpers and n not in self.params]
            if other:
                raise _Unsupported(
                    f"more than one tensor argument ({', '.join(map(str, other))})")
            sources = [source]
        else:
            sources = chain[0].inputs
        if not all(s in self.producer for s in sources):
            self.dead.add(node)   # a producer is unsupported and already reported
            return
        if layer is _SKIP:
            self.producer[node] = self.producer[sources[0]]
            return
        inputs = [self.producer[s] for s in sources]
        # what an in-place op changes: its first argument (inputs may be reordered)
        operand = node.args[0] if node.args else node.kwargs.get("input")
        if mutates and operand in self.producer:
            self.check_no_view_sees(node, operand)
        else:
            mutates = False
        for step in chain:
            name = self.node_name(node)
            self.nodes.append((name, inputs, step))
            inputs = [name]
        self.producer[node] = name
        self.origin[name] = node
        if mutates:
            # x.add_(y), F.relu(x, inplace=True), x += y: PyTorch changes x itself, so
            # whatever reads x from now on reads the result
            mutated = self.producer[operand]
            for fx_node, produced in list(self.producer.items()):
                if produced == mutated:
                    self.producer[fx_node] = name

    def check_no_view_sees(self, node, operand):
        """An in-place change of `operand` by `node` must not be visible through another
        tensor sharing its storage in PyTorch (a view of it, or what it is a view of) that
        is read after `node`: cnnrt copies those, and would not see the change. (Tensors
        alive at the same time share a storage address only when they share the storage.)"""
        storage = self.storage.get(operand)
        mutated = self.producer[operand]
        for fx_node, name in self.producer.items():
            if storage and name != mutated and self.storage.get(fx_node) == storage and any(
                    self.position[user] > self.position[node] for user in fx_node.users):
                raise _Unsupported(
                    f"changes in place a tensor that shares its storage with {fx_node.name}"
                    f" (a view), which is read afterwards; cnnrt cannot follow the change "
                    "through the view (use the out-of-place form)")

    def set_output(self, node):
        result = node.args[0]
        if not isinstance(result, fx.Node) or result in self.pieces:
            self.problems.append("forward() must return a single tensor")
        elif result in self.producer:
            self.output = self.producer[result]
            if self.output == INPUT_NAME:
                self.problems.append("the model has no layers (output is the input)")

    def index_layers(self, node, source, index):
        """x[...] with slices (and Ellipsis) only -> one Slice per sliced dim."""
        shape, _ = self.shapes_of(source)
        items = list(index) if isinstance(index, tuple) else [index]
        if sum(item is Ellipsis for item in items) > 1:
            raise _Unsupported("more than one Ellipsis in an index")
        if Ellipsis in items:
            at = items.index(Ellipsis)
            items[at:at + 1] = [slice(None)] * (len(shape) - len(items) + 1)
        if len(items) > len(shape):
            raise _Unsupported(f"too many indices for a {len(shape)}-D tensor")
        layers = []
        for dim, item in enumerate(items):
            if not isinstance(item, slice):
                raise _Unsupported(f"index {item!r}: only slices (a:b:c) are supported "
                                   "(an integer, None or tensor index changes the rank)")
            if item == slice(None):
                continue
            params = {"dim": dim}
            for key, value in (("start", item.start), ("end", item.stop),
                               ("step", item.step)):
                if value is not None:
                    params[key] = self.resolve_int(value, f"slice {key}")
            if params.get("step", 1) < 1:
                raise _Unsupported(f"slice step {params['step']} (must be positive)")
            layers.append(_Layer("Slice", params))
        if not layers:
            return _SKIP
        return layers

    # -- reshape / unflatten
    def shapes_of(self, node):
        """(shape on the example input, shape at twice its batch or None)."""
        shape = self.values.get(node)
        if not isinstance(shape, tuple):
            raise _Unsupported("shape unknown (module failed on the example input)")
        other = self.values2.get(node)
        if not isinstance(other, tuple) or len(other) != len(shape):
            other = None
        return shape, other

    def resolve_int(self, value, what):
        """A size argument: an int, or a helper node's value on the example input."""
        if isinstance(value, fx.Node):
            value = self.values.get(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Unsupported(f"{what} is not an integer: {value!r}")
        return value

    def reshape_layer(self, node, source, shape):
        """view/reshape -> Flatten(1) when it is one at both batch sizes, else Reshape.

        The written shape is the example's output shape with -1 for the one dim that
        changes with the batch size (found by the second run at twice the batch).
        """
        if not all(isinstance(d, (int, fx.Node)) for d in shape):
            raise _Unsupported(f"reshape to {shape!r} is not supported (sizes must be ints)")
        in1, in2 = self.shapes_of(source)
        out1, out2 = self.shapes_of(node)
        if len(out1) > MAX_RANK:
            raise _Unsupported(f"reshape to {len(out1)}-D {out1}: cnnrt tensors have at most "
                               f"{MAX_RANK} dims")
        if 0 in out1:
            raise _Unsupported(f"reshape to {out1} gives an empty tensor")
        if out2 is not None and in2 is not None and out1 == _flatten1(in1) \
                and out2 == _flatten1(in2):
            return _Layer("Flatten", {"start_dim": 1, "end_dim": -1})
        if out2 is None:   # the module fails at another batch size: keep what was written
            sizes = [self.resolve_int(d, "a reshape size") for d in shape]
            if len(sizes) != len(out1):
                sizes = list(out1)
            return _Layer("Reshape", {"shape": sizes})
        varying = [i for i, (a, b) in enumerate(zip(out1, out2)) if a != b]
        if len(varying) > 1:
            raise _Unsupported(
                f"reshape of {in1} to {_describe_shape(shape)} -> {out1} changes dims "
                f"{varying} with the batch size; cnnrt infers one dim (-1) only")
        sizes = list(out1)
        for i in varying:
            sizes[i] = -1
        return _Layer("Reshape", {"shape": sizes})

    def unflatten_layer(self, node, source, dim, sizes):
        """Unflatten(dim, sizes), with -1 for an entry that changes with the batch size."""
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise _Unsupported(f"dim={dim!r} is not an int")
        if not isinstance(sizes, (tuple, list)) or not sizes:
            raise _Unsupported(f"unflattened_size={sizes!r} is not a list of ints")
        in1, _ = self.shapes_of(source)
        out1, out2 = self.shapes_of(node)
        if len(out1) > MAX_RANK:
            raise _Unsupported(f"output {out1} has more than {MAX_RANK} dims")
        wrapped = dim + len(in1) if dim < 0 else dim
        span = range(wrapped, wrapped + len(sizes))
        written = [self.resolve_int(s, "an unflattened size") for s in sizes]
        if out2 is not None:
            varying = [k for k, i in enumerate(span) if out1[i] != out2[i]]
            if len(varying) > 1:
                raise _Unsupported(f"unflattened sizes {written} change in more than one "
                                   "entry with the batch size")
            if varying:
                written = [-1 if k == varying[0] else out1[i] for k, i in enumerate(span)]
        return _Layer("Unflatten", {"dim": dim, "unflattened_size": written})


# --------------------------------------------------------------------------- export

def _trace(module, example_input, keep_tensors=False):
    """Symbolic trace + shape propagation.

    Returns (GraphModule, recorder, values at twice the batch, run_error). A bare layer
    (e.g. an nn.Conv2d) is traced as nn.Sequential(layer): its node is "0".
    """
    if type(module) in _MODULE_CONVERTERS or isinstance(module, _SKIPPED_MODULES):
        module = nn.Sequential(module)
    try:
        tracer = _Tracer()
        graph = tracer.trace(module)
        gm = fx.GraphModule(tracer.root, graph, type(module).__name__)
    except Exception as e:   # fx raises assorted errors on data-dependent control flow
        raise ExportError(f"torch.fx cannot trace {type(module).__name__}: {e}") from e
    recorder = _Recorder(gm, keep_tensors)
    try:
        with torch.no_grad():
            recorder.run(example_input.clone())
    except Exception as e:
        return gm, recorder, {}, e
    double = _Recorder(gm)
    try:
        with torch.no_grad():
            double.run(torch.cat([example_input, example_input]))
    except Exception:   # e.g. a hard-coded batch size: reshapes keep what was written
        pass
    return gm, recorder, double.values, None


def _convert(module, example_input, keep_tensors=False, keep_noops=False):
    """Trace and convert in eval mode; returns (converter, recorder, output fx node)."""
    was_training = module.training
    module.eval()
    try:
        gm, recorder, values2, run_error = _trace(module, example_input, keep_tensors)
        converter = _Converter(gm, recorder.values, values2, keep_noops,
                               batch=example_input.shape[0], storage=recorder.storage)
        problems = converter.convert()
    finally:
        module.train(was_training)
    if problems:
        if run_error is not None:
            problems.append("running the module on the example input failed: "
                            + str(run_error).splitlines()[0])
        raise UnsupportedModelError(problems)
    if run_error is not None:
        raise ExportError("running the module on the example input failed: "
                          + str(run_error).splitlines()[0])
    output = next(n for n in gm.graph.nodes if n.op == "output").args[0]
    return converter, recorder, output


def _validate_preprocess(preprocess, channels):
    """Check a preprocess dict against docs/format.md; returns it with defaults filled."""
    pre = dict(preprocess)
    unknown = [k for k in pre if k not in _PREPROCESS_KEYS and not k.startswith("_")]
    if unknown:
        raise ExportError(f"unknown preprocess keys: {unknown}")
    expected = {"rgb": 3, "gray": 1}.get(pre.get("color"))
    if expected is None:
        raise ExportError('preprocess "color" must be "rgb" or "gray"')
    if expected != channels:
        raise ExportError(f'preprocess color {pre["color"]!r} gives {expected} channel(s), '
                          f"the input has {channels}")
    for key in ("mean", "std"):
        if key in pre:
            pre[key] = [float(v) for v in pre[key]]
            if len(pre[key]) != channels:
                raise ExportError(f"preprocess {key} needs {channels} value(s)")
    if any(s <= 0 for s in pre.get("std", [])):
        raise ExportError("preprocess std values must be > 0")
    defaults = {"scale": 1.0 / 255.0, "mean": [0.0] * channels, "std": [1.0] * channels}
    return {"color": pre.pop("color"), **{k: pre.pop(k, v) for k, v in defaults.items()},
            **pre}


def _blob_and_refs(nodes):
    """Lay out all weight tensors (64-byte aligned, zero padded; shared tensors once)."""
    blob, offsets, refs = bytearray(), {}, []
    for _, _, layer in nodes:
        node_refs = {}
        for tname, tensor in layer.tensors.items():
            # the same parameter (a module called twice) is stored once; views made by
            # the exporter (PReLU's reshape(-1)) share their base's storage
            key = (tensor.data_ptr(), tuple(tensor.shape), tuple(tensor.stride()),
                   tensor.dtype)
            if key not in offsets:
                blob += bytes(-len(blob) % ALIGNMENT)
                offsets[key] = len(blob)
                data = tensor.detach().to("cpu", torch.float32).contiguous().numpy()
                blob += data.astype("<f4", copy=False).tobytes()
            node_refs[tname] = {"offset": offsets[key], "shape": list(tensor.shape)}
        refs.append(node_refs)
    return bytes(blob), refs


def _format_json(model):
    """JSON text with one line per top-level key and per node."""
    parts = []
    for key, value in model.items():
        if key == "nodes":
            body = ",\n".join("    " + json.dumps(n) for n in value)
            parts.append(f'  "nodes": [\n{body}\n  ]')
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def export(module, example_input, json_path, labels=None, preprocess=None, keep_noops=False):
    """Export `module` to `json_path` and its weight blob `<stem>.bin` beside it.

    `example_input` is a float tensor [N, C, H, W]; its shape becomes the model's input
    shape. `labels` (list of str) and `preprocess` (dict, see docs/format.md) are
    optional. The module is traced in eval mode (its training flag is restored).
    Identity/Dropout/Dropout2d/AlphaDropout modules are skipped, or with keep_noops=True
    written as their (no-op) cnnrt ops. Returns the model dict that was written.
    Raises ExportError / UnsupportedModelError.
    """
    if not isinstance(example_input, torch.Tensor) or example_input.dim() != 4:
        raise ExportError("example_input must be a 4-D tensor [N, C, H, W]")
    converter, recorder, output = _convert(module, example_input, keep_noops=keep_noops)

    json_path = Path(json_path)
    model = {"format": "cnnrt", "version": FORMAT_VERSION}
    blob, refs = _blob_and_refs(converter.nodes)
    if blob:
        model["weights"] = json_path.with_suffix(".bin").name
    model["input"] = {"name": INPUT_NAME, "shape": list(example_input.shape)}
    model["output"] = converter.output
    if preprocess is not None:
        model["preprocess"] = _validate_preprocess(preprocess, example_input.shape[1])
    if labels is not None:
        features = int(np.prod(recorder.values[output][1:]))
        if len(labels) != features:
            raise ExportError(f"{len(labels)} labels for {features} output features")
        model["labels"] = [str(label) for label in labels]
    model["nodes"] = [_node_json(name, inputs, layer, node_refs)
                      for (name, inputs, layer), node_refs in zip(converter.nodes, refs)]

    json_path.parent.mkdir(parents=True, exist_ok=True)
    if blob:
        json_path.with_suffix(".bin").write_bytes(blob)
    json_path.write_text(_format_json(model), encoding="utf-8")
    return model


def _node_json(name, inputs, layer, weight_refs):
    node = {"name": name, "op": layer.op, "inputs": inputs, "params": layer.params}
    if weight_refs:
        node["weights"] = weight_refs
    return node


# --------------------------------------------------------------------------- check

CheckResult = namedtuple("CheckResult", "max_abs max_rel ok rows first_divergent")
CheckRow = namedtuple("CheckRow", "index name label op shape max_abs rel ok")


def _relative(expected, actual):
    """(max abs error, max abs error / max(1, max|expected|)); inf on a size mismatch."""
    max_abs = cnnrt_common.max_abs_error(expected, actual)
    scale = max(1.0, float(np.abs(expected).max()) if expected.size else 1.0)
    return max_abs, max_abs / scale


def _format_table(rows):
    """The --check table as text."""
    header = ("#", "node", "op", "shape", "max abs err", "rel err", "")
    lines = [(str(r.index), r.label, r.op, str(list(r.shape)) if r.shape is not None else "?",
              f"{r.max_abs:.3g}" if r.max_abs is not None else "-",
              f"{r.rel:.3g}" if r.rel is not None else "-",
              "" if r.ok else "<- diverges" if r.ok is False else "(no torch value)")
             for r in rows]
    widths = [max(len(x[i]) for x in [header] + lines) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()
                     for line in [header] + lines)


def check(json_path, module, example_input=None, cnnrt=None, threads=None,
          tolerance=CHECK_TOLERANCE, dump_dir=None, verbose=True, keep_noops=False):
    """Compare cnnrt with `module` node by node; print a table; name the first divergence.

    `module` must be the one `json_path` was exported from (same keep_noops).

    The input is `example_input` (a tensor or numpy array [N, C, H, W]; N may differ from
    the model's declared batch) or a seeded random tensor of the model's input shape.
    torch's output of every graph node is recorded (fx Interpreter), cnnrt runs with
    `--dump-tensors` (into `dump_dir`, or a temporary directory) and each cnnrt node is
    compared with the torch node it was exported from. A node fused at load into its
    producer (BatchNorm2d, ReLU, ReLU6) has no output of its own: the producer's row
    compares the producer's dump with the last fused node's torch output and is labelled
    "conv1 (+bn1, relu1 fused)". A row diverges when max abs error > tolerance *
    max(1, max|torch|). Returns CheckResult(max_abs, max_rel, ok, rows, first_divergent)
    for the model output (rows: CheckRow per cnnrt node, first_divergent: a node name or
    None).
    """
    model = cnnrt_common.read_model(json_path)
    if example_input is None:
        shape = model["input"]["shape"]
        example_input = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    if isinstance(example_input, np.ndarray):
        example_input = torch.from_numpy(np.ascontiguousarray(example_input, np.float32))
    example_input = example_input.detach().to(torch.float32)
    converter, recorder, output = _convert(module, example_input, keep_tensors=True,
                                           keep_noops=keep_noops)
    torch_of = {name: recorder.tensors.get(node) for name, node in converter.origin.items()}
    expected = recorder.tensors[output].numpy()

    cnnrt = cnnrt_common.find_cnnrt(cnnrt)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(dump_dir) if dump_dir is not None else Path(tmp, "dump")
        actual, dumps = cnnrt_common.run_dump(cnnrt, json_path, example_input.numpy(), dump,
                                              threads=threads, workdir=tmp)
    fused = cnnrt_common.fused_nodes(cnnrt, json_path, example_input.shape[0])
    rows = _check_rows(model, dumps, fused, torch_of, tolerance)
    max_abs, max_rel = _relative(expected, actual)
    ok = max_rel <= tolerance and all(r.ok is not False for r in rows)
    first = next((r for r in rows if r.ok is False), None)
    if verbose:
        print(f"check {json_path}: input {list(example_input.shape)}, tolerance {tolerance:g}"
              " * max(1, max|torch|)")
        print(_format_table(rows))
        if first is not None:
            print(f"first divergent node: {first.label} ({first.op}): max abs error "
                  f"{first.max_abs:.3g}, relative {first.rel:.3g} > {tolerance:g}")
        else:
            print("no node diverges")
        print(f"output: max abs diff {max_abs:.3g}, max relative diff {max_rel:.3g}"
              f" -> {'OK' if ok else 'FAILED'}")
    return CheckResult(max_abs, max_rel, ok, rows, first.name if first else None)


def _check_rows(model, dumps, fused, torch_of, tolerance):
    """One CheckRow per non-fused cnnrt node, in execution order."""
    by_name = {n["name"]: n for n in model["nodes"]}
    order = [name for _, name, _ in dumps]
    fused_names = {order[i] for i in fused if i < len(order)}
    previous, default_input = {}, model["input"]["name"]
    for node in model["nodes"]:   # default input: the previous node in the array
        previous[node["name"]] = default_input
        default_input = node["name"]

    def producer_of(name):
        node = by_name.get(name, {})
        return (node.get("inputs") or [previous.get(name)])[0]

    absorbed = {}   # root producer -> fused node names, in execution order
    for name in order:
        if name in fused_names:
            root = producer_of(name)
            while root in fused_names:
                root = producer_of(root)
            absorbed.setdefault(root, []).append(name)
    rows = []
    for index, name, data in dumps:
        if name in fused_names:
            continue
        chain = absorbed.get(name, [])
        label = f"{name} (+{', '.join(chain)} fused)" if chain else name
        ref = torch_of.get(chain[-1] if chain else name)
        op = by_name.get(name, {}).get("op", "?")
        if ref is None:
            rows.append(CheckRow(index, name, label, op, None, None, None, None))
            continue
        ref = ref.numpy()
        max_abs, rel = _relative(ref, data)
        rows.append(CheckRow(index, name, label, op, tuple(ref.shape), max_abs, rel,
                             rel <= tolerance))
    return rows


# --------------------------------------------------------------------------- CLI

def _load_class(spec):
    """'package.module:Class' -> the class (cwd and PYTHONPATH importable)."""
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise ExportError(f"expected package.module:Class, got {spec!r}")
    sys.path.insert(0, os.getcwd())
    obj = importlib.import_module(module_name)
    for part in class_name.split("."):
        obj = getattr(obj, part)
    return obj


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="package.module:Class (constructed with no arguments)")
    p.add_argument("--input-shape", required=True, help="N,C,H,W, e.g. 1,3,32,32")
    p.add_argument("-o", "--output", required=True, help="model.json path")
    p.add_argument("--state-dict", help="weights saved with torch.save(state_dict)")
    p.add_argument("--labels", help="text file, one class name per line")
    p.add_argument("--preprocess", help='JSON object, e.g. \'{"color": "rgb"}\'')
    p.add_argument("--check", action="store_true",
                   help="compare every node's output in cnnrt with torch")
    p.add_argument("--input", help="with --check: input tensor as .npy [N, C, H, W] "
                                   "(default: seeded random of the input shape)")
    p.add_argument("--tolerance", type=float, default=CHECK_TOLERANCE,
                   help="with --check: max abs error allowed, relative to max(1, max|torch|)")
    p.add_argument("--dump-dir", help="with --check: keep cnnrt's per-node dumps here")
    p.add_argument("--cnnrt", help="cnnrt binary (default $CNNRT_BIN or build/cnnrt)")
    return p.parse_args(argv)


def _parse_shape(text):
    """'1,3,32,32' -> [1, 3, 32, 32]."""
    try:
        shape = [int(d) for d in text.split(",")]
    except ValueError:
        shape = []
    if len(shape) != 4 or min(shape) < 1:
        raise ExportError(f"--input-shape must be 4 positive integers N,C,H,W, got {text!r}")
    return shape


def _build_module(args):
    module = _load_class(args.model)()
    if args.state_dict:
        state = torch.load(args.state_dict, map_location="cpu")
        module.load_state_dict(state.state_dict() if isinstance(state, nn.Module) else state)
    return module


def _load_input(path, shape):
    """--input FILE.npy: a float array [N, C, H, W] with the model's C, H, W."""
    x = np.load(path)
    if x.ndim != 4 or list(x.shape[1:]) != shape[1:]:
        raise ExportError(f"--input {path}: shape {list(x.shape)} is not [N, "
                          f"{', '.join(map(str, shape[1:]))}]")
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def main(argv=None):
    args = _parse_args(argv)
    try:
        shape = _parse_shape(args.input_shape)
        module = _build_module(args)
        labels = None
        if args.labels:
            labels = [line.strip() for line in
                      Path(args.labels).read_text(encoding="utf-8").splitlines()
                      if line.strip()]
        preprocess = json.loads(args.preprocess) if args.preprocess else None
        x = _load_input(args.input, shape) if args.input else None
        export(module, torch.zeros(shape), args.output, labels, preprocess)
        print(f"wrote {args.output}")
        if args.check and not check(args.output, module, x, cnnrt=args.cnnrt,
                                    tolerance=args.tolerance, dump_dir=args.dump_dir).ok:
            return 1
    except (ExportError, ValueError, ImportError, AttributeError, OSError,
            RuntimeError) as e:
        print(f"cnnrt_export: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
