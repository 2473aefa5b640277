"""The benchmark models: name, PyTorch module factory, input shape, batch sizes.

torchvision's resnet18, mobilenet_v2 and squeezenet1_1 are DAGs (residual adds,
concatenations) exported with random weights; latency does not depend on the values.

Shipped models are read from models/; the others are exported once into the build folder
(build/bench/) by bench/run_bench.py and reused on later runs.
"""

import sys
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import cnnrt_common  # noqa: E402
from export_tudui import make_tudui  # noqa: E402
from train_fashion_mnist import FashionCNN  # noqa: E402


def fashion_module():
    """The shipped Fashion-MNIST model with its trained weights."""
    module = FashionCNN().eval()
    state = cnnrt_common.read_state_dict(ROOT / "models/fashion_mnist/model.json")
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return module


def vgg11_features():
    """torchvision's VGG-11 feature extractor (8 3x3 convs, 5 max pools), seed 0."""
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.vgg11().features.eval()


def randomize_batchnorm(module):
    """Non-trivial BatchNorm statistics and scales (fresh ones are the identity), so that
    folding BatchNorm into the convolutions costs what it costs on a trained model."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    return module


def mobilenet_stack():
    """A MobileNet-v1 style stack: 3x3 stride-2 conv, then 13 depthwise/pointwise pairs,
    each conv followed by BatchNorm2d and ReLU (seed 0, non-trivial BN statistics)."""
    torch.manual_seed(0)

    def pair(cin, cout, stride):
        return [nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True)]

    widths = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1),
              (256, 512, 2)] + [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True)]
    for cin, cout, stride in widths:
        layers += pair(cin, cout, stride)
    return randomize_batchnorm(nn.Sequential(*layers).eval())


def torchvision_model(name):
    """A torchvision classifier with random weights (seed 0; nothing is downloaded) and
    non-trivial BatchNorm statistics, in eval mode: a factory for MODELS."""
    def factory():
        import torchvision
        torch.manual_seed(0)
        return randomize_batchnorm(getattr(torchvision.models, name)().eval())
    factory.__name__ = name
    return factory


# name, shipped model.json (None: exported), factory, input shape (batch 1), batch sizes
MODELS = [
    ("tudui_cifar10", ROOT / "models/tudui_cifar10/model.json", make_tudui, (1, 3, 32, 32),
     (1, 64)),
    ("fashion_mnist", ROOT / "models/fashion_mnist/model.json", fashion_module, (1, 1, 28, 28),
     (1, 64)),
    ("vgg11_features", None, vgg11_features, (1, 3, 224, 224), (1,)),
    ("mobilenet_stack", None, mobilenet_stack, (1, 3, 224, 224), (1,)),
    ("resnet18", None, torchvision_model("resnet18"), (1, 3, 224, 224), (1,)),
    ("mobilenet_v2", None, torchvision_model("mobilenet_v2"), (1, 3, 224, 224), (1,)),
    ("squeezenet1_1", None, torchvision_model("squeezenet1_1"), (1, 3, 224, 224), (1,)),
]
