#!/usr/bin/env python3
"""Writes the GAM fixtures that tests/gabn/test-gam-torch.c compares against.

For each architecture the script builds the PyTorch module (from
gabn_torch_models.py when it is there, else the gabn-s definition below),
fills every tensor with a seeded splitmix64 pattern that the C test reproduces
(so no multi-megabyte weights are committed), runs an input of the same
pattern in eval mode and computes, with PyTorch's own autograd:
  - the embeddings,
  - the target y = cos(e, W_label) (own class centre, no margin) and
    y = cos(e, ref) (a fixed reference embedding),
  - dy/dA at the last conv stage and the five CAMs (gradcam, gradcam++,
    hirescam, xgradcam, layercam) as jacobgil/pytorch-grad-cam defines them,
    before its min-max rescaling.
Output: fixtures/gam-<arch>.json (a few kB).

Run: /usr/bin/python3 tests/reference/gam_fixtures.py  (Debian's python3-torch)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def uniform(seed, n):
    """n values in [-1, 1) from splitmix64(seed + (i+1)·golden), i = 0..n-1
    (numpy's uint64 arithmetic wraps like C's)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(n, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (2.0 / 9007199254740992.0) - 1.0


def name_seed(name):
    return sum(name.encode()) * 1000003


def pattern(name, shape):
    """The pseudo-random values of tensor `name` (float32, C order)."""
    n = int(np.prod(shape)) if len(shape) else 1
    s = uniform(name_seed(name), n)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        v = np.zeros(n)
    elif leaf == "running_mean":
        v = 0.1 * s
    elif leaf == "running_var":
        v = 1.0 + 0.5 * s * s
    elif leaf == "bias":
        v = 0.1 * s
    elif name == "arcface.weight":
        v = s
    elif leaf == "weight" and len(shape) >= 2:
        fan_in = n // shape[0]
        v = math.sqrt(6.0 / fan_in) * s
    elif "prelu" in name:
        v = 0.25 + 0.05 * s
    elif leaf == "weight":       # BatchNorm scale
        v = 1.0 + 0.2 * s
    else:
        v = s
    return v.astype(np.float32).reshape(shape)


def input_pattern(batch, size):
    return uniform(7, batch * 3 * size * size).astype(np.float32).reshape(batch, 3, size, size)


def ref_pattern(batch, d):
    return uniform(11, batch * d).astype(np.float32).reshape(batch, d)


class GabnS(nn.Module):
    """gabn-s as DESIGN.md section 4 defines it (used when the core's
    gabn_torch_models.py is not there)."""

    def __init__(self, n_classes):
        super().__init__()
        layers, cin = [], 3
        for cout, stride in [(32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1)]:
            layers += [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(256 * 8 * 8, 128), nn.BatchNorm1d(128))
        self.arcface = nn.Linear(128, n_classes, bias=False)

    def forward_backbone(self, x):
        return self.backbone(x)

    def forward_head(self, a):
        return self.head(a)


def build(arch, n_classes):
    try:
        import gabn_torch_models as models  # the engine's reference modules
        net = models.build(arch, n_classes)
    except ImportError:
        if arch != "gabn-s":
            raise SystemExit(f"{arch} needs tests/reference/gabn_torch_models.py")
        net = GabnS(n_classes)
    size = getattr(net, "input_size", 64)
    return net, net.forward_backbone, net.forward_head, size


def cams(A, dA):
    """The five CAMs, (B,h,w), from A and dA (B,C,h,w), float64."""
    A = A.double()
    dA = dA.double()
    out = {}
    w = dA.mean(dim=(2, 3))
    out["gradcam"] = F.relu((w[:, :, None, None] * A).sum(1))
    g2, g3 = dA ** 2, dA ** 3
    sum_a = A.sum(dim=(2, 3))
    aij = g2 / (2 * g2 + sum_a[:, :, None, None] * g3 + 1e-6)
    aij = torch.where(dA != 0, aij, torch.zeros_like(aij))
    w = (F.relu(dA) * aij).sum(dim=(2, 3))
    out["gradcam++"] = F.relu((w[:, :, None, None] * A).sum(1))
    out["hirescam"] = F.relu((dA * A).sum(1))
    w = (dA * A / (sum_a[:, :, None, None] + 1e-7)).sum(dim=(2, 3))
    out["xgradcam"] = F.relu((w[:, :, None, None] * A).sum(1))
    out["layercam"] = F.relu((F.relu(dA) * A).sum(1))
    return out


def fixture(arch, n_classes=5, batch=2, labels=(1, 3)):
    torch.manual_seed(0)
    net, features, embed, size = build(arch, n_classes)
    names = []
    with torch.no_grad():
        for name, t in net.state_dict().items():
            t.copy_(torch.from_numpy(pattern(name, tuple(t.shape))).to(t.dtype))
            names.append([name, list(t.shape)])
    # float64 for the reference: the C engine's float32 error is then what
    # the test measures, not the sum of two float32 errors.
    net.eval().double()
    x = torch.from_numpy(input_pattern(batch, size)).double()
    result = {"arch": arch, "classes": n_classes, "batch": batch, "labels": list(labels),
              "size": size, "tensors": names}
    for target in ("class", "pair"):
        A = features(x).detach().requires_grad_(True)
        e = embed(A)
        if target == "class":
            W = net.state_dict()["arcface.weight"]
            y = F.cosine_similarity(e, W[list(labels)], dim=1)
        else:
            y = F.cosine_similarity(e, torch.from_numpy(ref_pattern(batch, e.shape[1])).double(), dim=1)
        (dA,) = torch.autograd.grad(y.sum(), A)
        maps = cams(A.detach(), dA)
        result["embeddings"] = e.detach().reshape(-1).tolist()
        result["h"], result["w"] = int(A.shape[2]), int(A.shape[3])
        result["scores_" + target] = y.detach().tolist()
        result["cams_" + target] = {k: v.reshape(-1).tolist() for k, v in maps.items()}
    return result


def main():
    archs = sys.argv[1:] or ["gabn-s", "iresnet18"]
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    for arch in archs:
        try:
            data = fixture(arch)
        except SystemExit as e:
            print(f"skipped {arch}: {e}", file=sys.stderr)
            continue
        path = os.path.join(HERE, "fixtures", f"gam-{arch}.json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
