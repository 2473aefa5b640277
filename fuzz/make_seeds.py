#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/{model,run,image}/seed_*).

Model seeds: the shipped models' model.json files, and one small valid model per op and
parameter family (Conv2d in every padding mode, grouped and depthwise, pools with
ceil_mode, adaptive pools with null entries, views, every activation, softmax dims,
BatchNorm2d folded and standalone, branches through "inputs"...). Their weights point into
the blob the fuzz targets synthesise (fuzz/fuzz_common.h: 1 MiB unless the input says
otherwise). Image seeds: the shipped sample JPEGs and tests/images/*.

Reproducers the fuzzers find are added next to the seeds by hand (crash-*, timeout-*,
named after what they found); this script never deletes anything but seed_* files.
"""
import glob
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOB_BYTES = 1 << 20


class Model:
    def __init__(self, shape, preprocess=None):
        self.shape = shape
        self.nodes = []
        self.offset = 0
        self.preprocess = preprocess
        self.labels = None
        self.output = None

    def weight(self, *dims):
        n = 1
        for d in dims:
            n *= d
        ref = {"offset": self.offset, "shape": list(dims)}
        self.offset += (4 * n + 63) // 64 * 64
        assert self.offset <= BLOB_BYTES
        return ref

    def add(self, name, op, params=None, weights=None, inputs=None):
        node = {"name": name, "op": op}
        if inputs is not None:
            node["inputs"] = inputs
        if params is not None:
            node["params"] = params
        if weights:
            node["weights"] = weights
        self.nodes.append(node)

    def conv(self, name, cin, cout, k, groups=1, bias=True, **params):
        p = {"in_channels": cin, "out_channels": cout, "kernel_size": k, "groups": groups,
             "bias": bias}
        p.update(params)
        kh, kw = (k, k) if isinstance(k, int) else k
        w = {"weight": self.weight(cout, cin // groups, kh, kw)}
        if bias:
            w["bias"] = self.weight(cout)
        self.add(name, "Conv2d", p, w)

    def linear(self, name, fin, fout, bias=True, inputs=None):
        w = {"weight": self.weight(fout, fin)}
        if bias:
            w["bias"] = self.weight(fout)
        self.add(name, "Linear", {"in_features": fin, "out_features": fout, "bias": bias}, w,
                 inputs)

    def json(self):
        doc = {"format": "cnnrt", "version": 1}
        if self.offset:
            doc["weights"] = "model.bin"
        doc["input"] = {"name": "input", "shape": self.shape}
        if self.output:
            doc["output"] = self.output
        if self.preprocess:
            doc["preprocess"] = self.preprocess
        if self.labels:
            doc["labels"] = self.labels
        doc["nodes"] = self.nodes
        return json.dumps(doc, separators=(",", ":")).encode()


def models():
    out = {}

    m = Model([1, 3, 8, 8], {"color": "rgb", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.2, 0.2]})
    m.conv("c1", 3, 8, 3, padding=1)
    m.add("bn", "BatchNorm2d", {"num_features": 8}, {k: m.weight(8) for k in
                                                      ("weight", "bias", "running_mean",
                                                       "running_var")})
    m.add("r", "ReLU")
    m.add("p", "MaxPool2d", {"kernel_size": 2})
    m.add("f", "Flatten")
    m.linear("fc", 128, 4)
    m.labels = ["a", "b", "c", "d"]
    out["conv_bn_relu_pool_linear"] = m

    for mode in ("zeros", "reflect", "replicate", "circular"):
        m = Model([1, 2, 7, 9])
        m.conv("c", 2, 4, [3, 2], padding=[1, 2], stride=[2, 1], dilation=[1, 2],
               padding_mode=mode)
        out["conv_" + mode] = m

    m = Model([2, 4, 6, 6])
    m.conv("dw", 4, 8, 3, groups=4, padding="same")
    m.conv("pw", 8, 16, 1, bias=False)
    m.add("r6", "ReLU6")
    out["conv_depthwise_pointwise"] = m

    m = Model([1, 8, 10, 10])
    m.conv("w", 8, 8, 3, padding=1)
    m.conv("g", 8, 8, 3, groups=2, padding="valid")
    out["conv_winograd_grouped"] = m

    m = Model([1, 3, 9, 11])
    m.add("mp", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1,
                              "ceil_mode": True})
    m.add("ap", "AvgPool2d", {"kernel_size": [2, 3], "stride": 1, "padding": [1, 1],
                              "ceil_mode": True, "count_include_pad": False})
    m.add("ap2", "AvgPool2d", {"kernel_size": 2, "divisor_override": 3})
    out["pools"] = m

    m = Model([1, 3, 9, 11])
    m.add("mpd", "MaxPool2d", {"kernel_size": 2, "dilation": 2})
    m.add("aa", "AdaptiveAvgPool2d", {"output_size": [None, 3]})
    m.add("am", "AdaptiveMaxPool2d", {"output_size": 2})
    m.add("f", "Flatten", {"start_dim": 1, "end_dim": -1})
    out["adaptive_pools"] = m

    m = Model([2, 3, 4, 4])
    m.add("rs", "Reshape", {"shape": [-1, 12, 4]})
    m.add("uf", "Unflatten", {"dim": 1, "unflattened_size": [3, -1]})
    m.add("id", "Identity")
    m.add("d", "Dropout", {"p": 0.3})
    m.add("d2", "Dropout2d", {"p": 0.1, "inplace": True})
    m.add("ad", "AlphaDropout")
    m.add("f0", "Flatten", {"start_dim": 0})
    out["views"] = m

    acts = [("ReLU", None), ("Sigmoid", None), ("Tanh", None), ("SELU", None),
            ("SiLU", None), ("Mish", None), ("Hardswish", None), ("Hardsigmoid", None),
            ("Softsign", None), ("LeakyReLU", {"negative_slope": 0.2}),
            ("ELU", {"alpha": 0.5}), ("CELU", {"alpha": 2.0}), ("GELU", {"approximate": "tanh"}),
            ("GELU", {"approximate": "none"}), ("Hardtanh", {"min_val": -2.0, "max_val": 3.0}),
            ("Softplus", {"beta": 2.0, "threshold": 10.0}),
            ("Threshold", {"threshold": 0.1, "value": -1.0})]
    m = Model([1, 3, 5, 5])
    for i, (op, p) in enumerate(acts):
        m.add("a%d" % i, op, p)
    m.add("pr", "PReLU", {"num_parameters": 3}, {"weight": m.weight(3)})
    m.add("pr1", "PReLU", None, {"weight": m.weight(1)})
    out["activations"] = m

    m = Model([2, 3, 4, 5])
    m.add("s", "Softmax", {"dim": 1})
    m.add("ls", "LogSoftmax", {"dim": -1})
    m.add("sm", "Softmin", {"dim": 0})
    out["softmax_dims"] = m

    m = Model([1, 4, 6, 6])
    m.add("bn", "BatchNorm2d", {"num_features": 4, "affine": False, "track_running_stats": False})
    m.add("bn2", "BatchNorm2d", {"num_features": 4, "eps": 1e-3},
          {k: m.weight(4) for k in ("weight", "bias", "running_mean", "running_var")})
    out["batchnorm_standalone"] = m

    m = Model([1, 2, 6, 6])  # a branch: two readers of one value, output in the middle
    m.conv("c", 2, 4, 3)
    m.add("r1", "ReLU", inputs=["c"])
    m.add("s1", "Sigmoid", inputs=["c"])
    m.add("f", "Flatten", inputs=["s1"])
    m.linear("l", 64, 5, inputs=["f"])
    m.add("sm", "Softmax", {"dim": 1})
    m.output = "sm"
    out["branches"] = m

    m = Model([2, 4, 6, 6])  # the DAG ops: broadcasting arithmetic, concat, slice, permute
    m.conv("c", 4, 4, 1)
    m.add("a", "Add", inputs=["c", "input"])
    m.add("m", "Mean", {"dim": [2, 3], "keepdim": True}, inputs=["a"])
    m.add("mul", "Mul", inputs=["a", "m"])
    m.add("s", "Slice", {"dim": 2, "start": -5, "end": 100, "step": 2}, inputs=["mul"])
    m.add("s2", "Slice", {"dim": 3, "start": 0, "end": 3})
    m.add("d", "Div", inputs=["s2", "m"])
    m.add("sub", "Sub", inputs=["d", "m"])
    m.add("cat", "Concat", {"dim": -1}, inputs=["sub", "sub", "d"])
    m.add("p", "Permute", {"dims": [0, 2, 3, 1]})
    m.add("mean", "Mean", {"dim": -1})
    out["dag_ops"] = m

    m = Model([3, 5, 1, 1])
    m.add("f", "Flatten")
    m.linear("l1", 5, 7, bias=False)
    m.linear("l2", 7, 2)
    m.add("u", "Unflatten", {"dim": -1, "unflattened_size": [1, 2]})
    out["linear_chain"] = m
    return out


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    corpus = os.path.join(ROOT, "fuzz", "corpus")
    for kind in ("model", "run", "image"):
        os.makedirs(os.path.join(corpus, kind), exist_ok=True)
        for old in glob.glob(os.path.join(corpus, kind, "seed_*")):
            os.remove(old)
    seeds = {name: m.json() for name, m in models().items()}
    for model_dir in sorted(glob.glob(os.path.join(ROOT, "models", "*"))):
        with open(os.path.join(model_dir, "model.json"), "rb") as f:
            seeds["shipped_" + os.path.basename(model_dir)] = f.read()
    for name, data in seeds.items():
        for kind in ("model", "run"):
            write(os.path.join(corpus, kind, "seed_%s.json" % name), data)
    # one seed with the blob-size trailer: a blob cut short (every weight past its end)
    write(os.path.join(corpus, "model", "seed_short_blob.json"),
          seeds["conv_bn_relu_pool_linear"] + b"\0" + (200).to_bytes(4, "little"))
    images = sorted(glob.glob(os.path.join(ROOT, "models", "*", "samples", "*.jpg")) +
                    glob.glob(os.path.join(ROOT, "tests", "images", "*")))
    for path in images:
        parent = os.path.basename(os.path.dirname(path))
        shutil.copyfile(path, os.path.join(corpus, "image", "seed_%s_%s" % (
            parent, os.path.basename(path))))
    print("seeds: %d model, %d image" % (len(seeds) + 1, len(images)))


if __name__ == "__main__":
    sys.exit(main())
