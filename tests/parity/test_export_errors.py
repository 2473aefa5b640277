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
    e = export_error(Lambda(lambda x: torch.tanh(x) + 1, nn.Conv2d(3, 3, 1)))
    assert_in("tanh (torch.tanh)", str(e))
    assert_in("add (_operator.add)", str(e))


@test
def reshape_not_flatten_rejected():
    cases = {
        "wrong feature count": lambda x: x.view(-1, 16),            # 4*6*6 = 144
        "hard-coded batch": lambda x: x.view(1, -1),
        "3-D": lambda x: x.view(x.size(0), 4, -1),
        "size(1) as batch": lambda x: x.reshape(x.size(1), -1),
        "permuting view": lambda x: x.view(x.size(0), 36, 4),
        "batch of a flattened tensor": lambda x: x.flatten(0).view(x.flatten(0).size(0), -1),
        "after flatten(0)": lambda x: x.flatten(0, 1).view(-1, 36),
    }
    for name, fn in cases.items():
        e = export_error(Lambda(fn, nn.Conv2d(3, 4, 3)))
        assert "flatten(1)" in str(e) or "not supported" in str(e), f"{name}: {e}"


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
             lambda x: x.contiguous().flatten(1), batch_first]
    for fn in forms:
        model, _ = export_tmp(Lambda(fn, nn.Conv2d(3, 4, 3)))
        last = model["nodes"][-1]
        assert last["op"] == "Flatten", model["nodes"]
        assert last["params"] == {"start_dim": 1, "end_dim": -1}, last


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
