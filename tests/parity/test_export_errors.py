#!/usr/bin/python3
"""Tests of tools/cnnrt_export.py that need no cnnrt binary.

Mainly its errors (unsupported layers named by qualified name and class, all of them
listed at once, reshapes that are not flatten(1) rejected), plus the accepted
equivalent forms and the layout of the files it writes.

    /usr/bin/python3 tests/parity/test_export_errors.py
Prints one line per test and "N passed, N failed"; exit status 1 on any failure.
"""

import json
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
from cnnrt_export import ExportError, UnsupportedModelError, export  # noqa: E402

TESTS = []
X = torch.zeros(1, 3, 8, 8)


def test(fn):
    TESTS.append(fn)
    return fn


class Lambda(nn.Module):
    def __init__(self, fn, *layers):
        super().__init__()
        self.fn = fn
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.fn(self.layers(x))


def export_tmp(module, x=X, **kwargs):
    """Export into a fresh temp dir; returns (model dict, json path)."""
    path = Path(tempfile.mkdtemp(prefix="cnnrt_export_test_")) / "model.json"
    return export(module, x, path, **kwargs), path


def export_error(module, x=X, error=UnsupportedModelError):
    """The exception raised when exporting `module` (assert it raises `error`)."""
    try:
        export_tmp(module, x)
    except error as e:
        return e
    raise AssertionError(f"expected {error.__name__}")


def assert_in(needle, haystack):
    assert needle in haystack, f"{needle!r} not in:\n{haystack}"


# --------------------------------------------------------------------------- errors

@test
def unsupported_layer_named_by_qualified_name_and_class():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Upsample(scale_factor=2)))
    e = export_error(model)
    assert_in("0.2 (Upsample)", str(e))
    assert len(e.problems) == 1, e.problems


@test
def lstm_is_unsupported():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(2))
            self.rnn = nn.LSTM(36, 8, batch_first=True)

        def forward(self, x):
            return self.rnn(self.features(x))[0]

    assert_in("rnn (LSTM)", str(export_error(M())))


@test
def all_unsupported_layers_listed_at_once():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.LocalResponseNorm(2), nn.ReLU())
            self.head = nn.Sequential(nn.Upsample(scale_factor=2), nn.Flatten())

        def forward(self, x):
            return self.head(self.features(x))

    e = export_error(M())
    assert_in("features.1 (LocalResponseNorm)", str(e))
    assert_in("head.0 (Upsample)", str(e))
    assert len(e.problems) == 2, e.problems


@test
def unsupported_function_named():
    e = export_error(Lambda(lambda x: torch.erf(x) + 1, nn.Conv2d(3, 3, 1)))
    assert_in("erf (torch.erf)", str(e))
    assert_in("add (_operator.add)", str(e))


@test
def reshape_that_cannot_follow_the_batch_rejected():
    cases = {
        "batch in two dims": lambda x: x.view(x.size(0), x.size(0), -1),
        "7-D": lambda x: x.view(1, 1, 1, 1, 1, -1, 4),
        "unflatten sizes from the batch twice":
            lambda x: x.flatten(0, 1).unflatten(0, (x.size(0), x.size(0), -1)),
    }
    for name, fn in cases.items():
        e = export_error(Lambda(fn, nn.Conv2d(3, 4, 3)))
        assert "batch size" in str(e) or "at most 6" in str(e) or "more than 6" in str(e), \
            f"{name}: {e}"


@test
def functional_hardtanh_with_max_not_above_min_rejected():
    """F.hardtanh does not check max_val > min_val (it returns max_val everywhere)."""
    for lo, hi in [(2.0, -2.0), (1.0, 1.0)]:
        e = export_error(Lambda(lambda x: F.hardtanh(x, lo, hi), nn.Conv2d(3, 4, 3)))
        assert_in("hardtanh (torch.nn.functional.hardtanh): max_val", str(e))


@test
def get_attr_outside_prelu_rejected():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return F.relu(x) * self.scale

    assert_in("mul (_operator.mul)", str(export_error(M())))


@test
def training_dropout_rejected():
    e = export_error(Lambda(lambda x: F.dropout(x, 0.5), nn.Conv2d(3, 4, 3)))
    assert_in("training=True", str(e))


@test
def discarded_inplace_result_rejected():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            x = self.conv(x)
            F.relu(x, inplace=True)
            return x

    assert_in("in-place", str(export_error(M())))


@test
def multiple_outputs_rejected():
    assert_in("single tensor", str(export_error(Lambda(lambda x: (x, x), nn.ReLU()))))


@test
def labels_count_checked():
    try:
        export_tmp(nn.Sequential(nn.Flatten(), nn.Linear(192, 3)), labels=["a", "b"])
    except ExportError as e:
        assert_in("2 labels for 3 output features", str(e))
    else:
        raise AssertionError("expected ExportError")


@test
def preprocess_checked():
    for pre, message in [({"color": "gray"}, "channel"), ({"color": "bgr"}, "color"),
                         ({"color": "rgb", "std": [1, 0, 1]}, "> 0"),
                         ({"color": "rgb", "mean": [0.5]}, "3 value"),
                         ({"color": "rgb", "resize": "bicubic"}, "unknown")]:
        try:
            export_tmp(nn.Sequential(nn.ReLU()), preprocess=pre)
        except ExportError as e:
            assert_in(message, str(e))
        else:
            raise AssertionError(f"{pre} accepted")


@test
def cli_exits_1_and_names_module():
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "badnet.py").write_text(textwrap.dedent("""
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.PixelShuffle(2),
                                              nn.Upsample(scale_factor=2))
                def forward(self, x):
                    return self.body(x)
            """))
        proc = subprocess.run([sys.executable, str(TOOLS / "cnnrt_export.py"), "badnet:Net",
                               "--input-shape", "1,3,8,8", "-o", str(Path(tmp, "m.json"))],
                              cwd=tmp, capture_output=True, text=True)
        assert proc.returncode == 1, proc
        assert_in("body.1 (PixelShuffle)", proc.stderr)
        assert_in("body.2 (Upsample)", proc.stderr)
        assert not Path(tmp, "m.json").exists()


# --------------------------------------------------------------------------- accepted forms

@test
def flatten_equivalent_reshapes_accepted():
    def batch_first(x):
        b = x.size(0)
        return F.relu(x).reshape(b, -1)

    forms = [lambda x: x.view(x.size(0), -1), lambda x: x.view(-1, 144),
             lambda x: x.reshape(x.shape[0], -1), lambda x: x.view(x.size()[0], -1),
             lambda x: x.view(x.size(0), 144), lambda x: torch.flatten(x, 1),
             lambda x: x.contiguous().flatten(1), batch_first,
             lambda x: x.view(x.size(0), x.size(1) * x.size(2) * x.size(3)),
             lambda x: torch.reshape(x, (-1, 144))]
    for fn in forms:
        model, _ = export_tmp(Lambda(fn, nn.Conv2d(3, 4, 3)))
        last = model["nodes"][-1]
        assert last["op"] == "Flatten", model["nodes"]
        assert last["params"] == {"start_dim": 1, "end_dim": -1}, last


@test
def reshapes_write_minus_one_for_the_batch_dim():
    """Reshape's shape: the example's output shape, -1 where it changes with the batch."""
    cases = [  # input of the reshape: [N, 4, 6, 6] (144 features)
        (lambda x: torch.reshape(x, (-1, 2, 6, 6)), [-1, 2, 6, 6]),
        (lambda x: x.view(-1, 16), [-1, 16]),
        (lambda x: x.view(1, -1), [1, -1]),
        (lambda x: x.view(x.size(0), 4, -1), [-1, 4, 36]),
        (lambda x: x.reshape(x.size(1), -1), [4, -1]),
        (lambda x: x.view(x.size(0), 36, 4), [-1, 36, 4]),
        (lambda x: x.flatten(0).view(x.flatten(0).size(0), -1), [-1, 1]),
        (lambda x: x.flatten(0, 1).view(-1, 3, 12), [-1, 3, 12]),
        (lambda x: x.reshape(-1), [-1]),
        (lambda x: x.view(x.size(0), 2, 2, -1, 3, 3), [-1, 2, 2, 4, 3, 3]),
    ]
    for batch in (1, 3):
        for fn, shape in cases:
            model, _ = export_tmp(Lambda(fn, nn.Conv2d(3, 4, 3)), torch.zeros(batch, 3, 8, 8))
            last = model["nodes"][-1]
            assert (last["op"], last["params"]) == ("Reshape", {"shape": shape}), \
                (batch, shape, last)


@test
def tutorial_reshape_exports():
    """torch.reshape(output, (-1, 3, 30, 30)) on a 6-channel output (batch 64 declared)."""
    class Tudui(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 3, stride=1, padding=0)

        def forward(self, x):
            return torch.reshape(self.conv1(x), (-1, 3, 30, 30))

    model, _ = export_tmp(Tudui(), torch.zeros(64, 3, 32, 32))
    assert model["nodes"][-1]["params"] == {"shape": [-1, 3, 30, 30]}, model["nodes"]


@test
def unflatten_forms_mapped():
    cases = [
        (nn.Unflatten(1, (2, 2)), {"dim": 1, "unflattened_size": [2, 2]}),
        (nn.Unflatten(-1, (3, -1)), {"dim": -1, "unflattened_size": [3, -1]}),
        (Lambda(lambda x: x.unflatten(2, (3, 2))), {"dim": 2, "unflattened_size": [3, 2]}),
        (Lambda(lambda x: torch.unflatten(x, -2, (-1, 2))),
         {"dim": -2, "unflattened_size": [-1, 2]}),
        (Lambda(lambda x: x.unflatten(1, (x.size(1) // 2, 2))),
         {"dim": 1, "unflattened_size": [2, 2]}),
        (Lambda(lambda x: x.flatten(0, 1).unflatten(0, (x.size(0), 4))),
         {"dim": 0, "unflattened_size": [-1, 4]}),
    ]
    for module, params in cases:
        model, _ = export_tmp(nn.Sequential(nn.Conv2d(3, 4, 3), module))
        last = model["nodes"][-1]
        assert (last["op"], last["params"]) == ("Unflatten", params), (params, last)


@test
def functional_forms_mapped():
    def forward(x):
        x = torch.sigmoid(F.relu(x)).relu().sigmoid()
        x = F.max_pool2d(x, 2, ceil_mode=True)
        x = F.dropout(x, training=False)
        return torch.flatten(x).softmax(0)

    model, _ = export_tmp(Lambda(forward, nn.Conv2d(3, 4, 3)))
    ops = [(n["op"], n["params"]) for n in model["nodes"]]
    assert [op for op, _ in ops] == ["Conv2d", "ReLU", "Sigmoid", "ReLU", "Sigmoid",
                                     "MaxPool2d", "Flatten", "Softmax"], ops
    assert ops[5][1] == {"kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0],
                         "dilation": [1, 1], "ceil_mode": True, "return_indices": False}
    assert ops[6][1] == {"start_dim": 0, "end_dim": -1}        # torch.flatten's default
    assert ops[7][1] == {"dim": 0}


MODULES = [  # (module, op, params) for every module class the exporter maps
    (nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding="valid", dilation=(1, 2), groups=1,
               bias=False, padding_mode="circular"), "Conv2d",
     {"in_channels": 3, "out_channels": 4, "kernel_size": [3, 2], "stride": [2, 1],
      "padding": "valid", "dilation": [1, 2], "groups": 1, "bias": False,
      "padding_mode": "circular"}),
    (nn.Sequential(nn.Flatten(), nn.Linear(192, 5, bias=False)), "Linear",
     {"in_features": 192, "out_features": 5, "bias": False}),
    (nn.MaxPool2d(3, 1, 1, 2, ceil_mode=True), "MaxPool2d",
     {"kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [2, 2],
      "ceil_mode": True, "return_indices": False}),
    (nn.AvgPool2d((2, 3), None, (1, 0), True, False, 5), "AvgPool2d",
     {"kernel_size": [2, 3], "stride": [2, 3], "padding": [1, 0], "ceil_mode": True,
      "count_include_pad": False, "divisor_override": 5}),
    (nn.AvgPool2d(2), "AvgPool2d",
     {"kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0], "ceil_mode": False,
      "count_include_pad": True, "divisor_override": None}),
    (nn.AdaptiveAvgPool2d((None, 3)), "AdaptiveAvgPool2d", {"output_size": [None, 3]}),
    (nn.AdaptiveAvgPool2d(2), "AdaptiveAvgPool2d", {"output_size": 2}),
    (nn.AdaptiveMaxPool2d((4, None)), "AdaptiveMaxPool2d",
     {"output_size": [4, None], "return_indices": False}),
    (nn.Flatten(2, 3), "Flatten", {"start_dim": 2, "end_dim": 3}),
    (nn.Unflatten(-1, (2, 4)), "Unflatten", {"dim": -1, "unflattened_size": [2, 4]}),
    (nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False), "BatchNorm2d",
     {"num_features": 3, "eps": 1e-3, "momentum": None, "affine": False,
      "track_running_stats": True}),
    (nn.ReLU(inplace=True), "ReLU", {"inplace": True}),
    (nn.ReLU6(), "ReLU6", {"inplace": False}),
    (nn.Sigmoid(), "Sigmoid", {}),
    (nn.Tanh(), "Tanh", {}),
    (nn.LeakyReLU(0.2, True), "LeakyReLU", {"negative_slope": 0.2, "inplace": True}),
    (nn.PReLU(3), "PReLU", {"num_parameters": 3}),
    (nn.ELU(0.5), "ELU", {"alpha": 0.5, "inplace": False}),
    (nn.CELU(2.0), "CELU", {"alpha": 2.0, "inplace": False}),
    (nn.SELU(), "SELU", {"inplace": False}),
    (nn.GELU("tanh"), "GELU", {"approximate": "tanh"}),
    (nn.SiLU(), "SiLU", {"inplace": False}),
    (nn.Mish(), "Mish", {"inplace": False}),
    (nn.Hardswish(), "Hardswish", {"inplace": False}),
    (nn.Hardsigmoid(), "Hardsigmoid", {"inplace": False}),
    (nn.Hardtanh(-2, 3), "Hardtanh", {"min_val": -2.0, "max_val": 3.0, "inplace": False}),
    (nn.Softplus(2, 10), "Softplus", {"beta": 2.0, "threshold": 10.0}),
    (nn.Softsign(), "Softsign", {}),
    (nn.Threshold(0.1, 20), "Threshold", {"threshold": 0.1, "value": 20.0,
                                          "inplace": False}),
    (nn.Softmax(-3), "Softmax", {"dim": -3}),
    (nn.LogSoftmax(2), "LogSoftmax", {"dim": 2}),
    (nn.Softmin(), "Softmin", {"dim": 1}),
    (nn.Softmax2d(), "Softmax", {"dim": -3}),
]


@test
def every_module_class_mapped():
    for module, op, params in MODULES:
        model, _ = export_tmp(module)
        last = model["nodes"][-1]
        assert (last["op"], last["params"]) == (op, params), (module, last)


FUNCTIONS = [  # (forward, op, params) for the functional forms
    (lambda x: F.relu6(x), "ReLU6", {"inplace": False}),
    (lambda x: F.hardtanh(x, -2.0, 0.5), "Hardtanh",
     {"min_val": -2.0, "max_val": 0.5, "inplace": False}),
    (lambda x: F.leaky_relu(x, 0.3), "LeakyReLU", {"negative_slope": 0.3, "inplace": False}),
    (lambda x: F.elu(x, 0.7), "ELU", {"alpha": 0.7, "inplace": False}),
    (lambda x: F.celu(x, alpha=2.0), "CELU", {"alpha": 2.0, "inplace": False}),
    (lambda x: F.selu(x), "SELU", {"inplace": False}),
    (lambda x: F.gelu(x, approximate="tanh"), "GELU", {"approximate": "tanh"}),
    (lambda x: F.gelu(x), "GELU", {"approximate": "none"}),
    (lambda x: F.silu(x), "SiLU", {"inplace": False}),
    (lambda x: F.mish(x), "Mish", {"inplace": False}),
    (lambda x: F.hardswish(x), "Hardswish", {"inplace": False}),
    (lambda x: F.hardsigmoid(x), "Hardsigmoid", {"inplace": False}),
    (lambda x: F.softplus(x, 2, 5), "Softplus", {"beta": 2.0, "threshold": 5.0}),
    (lambda x: F.softsign(x), "Softsign", {}),
    (lambda x: F.threshold(x, 0.5, -1.0), "Threshold",
     {"threshold": 0.5, "value": -1.0, "inplace": False}),
    (lambda x: torch.tanh(x), "Tanh", {}),
    (lambda x: x.tanh(), "Tanh", {}),
    (lambda x: torch.sigmoid(x), "Sigmoid", {}),
    (lambda x: F.relu(x, inplace=True), "ReLU", {"inplace": True}),
    (lambda x: x.relu_(), "ReLU", {"inplace": True}),
    (lambda x: F.softmax(x, -1), "Softmax", {"dim": -1}),
    (lambda x: F.log_softmax(x, dim=1), "LogSoftmax", {"dim": 1}),
    (lambda x: F.softmin(x, 2), "Softmin", {"dim": 2}),
    (lambda x: x.log_softmax(0), "LogSoftmax", {"dim": 0}),
    (lambda x: F.avg_pool2d(x, 3, 2, 1, True, False, 2), "AvgPool2d",
     {"kernel_size": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True,
      "count_include_pad": False, "divisor_override": 2}),
    (lambda x: F.adaptive_avg_pool2d(x, (None, 2)), "AdaptiveAvgPool2d",
     {"output_size": [None, 2]}),
    (lambda x: F.adaptive_max_pool2d(x, 3), "AdaptiveMaxPool2d",
     {"output_size": 3, "return_indices": False}),
    (lambda x: F.max_pool2d(x, 2, 1), "MaxPool2d",
     {"kernel_size": [2, 2], "stride": [1, 1], "padding": [0, 0], "dilation": [1, 1],
      "ceil_mode": False, "return_indices": False}),
]


@test
def every_functional_form_mapped():
    for fn, op, params in FUNCTIONS:
        model, _ = export_tmp(Lambda(fn, nn.Conv2d(3, 4, 3)))
        last = model["nodes"][-1]
        assert (last["op"], last["params"]) == (op, params), (op, params, last)


@test
def functional_prelu_writes_its_weight():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.slope = nn.Parameter(torch.tensor([0.1, 0.2, 0.3, 0.4]))

        def forward(self, x):
            return F.prelu(self.conv(x), self.slope)

    model, path = export_tmp(M())
    last = model["nodes"][-1]
    assert (last["op"], last["params"]) == ("PReLU", {"num_parameters": 4}), last
    state = cnnrt_common.read_state_dict(path)
    assert np.array_equal(state["prelu.weight"], np.float32([0.1, 0.2, 0.3, 0.4])), state


@test
def batchnorm_writes_its_statistics_not_num_batches_tracked():
    for affine, track in [(True, True), (False, True), (True, False), (False, False)]:
        module = nn.Sequential(nn.Conv2d(3, 4, 3),
                               nn.BatchNorm2d(4, affine=affine, track_running_stats=track))
        module.train()   # export switches to eval mode (and back)
        model, _ = export_tmp(module)
        assert module.training
        node = model["nodes"][-1]
        expected = ({"weight", "bias"} if affine else set()) \
            | ({"running_mean", "running_var"} if track else set())
        assert set(node.get("weights", {})) == expected, (affine, track, node)
        assert node["params"]["affine"] == affine
        assert node["params"]["track_running_stats"] == track


@test
def noops_skipped_or_kept():
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Identity(), nn.Dropout(0.3), nn.Dropout2d(),
                           nn.AlphaDropout(0.1), nn.ReLU())
    model, _ = export_tmp(module)
    assert [n["op"] for n in model["nodes"]] == ["Conv2d", "ReLU"], model["nodes"]
    model, _ = export_tmp(module, keep_noops=True)
    ops = [(n["op"], n["params"]) for n in model["nodes"]]
    assert ops == [("Conv2d", ops[0][1]), ("Identity", {}),
                   ("Dropout", {"p": 0.3, "inplace": False}),
                   ("Dropout2d", {"p": 0.5, "inplace": False}),
                   ("AlphaDropout", {"p": 0.1, "inplace": False}),
                   ("ReLU", {"inplace": False})], ops


@test
def file_layout_follows_format():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 5, 3, padding="same", bias=False),
                                          nn.Dropout(), nn.ReLU(),
                                          nn.Sequential(nn.Conv2d(5, 3, (1, 3), stride=2)))
            self.fc = nn.Linear(3 * 4 * 3, 7)

        def forward(self, x):
            return self.fc(self.features(x).flatten(1))

    module = M()
    model, path = export_tmp(module, labels=list("abcdefg"),
                             preprocess={"color": "rgb", "mean": [0.5] * 3, "std": [0.25] * 3})
    assert model["format"] == "cnnrt" and model["version"] == 1
    assert model["weights"] == "model.bin" and model["output"] == "fc"
    assert model["input"] == {"name": "input", "shape": [1, 3, 8, 8]}
    assert model["preprocess"]["scale"] == 1 / 255
    names = [n["name"] for n in model["nodes"]]
    assert names == ["features.0", "features.2", "features.3.0", "flatten", "fc"], names
    assert [n["inputs"] for n in model["nodes"]] == [["input"], ["features.0"], ["features.2"],
                                                     ["features.3.0"], ["flatten"]]
    assert model["nodes"][0]["params"]["padding"] == "same"
    assert "bias" not in model["nodes"][0]["weights"]
    assert json.loads(path.read_text()) == model

    blob = path.with_suffix(".bin").read_bytes()
    refs = sorted((ref["offset"], 4 * int(np.prod(ref["shape"])))
                  for n in model["nodes"] for ref in n.get("weights", {}).values())
    assert all(offset % 64 == 0 for offset, _ in refs), refs
    for (offset, size), (next_offset, _) in zip(refs, refs[1:]):
        assert set(blob[offset + size:next_offset]) <= {0}, "padding is not zero"
    assert refs[-1][0] + refs[-1][1] <= len(blob)
    state = cnnrt_common.read_state_dict(path)
    expected = module.state_dict()
    assert sorted(state) == sorted(expected)
    for key, value in state.items():
        assert np.array_equal(value, expected[key].numpy()), key


@test
def shared_module_gets_unique_names():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    model, _ = export_tmp(M())
    names = [n["name"] for n in model["nodes"]]
    assert names == ["conv", "conv_1"], names
    assert model["nodes"][0]["weights"] == model["nodes"][1]["weights"]


def main():
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)   # implicit softmax dims
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
