#!/usr/bin/python3
"""DAG export: what tools/cnnrt_export.py writes for graphs that are not chains, and
cnnrt against PyTorch on them (batch 1 and 2), including random DAGs.

    /usr/bin/python3 tests/zoo/test_dag_export.py [--cnnrt PATH] [--random N]

- structure: residual Add, chunk/split -> Slice per piece, channel shuffle -> Reshape +
  Permute + Reshape, squeeze-excitation gate -> Mul with the full-size operand first,
  x.mean([2, 3]) -> Mean, StochasticDepth / Dropout skipped, names qualified by module,
  in-place operators (x += y, F.relu(x, inplace=True)) read by later nodes;
- errors: every unsupported node at once, each named with its op and source module;
  numbers as operands, more than 64 concatenated tensors, a split of the batch dim, a
  tuple output, integer indexing, an in-place change seen through a view;
- live: each construct and random DAGs (multi-consumer tensors, broadcasts, concats,
  slices, in-place ops on shared tensors) through `cnnrt --input-f32` at batch 1 and 2,
  max error <= 1e-4 of max |torch|, and the arena plan checked for overlapping live tensors.

Prints one line per test and "N passed, N failed"; exit status 1 on any failure.
"""

import argparse
import random
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tools"))
sys.path.insert(0, str(HERE))
import cnnrt_common  # noqa: E402
import run_zoo  # noqa: E402
from cnnrt_export import UnsupportedModelError, export  # noqa: E402

TESTS = []
TOLERANCE = 1e-4
X = torch.zeros(1, 8, 6, 6)
CNNRT = None           # set by main()
WORKDIR = None


def test(fn):
    TESTS.append(fn)
    return fn


def export_tmp(module, x=X):
    path = Path(tempfile.mkdtemp(prefix="dag_", dir=WORKDIR)) / "model.json"
    return export(module.eval(), x, path), path


def export_error(module, x=X):
    try:
        export_tmp(module, x)
    except UnsupportedModelError as e:
        return e
    raise AssertionError("expected UnsupportedModelError")


def nodes_by_op(model, op):
    return [n for n in model["nodes"] if n["op"] == op]


def assert_in(needle, haystack):
    assert needle in haystack, f"{needle!r} not in:\n{haystack}"


def parity(module, channels=8, size=6, label=""):
    """Export, run at batch 1 and 2, compare with torch and check the arena plan."""
    module = module.eval()
    model, path = export_tmp(module, torch.zeros(1, channels, size, size))
    rng = np.random.default_rng(7)
    for batch in (1, 2):
        x = rng.standard_normal((batch, channels, size, size), dtype=np.float32)
        with torch.no_grad():
            expected = module(torch.from_numpy(x.copy())).numpy()
        actual = cnnrt_common.run_raw(CNNRT, path, x)
        err = run_zoo.relative_error(expected, actual)
        assert err <= TOLERANCE, f"{label} batch {batch}: relative error {err:.3g}"
    rows, _, _ = run_zoo.summary(CNNRT, path)
    problems = run_zoo.plan_problems(model, rows)
    assert not problems, f"{label}: arena plan: {problems[:3]}"
    return model


# --------------------------------------------------------------------------- modules

def conv(cin, cout, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(conv(8, 8), nn.Conv2d(8, 8, 3, padding=1))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.body(x)
        out += x
        return self.relu(out)


class Gate(nn.Module):
    """Squeeze-excitation as torchvision writes it: scale * input."""

    def __init__(self, c=8):
        super().__init__()
        self.fc1 = nn.Conv2d(c, 4, 1)
        self.fc2 = nn.Conv2d(4, c, 1)

    def forward(self, x):
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return s * x


def channel_shuffle(x, groups):
    batchsize, num_channels, height, width = x.size()
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class Shuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch = conv(4, 4, 1)

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat((x1, self.branch(x2)), dim=1), 2)


class Lambda(nn.Module):
    def __init__(self, fn, *layers):
        super().__init__()
        self.fn = fn
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        return self.fn(x, *self.layers)


# --------------------------------------------------------------------------- structure

@test
def residual_add_reads_both_branches():
    model, _ = export_tmp(Residual())
    (add,) = nodes_by_op(model, "Add")
    assert add["name"] == "iadd", add
    assert add["inputs"] == ["body.1", "input"], add


@test
def functional_nodes_named_after_their_module():
    model, _ = export_tmp(nn.Sequential(Residual(), Residual()))
    names = [n["name"] for n in model["nodes"]]
    assert "0.iadd" in names and "1.iadd" in names, names


@test
def chunk_and_split_become_slices():
    def fn(x):
        a, b = x.chunk(2, dim=1)
        c, d, e = torch.split(x, [2, 5, 1], dim=1)
        return torch.cat([b, a, e, d, c], 1)
    model, _ = export_tmp(Lambda(fn))
    bounds = [(n["params"]["dim"], n["params"]["start"], n["params"]["end"])
              for n in nodes_by_op(model, "Slice")]
    assert bounds == [(1, 0, 4), (1, 4, 8), (1, 0, 2), (1, 2, 7), (1, 7, 8)], bounds
    (cat,) = nodes_by_op(model, "Concat")
    assert len(cat["inputs"]) == 5 and cat["params"] == {"dim": 1}, cat


@test
def channel_shuffle_is_reshape_permute_reshape():
    model, _ = export_tmp(Shuffle())
    ops = [n["op"] for n in model["nodes"]][-3:]
    assert ops == ["Reshape", "Permute", "Reshape"], ops
    first, perm, last = model["nodes"][-3:]
    assert first["params"]["shape"] == [-1, 2, 4, 6, 6], first
    assert perm["params"]["dims"] == [0, 2, 1, 3, 4], perm
    assert last["params"]["shape"] == [-1, 8, 6, 6], last


@test
def gate_puts_the_full_size_operand_first():
    model, _ = export_tmp(Gate())
    (mul,) = nodes_by_op(model, "Mul")
    assert mul["inputs"] == ["input", "sigmoid"], mul


@test
def spatial_mean_and_skipped_noops():
    from torchvision.ops import StochasticDepth
    model, _ = export_tmp(Lambda(lambda x, sd, do: do(sd(x)).mean([2, 3]),
                                 StochasticDepth(0.2, "row"), nn.Dropout(0.3)))
    assert [n["op"] for n in model["nodes"]] == ["Mean"], model["nodes"]
    assert model["nodes"][0]["params"] == {"dim": [2, 3], "keepdim": False}


@test
def inplace_change_is_seen_by_later_readers():
    model, _ = export_tmp(Lambda(changed_in_place, nn.Conv2d(8, 8, 1)))
    by_name = {n["name"]: n for n in model["nodes"]}
    assert by_name["relu"]["inputs"] == ["layers.0"], by_name["relu"]
    assert by_name["add_"]["inputs"] == ["relu", "mul"], by_name["add_"]
    assert by_name["cat"]["inputs"] == ["add_", "add_", "add_", "mul"], by_name["cat"]


def changed_in_place(x, c):
    y = c(x)
    z = y * y                       # reads y before the change
    r = F.relu(y, inplace=True)     # y is r from now on
    s = y.add_(z)                   # reads the relu'd y; y, r and s are all s now
    return torch.cat([r, s, y, z], 1)


def swapped_in_place(x, c1, c2):
    a, b = c1(x), c2(x)
    s = a.add_(b)           # written Add(b, a) (b is not read again), but a is what changes
    return torch.cat([a, s], 1)


@test
def reordered_inplace_operands_still_change_the_first():
    model, _ = export_tmp(Lambda(swapped_in_place, nn.Conv2d(8, 8, 1), nn.Conv2d(8, 8, 1)))
    by_name = {n["name"]: n for n in model["nodes"]}
    assert by_name["add_"]["inputs"] == ["layers.1", "layers.0"], by_name["add_"]
    assert by_name["cat"]["inputs"] == ["add_", "add_"], by_name["cat"]


@test
def unused_inplace_result_is_an_error_only_when_it_matters():
    def used(x, c):
        y = c(x)
        F.relu(y, inplace=True)
        return y
    assert_in("in-place", str(export_error(Lambda(used, nn.Conv2d(8, 8, 1)))))
    # an unused branch ending in ReLU(inplace=True) changes nothing the output reads
    model, _ = export_tmp(Lambda(lambda x, c, d: (c(x), d(x))[1], conv(8, 8), conv(8, 8)))
    assert [n["name"] for n in model["nodes"]] == ["layers.1.0", "layers.1.1", "layers.1.2"]


@test
def slicing_and_narrow():
    model, _ = export_tmp(Lambda(lambda x: torch.cat([x[:, 2:6, ::2], x.narrow(1, 0, 4)[:, :, :3]],
                                                      1)))
    params = [n["params"] for n in nodes_by_op(model, "Slice")]
    assert params == [{"dim": 1, "start": 2, "end": 6}, {"dim": 2, "step": 2},
                      {"dim": 1, "start": 0, "end": 4}, {"dim": 2, "end": 3}], params


# --------------------------------------------------------------------------- errors

class Block(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 1)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.conv(x))


@test
def all_problems_named_with_op_and_source_module():
    model = nn.Sequential(Block(lambda x: x * 0.5),
                          Block(lambda x: F.interpolate(x, scale_factor=1.0)),
                          nn.Sequential(nn.LayerNorm(6)),
                          Block(lambda x: torch.erf(x) + x))
    e = export_error(model)
    text = str(e)
    assert len(e.problems) == 4, e.problems
    assert_in("mul (_operator.mul): operand 0.5, a constant", text)
    assert_in("[in 0 (Block)]", text)
    assert_in("interpolate (torch.nn.functional.interpolate): function not supported by "
              "cnnrt [in 1 (Block)]", text)
    assert_in("2.0 (LayerNorm): layer type not supported by cnnrt", text)
    assert_in("erf (torch.erf): function not supported by cnnrt [in 3 (Block)]", text)


@test
def parameter_operand_rejected():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(8, 1, 1))

        def forward(self, x):
            return x + self.scale
    assert_in("the parameter or buffer scale", str(export_error(M())))


@test
def too_many_concatenated_tensors_rejected():
    assert_in("at most 64", str(export_error(Lambda(lambda x: torch.cat([x] * 65, 1)))))


@test
def batch_dim_split_rejected():
    def fn(x):
        a, b = x.chunk(2, 0)
        return a + b
    assert_in("change with the batch size", str(export_error(Lambda(fn), torch.zeros(2, 8, 6, 6))))


@test
def tuple_output_and_integer_index_rejected():
    assert_in("single tensor", str(export_error(Lambda(lambda x: x.chunk(2, 1)))))
    assert_in("only slices", str(export_error(Lambda(lambda x: x[:, 0]))))


@test
def inplace_change_through_a_view_rejected():
    def fn(x, c):
        y = c(x)
        a, b = y.chunk(2, 1)
        r = F.relu(y, inplace=True)      # changes a and b in PyTorch
        return torch.cat([a, b, r], 1)
    assert_in("shares its storage", str(export_error(Lambda(fn, nn.Conv2d(8, 8, 1)))))


# --------------------------------------------------------------------------- live

@test
def live_constructs():
    from torchvision.ops import StochasticDepth
    cases = {
        "residual": Residual(),
        "gate": Gate(),
        "shuffle": Shuffle(),
        "inplace": Lambda(lambda x, c: torch.cat([F.relu(c(x), inplace=True).add_(x), x], 1),
                          nn.Conv2d(8, 8, 1)),
        "changed_in_place": Lambda(changed_in_place, nn.Conv2d(8, 8, 1)),
        "swapped_in_place": Lambda(swapped_in_place, nn.Conv2d(8, 8, 1), nn.Conv2d(8, 8, 1)),
        "slices": Lambda(lambda x: torch.cat([x[:, 2:6, :, ::2], x.narrow(1, 0, 4)[..., 1:4]],
                                             1)),
        "broadcast": Lambda(lambda x: (x - x.mean([2, 3], keepdim=True))
                            / (x.mean(1, keepdim=True).sigmoid() + x[:, :1, :1, :].sigmoid())),
        "split_sections": Lambda(split_sections),
        "squeeze_unsqueeze": Lambda(lambda x, fc: fc(x.mean([2, 3])).unsqueeze(-1)
                                    .unsqueeze(-1) * x, nn.Linear(8, 8)),
        "stochastic_depth": Lambda(lambda x, c, sd: sd(c(x)) + x, conv(8, 8),
                                   StochasticDepth(0.5, "row")),
    }
    for label, module in cases.items():
        torch.manual_seed(0)
        for p in module.parameters():
            nn.init.uniform_(p, -0.5, 0.5)
        parity(module, label=label)


def split_sections(x):
    a, b = torch.split(x, [3, 5], 1)
    return torch.cat([b, a], 1) * x.permute(0, 1, 3, 2)


class RandomDag(nn.Module):
    """A random program over a growing list of [N, C, H, W] tensors: each step reads one to
    four earlier tensors (so tensors get several readers, some long after they were made)
    and appends its result. In-place steps change an earlier tensor (never one with a view
    alive, never the input) and so also change what later steps read."""

    OPS = ["conv", "add", "mul_gate", "cat_conv", "chunk_swap", "shuffle", "relu_",
           "iadd", "sub", "div_gate", "mean_sub"]

    def __init__(self, seed, steps, c=8):
        super().__init__()
        rng = random.Random(seed)
        self.program, self.convs = [], nn.ModuleList()
        fresh = []    # tensors that no view shares: in-place steps may change them
        for t in range(1, steps + 1):
            op = rng.choice(self.OPS)
            if op in ("relu_", "iadd") and not fresh:
                op = "add"
            pick = [rng.randrange(t) for _ in range(4)]
            if op in ("relu_", "iadd"):
                pick[0] = rng.choice(fresh)
            if op == "conv":
                self.convs.append(conv(c, c, rng.choice([1, 3])))
            elif op == "cat_conv":
                self.convs.append(nn.Conv2d(c * rng.randint(2, 4), c, 1))
            self.program.append((op, pick, len(self.convs) - 1))
            if op not in ("chunk_swap", "shuffle"):
                fresh.append(t)
        # in-place results are read (an unused one that matters is an export error)
        self.output_picks = [rng.randrange(steps + 1) for _ in range(3)] + [
            t for t, (op, _, _) in enumerate(self.program, 1) if op in ("relu_", "iadd")]

    def forward(self, x):
        vals = [x]
        for op, (a, b, c, d), k in self.program:
            va, vb = vals[a], vals[b]
            if op == "conv":
                y = self.convs[k](va)
            elif op == "add":
                y = va + vb
            elif op == "sub":
                y = torch.sub(va, vb)
            elif op == "mul_gate":
                y = torch.sigmoid(F.adaptive_avg_pool2d(vb, 1)) * va
            elif op == "div_gate":
                y = va / torch.sigmoid(vb.mean([2, 3], keepdim=True))
            elif op == "mean_sub":
                y = va - va.mean(1, keepdim=True)
            elif op == "cat_conv":
                y = self.convs[k](torch.cat([vals[i] for i in (a, b, c, d)[:self.convs[k]
                                                                           .in_channels // 8]],
                                            1))
            elif op == "chunk_swap":
                p, q = va.chunk(2, dim=1)
                y = torch.cat((q, p), 1)
            elif op == "shuffle":
                y = channel_shuffle(va, 4)
            elif op == "relu_":
                y = F.relu(va, inplace=True)
            else:   # iadd
                va += vb
                y = va
            vals.append(y)
        return torch.cat([vals[i] for i in self.output_picks], 1)


@test
def live_random_dags():
    for seed in range(RANDOM_DAGS):
        torch.manual_seed(seed)
        module = RandomDag(seed, steps=6 + seed % 10)
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        parity(module, label=f"random DAG seed {seed} ({[p[0] for p in module.program]})")


RANDOM_DAGS = 40


def main():
    global CNNRT, WORKDIR, RANDOM_DAGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cnnrt", default=None)
    parser.add_argument("--random", type=int, default=RANDOM_DAGS, help="random DAGs")
    args = parser.parse_args()
    CNNRT = cnnrt_common.find_cnnrt(args.cnnrt)
    RANDOM_DAGS = args.random
    warnings.filterwarnings("ignore")
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="cnnrt_dag_") as tmp:
        WORKDIR = tmp
        for fn in TESTS:
            try:
                fn()
                print(f"ok   {fn.__name__}", flush=True)
                passed += 1
            except Exception:
                print(f"FAIL {fn.__name__}\n{traceback.format_exc()}", flush=True)
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
