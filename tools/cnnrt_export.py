#!/usr/bin/python3
"""Export a PyTorch CNN to the cnnrt model format v1 (docs/format.md).

Python API:
    export(module, example_input, json_path, labels=None, preprocess=None) -> dict
    check(json_path, module, example_input=None, cnnrt=None) -> CheckResult

Command line:
    cnnrt_export.py package.module:Class --input-shape 1,3,32,32 -o out/model.json
        [--state-dict f.pth] [--labels labels.txt] [--preprocess JSON] [--check] [--cnnrt PATH]

The module is traced with torch.fx.symbolic_trace (in eval mode) and run once on the
example input to learn every tensor's shape. Each graph node becomes a cnnrt node:
leaf modules by class, functional forms (F.relu, torch.flatten, x.view(x.size(0), -1),
...) as the equivalent module op. Dropout/Identity are skipped. Anything else is
reported, all problems at once, as an UnsupportedModelError.
"""

import argparse
import importlib
import inspect
import json
import operator
import os
import sys
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

_SKIPPED_MODULES = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                    nn.AlphaDropout, nn.FeatureAlphaDropout)
_PREPROCESS_KEYS = {"color", "scale", "mean", "std"}


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


_SKIP = object()     # node is an identity: consumers read its input
_HELPER = object()   # node computes a size used by a reshape; not a layer


# --------------------------------------------------------------------------- params

def _pair(value, what):
    """PyTorch int-or-pair parameter -> [height, width]."""
    if isinstance(value, int):
        return [value, value]
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) \
            and all(isinstance(v, int) for v in value):
        return [value[0], value[-1]]
    raise _Unsupported(f"{what}={value!r} is not an int or a pair of ints")


def _implicit_softmax_dim(rank):
    """The dim PyTorch's softmax uses when dim=None (legacy behaviour)."""
    return 0 if rank in (0, 1, 3) else 1


def _maxpool_layer(kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if return_indices:
        raise _Unsupported("return_indices=True is not supported")
    kernel = _pair(kernel_size, "kernel_size")
    return _Layer("MaxPool2d", {
        "kernel_size": kernel,
        "stride": _pair(stride, "stride") if stride not in (None, [], ()) else kernel,
        "padding": _pair(padding, "padding"),
        "dilation": _pair(dilation, "dilation"),
        "ceil_mode": bool(ceil_mode),
        "return_indices": False,
    })


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


def _maxpool_module(m, _node, _conv):
    return _maxpool_layer(m.kernel_size, m.stride, m.padding, m.dilation,
                          m.ceil_mode, m.return_indices)


def _softmax_module(m, node, conv):
    dim = m.dim if m.dim is not None else _implicit_softmax_dim(conv.input_rank(node))
    return _Layer("Softmax", {"dim": dim})


_MODULE_CONVERTERS = {
    nn.Conv2d: _conv2d_module,
    nn.Linear: _linear_module,
    nn.MaxPool2d: _maxpool_module,
    nn.ReLU: lambda m, node, conv: _Layer("ReLU", {"inplace": m.inplace}),
    nn.Sigmoid: lambda m, node, conv: _Layer("Sigmoid"),
    nn.Softmax: _softmax_module,
    nn.Flatten: lambda m, node, conv: _Layer(
        "Flatten", {"start_dim": m.start_dim, "end_dim": m.end_dim}),
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
def _sig_f_softmax(input, dim=None, _stacklevel=3, dtype=None): pass           # noqa: E704
def _sig_softmax(input, dim=None, dtype=None): pass                            # noqa: E704
def _sig_flatten(input, start_dim=0, end_dim=-1): pass                         # noqa: E704
def _sig_max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,    # noqa: E704
                    ceil_mode=False, return_indices=False): pass
def _sig_dropout(input, p=0.5, training=True, inplace=False): pass             # noqa: E704
def _sig_reshape(input, *shape): pass                                          # noqa: E704
def _sig_torch_reshape(input, shape): pass                                     # noqa: E704
def _sig_size(input, dim=None): pass                                           # noqa: E704
def _sig_contiguous(input, memory_format=None): pass                           # noqa: E704


def _relu_fn(a, node, conv):
    return _Layer("ReLU", {"inplace": bool(a.get("inplace", False))})


def _softmax_fn(a, node, conv):
    if a.get("dtype") is not None:
        raise _Unsupported(f"dtype={a['dtype']} is not supported")
    dim = a["dim"] if a["dim"] is not None else _implicit_softmax_dim(conv.input_rank(node))
    return _Layer("Softmax", {"dim": dim})


def _flatten_fn(a, node, conv):
    return _Layer("Flatten", {"start_dim": a["start_dim"], "end_dim": a["end_dim"]})


def _max_pool2d_fn(a, node, conv):
    return _maxpool_layer(a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                          a["ceil_mode"], a["return_indices"])


def _dropout_fn(a, node, conv):
    if a["training"]:
        raise _Unsupported("dropout with training=True")
    return _SKIP


def _reshape_fn(a, node, conv):
    shape = a["shape"]
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return conv.reshape_as_flatten(node, a["input"], shape)


_FUNCTIONS = {
    F.relu: (_sig_unary, _relu_fn),
    torch.relu: (_sig_unary, _relu_fn),
    torch.sigmoid: (_sig_unary, lambda a, node, conv: _Layer("Sigmoid")),
    F.sigmoid: (_sig_unary, lambda a, node, conv: _Layer("Sigmoid")),
    F.softmax: (_sig_f_softmax, _softmax_fn),
    torch.softmax: (_sig_softmax, _softmax_fn),
    torch.flatten: (_sig_flatten, _flatten_fn),
    F.max_pool2d: (_sig_max_pool2d, _max_pool2d_fn),
    torch.max_pool2d: (_sig_max_pool2d, _max_pool2d_fn),
    F.dropout: (_sig_dropout, _dropout_fn),
    torch.reshape: (_sig_torch_reshape, _reshape_fn),
}

_METHODS = {
    "relu": (_sig_unary, _relu_fn),
    "sigmoid": (_sig_unary, lambda a, node, conv: _Layer("Sigmoid")),
    "softmax": (_sig_softmax, _softmax_fn),
    "flatten": (_sig_flatten, _flatten_fn),
    "view": (_sig_reshape, _reshape_fn),
    "reshape": (_sig_reshape, _reshape_fn),
    "contiguous": (_sig_contiguous, lambda a, node, conv: _SKIP),
    "size": (_sig_size, lambda a, node, conv: _HELPER),
}


def _bind(signature_fn, node):
    """Bind an fx node's args/kwargs to a signature; returns {param: value}."""
    try:
        bound = inspect.signature(signature_fn).bind(*node.args, **node.kwargs)
    except TypeError as e:
        raise _Unsupported(f"unexpected arguments: {e}") from None
    bound.apply_defaults()
    return dict(bound.arguments)


# --------------------------------------------------------------------------- converter

class _ShapeRecorder(fx.Interpreter):
    """Runs the traced module, remembering each node's value (shape for tensors)."""

    def __init__(self, gm):
        super().__init__(gm)
        self.values = {}

    def run_node(self, n):
        result = super().run_node(n)
        self.values[n] = tuple(result.shape) if isinstance(result, torch.Tensor) else result
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
    return node.op == "call_function" and node.kwargs.get("inplace") is True


class _Converter:
    """Turns a traced GraphModule into a list of cnnrt nodes."""

    def __init__(self, gm, values):
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.values = values          # fx.Node -> shape tuple / python value
        self.producer = {}            # fx.Node -> cnnrt name of the tensor it yields
        self.helpers = set()          # size nodes feeding reshapes
        self.batch_leading = set()    # tensor nodes whose dim 0 is the batch
        self.used_names = {INPUT_NAME}
        self.nodes = []               # (name, inputs, _Layer)
        self.problems = []
        self.output = None

    # -- naming / describing
    def unique_name(self, base):
        name, i = base, 1
        while name in self.used_names:
            name, i = f"{base}_{i}", i + 1
        self.used_names.add(name)
        return name

    def describe(self, node):
        if node.op == "call_module":
            return f"{node.target} ({type(self.modules[node.target]).__name__})"
        if node.op == "call_method":
            return f"{node.name} (Tensor.{node.target})"
        if node.op == "call_function":
            return f"{node.name} ({_get_qualified_name(node.target)})"
        return f"{node.name} ({node.op} {node.target})"

    def input_rank(self, node):
        shape = self.values.get(node.args[0] if node.args else None)
        if shape is None:
            raise _Unsupported("input shape unknown (module failed on the example input)")
        return len(shape)

    # -- main loop
    def convert(self):
        live = _live_nodes(self.gm.graph)
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            self.problems.append(f"forward() must take exactly one tensor input, "
                                 f"got {len(placeholders)}")
        for node in self.gm.graph.nodes:
            if node not in live:
                if node.op != "placeholder" and _is_discarded_inplace(node, self.modules):
                    self.problems.append(f"{self.describe(node)}: result of an in-place "
                                         "operation is discarded")
                continue
            self.convert_node(node)
        return self.problems

    def convert_node(self, node):
        if node.op == "placeholder":
            self.producer[node] = INPUT_NAME
            self.batch_leading.add(node)
        elif node.op == "output":
            self.set_output(node)
        else:
            try:
                self.add(node, self.layer_for(node))
            except _Unsupported as e:
                self.problems.append(f"{self.describe(node)}: {e}")

    def layer_for(self, node):
        """_Layer, _SKIP or _HELPER for a node; raises _Unsupported."""
        if node.op == "call_module":
            module = self.modules[node.target]
            if isinstance(module, _SKIPPED_MODULES):
                return _SKIP
            converter = _MODULE_CONVERTERS.get(type(module))
            if converter is None:
                raise _Unsupported("layer type not supported by cnnrt")
            if len(node.args) != 1 or node.kwargs:
                raise _Unsupported("expected a single tensor argument")
            return converter(module, node, self)
        if node.op == "call_function" and node.target in (operator.getitem, getattr):
            return self.size_helper(node)
        table = {"call_function": _FUNCTIONS, "call_method": _METHODS}.get(node.op, {})
        entry = table.get(node.target)
        if entry is None:
            what = {"call_function": "function", "call_method": "tensor method"}.get(
                node.op, "graph operation")
            raise _Unsupported(f"{what} not supported by cnnrt")
        signature, converter = entry
        return converter(_bind(signature, node), node, self)

    def size_helper(self, node):
        """Accept x.shape, x.size()[0] and x.shape[0] (only used by reshapes)."""
        source = node.args[0]
        if node.target is getattr and node.args[1] == "shape":
            return _HELPER
        if node.target is operator.getitem and isinstance(source, fx.Node) \
                and source in self.helpers and isinstance(node.args[1], int):
            return _HELPER
        raise _Unsupported("function not supported by cnnrt")

    def add(self, node, layer):
        if layer is _HELPER:
            self.helpers.add(node)
            return
        source = node.args[0] if node.args else node.kwargs.get("input")
        if not isinstance(source, fx.Node) or source in self.helpers:
            raise _Unsupported("first argument is not a tensor")
        other = [n for n in node.all_input_nodes if n is not source and n not in self.helpers]
        if other:
            raise _Unsupported(f"more than one tensor argument ({', '.join(map(str, other))})")
        if source not in self.producer:
            return   # its producer is unsupported and already reported
        if source in self.batch_leading and (layer is _SKIP or _keeps_batch(
                layer, len(self.values.get(source, ())))):
            self.batch_leading.add(node)
        if layer is _SKIP:
            self.producer[node] = self.producer[source]
            return
        base = node.target if node.op == "call_module" else node.name
        name = self.unique_name(base)
        self.producer[node] = name
        self.nodes.append((name, [self.producer[source]], layer))

    def set_output(self, node):
        result = node.args[0]
        if not isinstance(result, fx.Node):
            self.problems.append("forward() must return a single tensor")
        elif result in self.producer:
            self.output = self.producer[result]
            if self.output == INPUT_NAME:
                self.problems.append("the model has no layers (output is the input)")

    # -- reshape
    def batch_size_of(self, arg):
        """The tensor node whose dim 0 `arg` is (x.size(0), x.shape[0], ...), or None."""
        if not isinstance(arg, fx.Node) or arg not in self.helpers:
            return None
        if arg.op == "call_method":   # x.size(0)
            dim = arg.args[1] if len(arg.args) > 1 else arg.kwargs.get("dim")
            return arg.args[0] if dim == 0 else None
        if arg.target is operator.getitem and arg.args[1] == 0:   # x.shape[0] / x.size()[0]
            inner = arg.args[0]
            no_dim = inner.op == "call_function" or (len(inner.args) == 1 and not inner.kwargs)
            return inner.args[0] if no_dim else None
        return None

    def reshape_as_flatten(self, node, source, shape):
        """A view/reshape is exported as Flatten(1) iff it is one for every batch size."""
        in_shape, out_shape = self.values.get(source), self.values.get(node)
        if in_shape is None or out_shape is None:
            raise _Unsupported("shape unknown (module failed on the example input)")
        if len(shape) != 2:
            raise _Unsupported(f"reshape to {len(shape)}-D {out_shape} is not supported "
                               "(only a 2-D reshape equivalent to flatten(1))")
        features = int(np.prod(in_shape[1:]))
        batch, rest = shape
        batch_ok = batch == -1 or self.batch_size_of(batch) in self.batch_leading
        rest_ok = rest == -1 and batch != -1 or rest == features
        if source not in self.batch_leading or len(in_shape) < 2 \
                or not (batch_ok and rest_ok) \
                or tuple(out_shape) != (in_shape[0], features):
            raise _Unsupported(
                f"reshape of {in_shape} to {_describe_shape(shape)} -> {out_shape} is not "
                "equivalent to flatten(1) for every batch size; use x.flatten(1) or "
                "x.view(x.size(0), -1)")
        return _Layer("Flatten", {"start_dim": 1, "end_dim": -1})


def _keeps_batch(layer, rank):
    """Whether dim 0 of a layer's output is still the batch (input of `rank` dims is)."""
    if layer.op in ("Conv2d", "MaxPool2d"):
        return rank == 4      # a 3-D input is an unbatched [C, H, W]
    if layer.op == "Linear":
        return rank >= 2
    if layer.op == "Flatten":
        start = layer.params["start_dim"]
        return (start + rank if start < 0 else start) >= 1
    return True


def _describe_shape(shape):
    """Printable reshape target, e.g. (size(0), -1)."""
    return "(" + ", ".join(str(d) if isinstance(d, int) else d.name for d in shape) + ")"


# --------------------------------------------------------------------------- export

def _trace(module, example_input):
    """Symbolic trace + shape propagation; returns (GraphModule, values, run_error).

    A bare layer (e.g. an nn.Conv2d) is traced as nn.Sequential(layer): its node is "0".
    """
    if type(module) in _MODULE_CONVERTERS or isinstance(module, _SKIPPED_MODULES):
        module = nn.Sequential(module)
    try:
        gm = fx.symbolic_trace(module)
    except Exception as e:   # fx raises assorted errors on data-dependent control flow
        raise ExportError(f"torch.fx cannot trace {type(module).__name__}: {e}") from e
    recorder = _ShapeRecorder(gm)
    try:
        with torch.no_grad():
            recorder.run(example_input)
        return gm, recorder.values, None
    except Exception as e:
        return gm, recorder.values, e


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
            key = id(tensor)
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


def export(module, example_input, json_path, labels=None, preprocess=None):
    """Export `module` to `json_path` and its weight blob `<stem>.bin` beside it.

    `example_input` is a float tensor [N, C, H, W]; its shape becomes the model's input
    shape. `labels` (list of str) and `preprocess` (dict, see docs/format.md) are
    optional. The module is traced in eval mode (its training flag is restored).
    Returns the model dict that was written. Raises ExportError / UnsupportedModelError.
    """
    if not isinstance(example_input, torch.Tensor) or example_input.dim() != 4:
        raise ExportError("example_input must be a 4-D tensor [N, C, H, W]")
    was_training = module.training
    module.eval()
    try:
        gm, values, run_error = _trace(module, example_input)
        converter = _Converter(gm, values)
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
        out_shape = values[next(n for n in gm.graph.nodes if n.op == "output").args[0]]
        features = int(np.prod(out_shape[1:]))
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

CheckResult = namedtuple("CheckResult", "max_abs max_rel ok")


def check(json_path, module, example_input=None, cnnrt=None, threads=None):
    """Compare cnnrt's output on `json_path` with `module`'s.

    The input is `example_input` if given, else a seeded random tensor of the model's
    input shape. Prints and returns the max abs difference and the max relative one
    (abs / max |torch output|); ok means relative <= 1e-4.
    """
    if example_input is None:
        shape = cnnrt_common.read_model(json_path)["input"]["shape"]
        example_input = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    was_training = module.training
    try:
        with torch.no_grad():
            expected = module.eval()(example_input).numpy()
    finally:
        module.train(was_training)
    actual = cnnrt_common.run_raw(cnnrt_common.find_cnnrt(cnnrt), json_path,
                                  example_input.numpy(), threads=threads)
    max_abs = cnnrt_common.max_abs_error(expected, actual)
    max_rel = max_abs / max(float(np.abs(expected).max()), 1e-30)
    ok = max_rel <= CHECK_TOLERANCE
    print(f"check {json_path}: max abs diff {max_abs:.3g}, max relative diff {max_rel:.3g}"
          f" -> {'OK' if ok else 'FAILED'}")
    return CheckResult(max_abs, max_rel, ok)


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
    p.add_argument("--check", action="store_true", help="compare cnnrt with torch")
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
        export(module, torch.zeros(shape), args.output, labels, preprocess)
        print(f"wrote {args.output}")
        if args.check and not check(args.output, module, cnnrt=args.cnnrt).ok:
            return 1
    except (ExportError, ValueError, ImportError, AttributeError, OSError,
            RuntimeError) as e:
        print(f"cnnrt_export: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
