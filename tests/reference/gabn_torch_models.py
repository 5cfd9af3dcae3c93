"""PyTorch definitions of GABN Studio's built-in networks, for reference
fixtures (tests/reference/make_fixtures.py, the GABN engineer's Grad-CAM
fixtures) and for the benchmark (bench/torch_bench.py).

Importable on its own (needs torch and numpy, nothing else):

    import sys; sys.path.insert(0, "tests/reference")
    import gabn_torch_models as gtm
    model = gtm.build("gabn-s", n_classes=10)     # nn.Module, PyTorch names
    gtm.fixture_init_(model, seed=1)              # the C tests' weights
    a = model.forward_backbone(x)                 # feature maps A
    e = model.forward_head(a)                     # embeddings (before L2)
    loss = gtm.margin_loss(e, model.arcface.weight, labels)   # ArcFace CE
    y = gtm.cosine_to_class(e, model.arcface.weight, classes) # GAM target
    gtm.save_safetensors("m.safetensors", gtm.state_dict_tensors(model),
                         {"arch": "gabn-s"})
    tensors, metadata = gtm.load_safetensors("m.safetensors")

Parameter names and state_dict order are exactly those of the C engine
(DESIGN.md section 4): gabn-s = backbone.{0..20}, head.{1,2}, arcface.weight;
iresnet18/34/50 = InsightFace arcface_torch's backbones/iresnet.py layout.
The safetensors package is not in Debian, so the format (8-byte header
length, JSON header, raw little-endian data) is read and written here.
"""
import json
import math
import re
import struct
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ARCHITECTURES = ("gabn-s", "iresnet18", "iresnet34", "iresnet50")


class MarginHead(nn.Module):
    """The class centres W (classes x dim), named `arcface.weight`;
    initialised N(0, 0.01^2) as arcface_torch does."""

    def __init__(self, n_classes, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_classes, dim).normal_(0, 0.01))


class GabnS(nn.Module):
    """gabn-s: 7 x (Conv3x3 no bias, BatchNorm2d, ReLU) to 256x8x8, then
    Flatten, Linear(16384, 128), BatchNorm1d(128)."""

    input_size = 64
    embedding_dim = 128
    channels = (32, 64, 64, 128, 128, 256, 256)
    strides = (1, 2, 1, 2, 1, 2, 1)

    def __init__(self, n_classes=0):
        super().__init__()
        layers, c_in = [], 3
        for c_out, stride in zip(self.channels, self.strides):
            layers += [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(256 * 8 * 8, 128),
                                  nn.BatchNorm1d(128))
        if n_classes:
            self.arcface = MarginHead(n_classes, 128)

    def forward_backbone(self, x):
        return self.backbone(x)

    def forward_head(self, a):
        return self.head(a)

    def forward(self, x):
        return self.forward_head(self.forward_backbone(x))


class IBasicBlock(nn.Module):
    """arcface_torch's pre-activation block: bn1, conv1 3x3, bn2, prelu,
    conv2 3x3 (stride), bn3, plus the identity or a 1x1 conv + BN."""

    def __init__(self, c_in, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in, eps=1e-5)
        self.conv1 = nn.Conv2d(c_in, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-5)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-5)
        self.downsample = None
        if stride != 1 or c_in != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes, eps=1e-5))

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity


class IResNet(nn.Module):
    """iresnet18/34/50 for 112x112 faces; A = layer4's output (512x7x7)."""

    input_size = 112
    embedding_dim = 512
    depths = {"iresnet18": (2, 2, 2, 2), "iresnet34": (3, 4, 6, 3),
              "iresnet50": (3, 4, 14, 3)}

    def __init__(self, arch="iresnet18", n_classes=0, dropout=0.0):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-5)
        self.prelu = nn.PReLU(64)
        c_in = 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), self.depths[arch])):
            layer = [IBasicBlock(c_in, planes, 2)]
            layer += [IBasicBlock(planes, planes, 1) for _ in range(1, blocks)]
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*layer))
            c_in = planes
        self.bn2 = nn.BatchNorm2d(512, eps=1e-5)
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(512 * 7 * 7, 512)
        self.features = nn.BatchNorm1d(512, eps=1e-5)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.1)
        if n_classes:
            self.arcface = MarginHead(n_classes, 512)

    def forward_backbone(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward_head(self, a):
        return self.features(self.fc(self.dropout(torch.flatten(self.bn2(a), 1))))

    def forward(self, x):
        return self.forward_head(self.forward_backbone(x))


class _MbfBlock(nn.Module):
    """arcface_torch's ConvBlock (Conv, BN, PReLU) or LinearBlock (no
    PReLU); modules layers.{0,1,2}."""

    def __init__(self, c_in, c_out, k, s, p, groups=1, prelu=True):
        super().__init__()
        layers = [nn.Conv2d(c_in, c_out, k, s, p, groups=groups, bias=False),
                  nn.BatchNorm2d(c_out)]
        if prelu:
            layers.append(nn.PReLU(c_out))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class _MbfDepthWise(nn.Module):
    def __init__(self, c_in, c_out, stride, groups, residual):
        super().__init__()
        self.residual = residual
        self.layers = nn.Sequential(
            _MbfBlock(c_in, groups, 1, 1, 0),
            _MbfBlock(groups, groups, 3, stride, 1, groups=groups),
            _MbfBlock(groups, c_out, 1, 1, 0, prelu=False))

    def forward(self, x):
        y = self.layers(x)
        return x + y if self.residual else y


class _MbfResidual(nn.Module):
    def __init__(self, c, blocks, groups):
        super().__init__()
        self.layers = nn.Sequential(*[_MbfDepthWise(c, c, 1, groups, True)
                                      for _ in range(blocks)])

    def forward(self, x):
        return self.layers(x)


class _MbfGDC(nn.Module):
    """The head: depthwise 7x7 over the whole map, BN, Flatten, Linear
    without bias, BatchNorm1d (modules layers.{0..3})."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            _MbfBlock(512, 512, 7, 1, 0, groups=512, prelu=False),
            nn.Flatten(), nn.Linear(512, 512, bias=False), nn.BatchNorm1d(512))

    def forward(self, x):
        return self.layers(x)


class MobileFaceNet(nn.Module):
    """arcface_torch's MobileFaceNet as get_mbf builds it for InsightFace's
    w600k_mbf (blocks (1, 4, 6, 2), scale 2, 512-d): a bench and test
    architecture of the engine (src/engine/nn/gabn-arch.c), same names.
    A = conv_sep's output (512x7x7); the head is GDC (depthwise 7x7, BN,
    Flatten, Linear without bias, BatchNorm1d)."""

    input_size = 112
    embedding_dim = 512

    def __init__(self, n_classes=0):
        super().__init__()
        self.layers = nn.ModuleList([
            _MbfBlock(3, 128, 3, 2, 1),
            _MbfBlock(128, 128, 3, 1, 1, groups=64),
            _MbfDepthWise(128, 128, 2, 128, False),
            _MbfResidual(128, 4, 128),
            _MbfDepthWise(128, 256, 2, 256, False),
            _MbfResidual(256, 6, 256),
            _MbfDepthWise(256, 256, 2, 512, False),
            _MbfResidual(256, 2, 256)])
        self.conv_sep = _MbfBlock(256, 512, 1, 1, 0)
        self.features = _MbfGDC()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if n_classes:
            self.arcface = MarginHead(n_classes, 512)

    def forward_backbone(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.conv_sep(x)

    def forward_head(self, a):
        return self.features(a)

    def forward(self, x):
        return self.forward_head(self.forward_backbone(x))


def build(arch, n_classes=0):
    """A new model of a built-in architecture (PyTorch's own random init)."""
    if arch == "gabn-s":
        return GabnS(n_classes)
    if arch in IResNet.depths:
        return IResNet(arch, n_classes)
    if arch == "mobilefacenet":
        return MobileFaceNet(n_classes)
    raise ValueError("unknown architecture %r" % arch)


# ---- Margin heads ---------------------------------------------------------

def margin_target(cos, kind="arcface", m=0.5, easy_margin=False):
    """The own-class logit (before the scale): ArcFace as arcface_torch's
    original ArcFace (cos(theta+m) where cos > cos(pi-m), else
    cos - sin(pi-m)*m; easy_margin: the margin only where cos > 0), or
    CosFace cos - m. Differentiable (no torch.no_grad tricks)."""
    if kind == "cosface":
        return cos - m
    sin = torch.sqrt((1.0 - cos * cos).clamp_min(0.0))
    cos_m = cos * math.cos(m) - sin * math.sin(m)
    if easy_margin:
        return torch.where(cos > 0, cos_m, cos)
    return torch.where(cos > math.cos(math.pi - m), cos_m, cos - math.sin(math.pi - m) * m)


def margin_logits(emb, weight, labels, kind="arcface", s=64.0, m=None, easy_margin=False):
    if m is None:
        m = 0.35 if kind == "cosface" else 0.5
    cos = (F.normalize(emb) @ F.normalize(weight).t()).clamp(-1, 1)
    rows = torch.arange(len(labels))
    target = margin_target(cos[rows, labels], kind, m, easy_margin)
    one_hot = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
    return s * (cos * (1 - one_hot) + target[:, None] * one_hot)


def margin_loss(emb, weight, labels, kind="arcface", s=64.0, m=None, easy_margin=False):
    """Mean softmax cross-entropy of the margin logits (the engine's
    gabn_net_margin_loss)."""
    return F.cross_entropy(margin_logits(emb, weight, labels, kind, s, m, easy_margin), labels)


def cosine_to_class(emb, weight, classes):
    """cos(e_i, W_classes[i]): the GAM target y (the engine's
    gabn_net_cosine_to_class)."""
    return (F.normalize(emb) * F.normalize(weight[classes])).sum(1)


# ---- The fixtures' deterministic weights ------------------------------------

_MASK = (1 << 64) - 1


def _splitmix64(x):
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(_MASK)
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(_MASK)
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(_MASK)
    return x ^ (x >> np.uint64(31))


def fixture_uniform(seed, stream, n):
    """n doubles in [-1, 1): u_j = top 24 bits of splitmix64(seed' ^ stream<<40
    ^ j) / 2^23 - 1, seed' = seed * 0x100000001b3 mod 2^64. The C tests
    compute the same numbers (tests/engine/fixture-init.c)."""
    base = np.uint64((seed * 0x100000001B3) & _MASK) ^ np.uint64((stream << 40) & _MASK)
    with np.errstate(over="ignore"):
        z = _splitmix64(base ^ np.arange(n, dtype=np.uint64))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 23) - 1.0


_ACTIVATION_BN_BIAS = re.compile(r"^(backbone\.\d+\.bias|bn1\.bias|layer\d+\.\d+\.bn2\.bias)$")


def fixture_value(name, shape, u):
    """The fixture rule for one tensor from its uniform numbers u."""
    if name.endswith("num_batches_tracked"):
        return np.zeros_like(u)
    if name.endswith("running_mean"):
        return 0.1 * u
    if name.endswith("running_var"):
        return 1.0 + 0.5 * u
    if name == "features.weight":
        return np.ones_like(u)
    if "prelu" in name:
        return 0.25 + 0.05 * u
    if _ACTIVATION_BN_BIAS.match(name):
        # BatchNorm followed by ReLU/PReLU: shift the channel to +-4 so that
        # almost no pre-activation lies near the kink at 0, where a float
        # rounding difference would flip the mask between implementations.
        return np.where(u >= 0, 4.0, -4.0) + 0.2 * u
    if name.endswith("bias"):
        return 0.1 * u
    if len(shape) == 1:            # BatchNorm weight
        return 1.0 + 0.1 * u
    if name == "arcface.weight":
        return u
    fan_in = int(np.prod(shape[1:]))
    return u * math.sqrt(3.0 / fan_in)


def fixture_init_(model, seed):
    """Sets every tensor of the state_dict (index t in state_dict order is
    stream t) by the fixture rule. In place; returns the model."""
    with torch.no_grad():
        for t, (name, tensor) in enumerate(model.state_dict().items()):
            u = fixture_uniform(seed, t, tensor.numel())
            value = fixture_value(name, tuple(tensor.shape), u).reshape(tuple(tensor.shape))
            tensor.copy_(torch.from_numpy(value.astype(np.float32)).to(tensor.dtype))
    return model


def fixture_input(seed, batch, size):
    """The fixtures' input images: uniform [-1, 1), stream 1000."""
    u = fixture_uniform(seed, 1000, batch * 3 * size * size)
    return torch.from_numpy(u.astype(np.float32)).reshape(batch, 3, size, size)


def sample_indices(numel, count=1024):
    """Which elements of a large tensor the fixtures keep:
    (k * 2654435761 + 12345) mod numel, k < count (all when numel <= 4096)."""
    if numel <= 4096:
        return np.arange(numel)
    k = np.arange(count, dtype=np.int64)
    return (k * 2654435761 + 12345) % numel


# ---- safetensors ------------------------------------------------------------

_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
           torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}
_NUMPY = {"F32": np.float32, "F16": np.float16, "F64": np.float64,
          "I64": np.int64, "I32": np.int32}


def state_dict_tensors(model):
    """The model's state_dict (parameters and buffers, PyTorch's order)."""
    return OrderedDict((k, v.detach().cpu()) for k, v in model.state_dict().items())


def save_safetensors(path, tensors, metadata=None):
    """Writes name -> tensor (any dtype in _DTYPES) as safetensors, in the
    given order, metadata values as strings."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(np.dtype(_NUMPY[_DTYPES[t.dtype]]).newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def load_safetensors(path):
    """(OrderedDict name -> torch tensor, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    out = OrderedDict()
    for name, info in header.items():
        b, e = info["data_offsets"]
        raw = data[8 + n + b: 8 + n + e]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, "<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(raw, np.dtype(_NUMPY[info["dtype"]]).newbyteorder("<")).copy())
        out[name] = t.reshape(info["shape"])
    return out, metadata
