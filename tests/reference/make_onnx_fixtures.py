#!/usr/bin/python3
"""Writes the ONNX import fixtures (tests/engine/test-onnx.c), the way
make_fixtures.py does for the built-ins: PyTorch exports small face
recognizers to ONNX and stores what the engine must reproduce. Run from
anywhere with Debian's python3-torch and python3-onnx:

    /usr/bin/python3 tests/reference/make_onnx_fixtures.py

Models (random weights and BatchNorm statistics, eval mode, exported with
torch.onnx.export and constant folding, so that every Conv followed by a
BatchNorm is folded into the Conv's weights and bias as in InsightFace's
files; widths reduced so that each file stays under 1 MB):
  onnx-iresnet-opset9.onnx, onnx-iresnet-opset17.onnx
      arcface_torch's iresnet (gabn_torch_models.IBasicBlock, 2 blocks per
      stage) with widths 8/16/24/32 and a 32-d embedding, 112x112.
  onnx-mobilefacenet-opset13.onnx
      a MobileFaceNet-style net: depthwise 3x3 convolutions (groups = C),
      1x1 expansions and projections, residual adds, PReLU, BatchNorm,
      then GlobalAveragePool, Flatten, Gemm, BatchNorm1d, 112x112.
  onnx-ops-opset11.onnx
      the other operators: Mul/Sub by constants (the input normalisation
      InsightFace's old models carry), Pad, a grouped Conv with bias, Relu,
      MaxPool, AveragePool, Reshape, MatMul, Add of a constant, 32x32.
For each, onnx-<name>-expected.safetensors holds, computed by PyTorch in
float64 from the same float32 weights (stored as float32):
  embeddings      (2, D) of the images gabn_torch_models.fixture_input(seed, 2, S)
  v               (D) a fixed direction
  d_input         d(sum_b e_b . v)/d(input), sampled (sample_indices),
                  and d_input_norm, its L2 norm
  cam             Grad-CAM of image 0 towards cos(e_0, e_1) (image 1 the
                  reference face, held constant) at the default layer:
                  alpha_k = mean_ij dy/dA_kij, cam = relu(sum_k alpha_k A_k)
  cam_other       the same at a second layer (metadata "other_layer")
Metadata: "seed", "default_layer" and "other_layer" (ONNX node names).

Bad files for the error tests (built with onnx.helper, tiny):
  onnx-bad-unknown-op.onnx     a node "custom/Frobnicate" of op Frobnicate
  onnx-bad-attribute.onnx      a Conv "conv_dilated" with dilations [2, 2]
  onnx-bad-cycle.onnx          two nodes reading each other's outputs
  onnx-bad-missing-input.onnx  a node reading a name nothing defines
  onnx-bad-opset.onnx          operator set 8
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gabn_torch_models as gtm  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def randomise_(model, seed):
    """Random weights, and BatchNorm statistics far from the identity so
    that folding them into the convolutions is really tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.4)
                m.running_mean.copy_((torch.rand(m.running_mean.shape, generator=g) - 0.5) * 0.4)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.5)
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1)
                               * (3.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.2)
            elif isinstance(m, MatMulHead):
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * 0.1)
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.2)
    return model.eval()


class SmallIResNet(nn.Module):
    """arcface_torch's iresnet layout with small widths."""

    input_size = 112
    layers = {"default": "bn2", "other": "layer4"}

    def __init__(self, widths=(8, 16, 24, 32), blocks=2, dim=32):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0], eps=1e-5)
        self.prelu = nn.PReLU(widths[0])
        c_in = widths[0]
        for i, planes in enumerate(widths):
            layer = [gtm.IBasicBlock(c_in, planes, 2)]
            layer += [gtm.IBasicBlock(planes, planes, 1) for _ in range(1, blocks)]
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*layer))
            c_in = planes
        self.bn2 = nn.BatchNorm2d(c_in, eps=1e-5)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(c_in * 7 * 7, dim)
        self.features = nn.BatchNorm1d(dim, eps=1e-5)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.dropout(torch.flatten(self.bn2(x), 1))
        return self.features(self.fc(x))


def conv_bn(c_in, c_out, k, s, p, groups=1, act=True):
    layers = [nn.Conv2d(c_in, c_out, k, s, p, groups=groups, bias=False), nn.BatchNorm2d(c_out)]
    if act:
        layers.append(nn.PReLU(c_out))
    return nn.Sequential(*layers)


class DepthWise(nn.Module):
    """MobileFaceNet's bottleneck: 1x1 expand, depthwise 3x3, 1x1 project."""

    def __init__(self, c_in, c_out, stride, expand, residual):
        super().__init__()
        self.residual = residual
        self.expand = conv_bn(c_in, expand, 1, 1, 0)
        self.dw = conv_bn(expand, expand, 3, stride, 1, groups=expand)
        self.project = conv_bn(expand, c_out, 1, 1, 0, act=False)

    def forward(self, x):
        y = self.project(self.dw(self.expand(x)))
        return x + y if self.residual else y


class SmallMobileFaceNet(nn.Module):
    input_size = 112
    layers = {"default": "conv_sep", "other": "stage2"}

    def __init__(self, dim=32):
        super().__init__()
        self.conv1 = conv_bn(3, 16, 3, 2, 1)               # 56
        self.conv2_dw = conv_bn(16, 16, 3, 1, 1, groups=16)
        self.stage1 = nn.Sequential(DepthWise(16, 16, 2, 32, False),   # 28
                                    DepthWise(16, 16, 1, 32, True))
        self.stage2 = nn.Sequential(DepthWise(16, 24, 2, 48, False),   # 14
                                    DepthWise(24, 24, 1, 48, True))
        self.stage3 = nn.Sequential(DepthWise(24, 32, 2, 64, False),   # 7
                                    DepthWise(32, 32, 1, 64, True))
        self.conv_sep = conv_bn(32, 64, 1, 1, 0)
        self.fc = nn.Linear(64, dim)
        self.features = nn.BatchNorm1d(dim)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.conv2_dw(self.conv1(x)))))
        x = F.adaptive_avg_pool2d(self.conv_sep(x), 1)
        return self.features(self.fc(torch.flatten(x, 1)))


class MatMulHead(nn.Module):
    def __init__(self, k, o):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(k, o))
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x):
        return x @ self.weight + self.bias


class OpsNet(nn.Module):
    """The remaining operators, 32x32 input."""

    input_size = 32
    layers = {"default": "act", "other": "pool1"}

    def __init__(self, dim=16):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 0, bias=True)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, 1, 1, groups=2, bias=True)
        self.pool2 = nn.AvgPool2d(3, 2, 1)
        self.act = nn.ReLU()
        self.head = MatMulHead(8 * 8 * 8, dim)

    def forward(self, x):
        x = (x * 127.5 + 127.5)            # the image back in 0..255 …
        x = (x - 127.5) * (1.0 / 127.5)    # … and normalised by the graph
        x = F.pad(x, (1, 2, 1, 2))
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.act(self.pool2(self.conv2(x)))
        return self.head(x.reshape(-1, 8 * 8 * 8))


def module_output(model, name, x):
    """Runs model on x, returning (embeddings, the named module's output)."""
    store = {}
    handle = getattr(model, name).register_forward_hook(
        lambda m, i, o: store.__setitem__("a", o))
    e = model(x)
    handle.remove()
    return e, store["a"]


def grad_cam(model, layer, x):
    """Grad-CAM of x[0] towards cos(e_0, e_1), e_1 held constant."""
    e, a = module_output(model, layer, x)
    y = F.cosine_similarity(e[0:1], e[1:2].detach()).sum()
    (da,) = torch.autograd.grad(y, a)
    alpha = da[0].mean(dim=(1, 2))
    return torch.relu((alpha[:, None, None] * a[0]).sum(0))[None]


def onnx_node_for(path, module, op=None):
    """The ONNX node name torch gave module's last operator (e.g.
    '/bn2/BatchNormalization'); exported names start with '/module/'."""
    graph = onnx.load(path).graph
    names = [n.name for n in graph.node
             if n.name.startswith("/%s/" % module) and (op is None or n.op_type == op)]
    if not names:
        raise SystemExit("%s: no node of module %s" % (path, module))
    return names[-1]


def write_model(name, model, opset, seed):
    path = os.path.join(OUT, "onnx-%s.onnx" % name)
    size = model.input_size
    x32 = gtm.fixture_input(seed, 2, size)
    torch.onnx.export(model, x32[0:1], path, opset_version=opset,
                      do_constant_folding=True, input_names=["input"],
                      output_names=["embedding"])
    ref = model.double()
    x = x32.double().requires_grad_(True)
    e = ref(x)
    v = torch.from_numpy(gtm.fixture_uniform(seed, 2000, e.shape[1]))
    (d_input,) = torch.autograd.grad((e * v).sum(), x)
    flat = d_input.reshape(-1)
    sampled = flat[torch.from_numpy(gtm.sample_indices(flat.numel()))]
    tensors = {
        "embeddings": e.detach().float(),
        "v": v.float(),
        "d_input": sampled.float(),
        "d_input_norm": flat.norm().reshape(1).float(),
        "cam": grad_cam(ref, model.layers["default"], x.detach()).detach().float(),
        "cam_other": grad_cam(ref, model.layers["other"], x.detach()).detach().float(),
    }
    model.float()
    metadata = {"seed": str(seed),
                "default_layer": onnx_node_for(path, model.layers["default"]),
                "other_layer": onnx_node_for(path, model.layers["other"])}
    gtm.save_safetensors(os.path.join(OUT, "onnx-%s-expected.safetensors" % name),
                         tensors, metadata)
    print("%-24s %7d bytes, default layer %s, other %s"
          % (os.path.basename(path), os.path.getsize(path), metadata["default_layer"],
             metadata["other_layer"]))


def save_bad(name, nodes, inputs, outputs, initializers=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(OUT, "onnx-bad-%s.onnx" % name))


def write_bad_files():
    image = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4])
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3],
                                np.ones(4 * 3 * 3 * 3, np.float32))
    conv = helper.make_node("Conv", ["input", "w"], ["a"], name="conv", pads=[1, 1, 1, 1])
    pool = helper.make_node("GlobalAveragePool", ["a"], ["p"], name="pool")
    flat = helper.make_node("Flatten", ["p"], ["out"], name="flatten")
    save_bad("unknown-op", [conv, helper.make_node("Frobnicate", ["a"], ["b"],
                                                   name="custom/Frobnicate"),
                            helper.make_node("GlobalAveragePool", ["b"], ["p"], name="pool"),
                            flat], [image], [out], [weight])
    save_bad("attribute", [helper.make_node("Conv", ["input", "w"], ["a"], name="conv_dilated",
                                            pads=[2, 2, 2, 2], dilations=[2, 2]),
                           pool, flat], [image], [out], [weight])
    save_bad("cycle", [conv, helper.make_node("Add", ["a", "c"], ["b"], name="add_b"),
                       helper.make_node("Relu", ["b"], ["c"], name="relu_c"),
                       helper.make_node("GlobalAveragePool", ["c"], ["p"], name="pool"),
                       flat], [image], [out], [weight])
    save_bad("missing-input", [conv, helper.make_node("Add", ["a", "nowhere"], ["b"],
                                                      name="add_missing"),
                               helper.make_node("GlobalAveragePool", ["b"], ["p"], name="pool"),
                               flat], [image], [out], [weight])
    save_bad("opset", [conv, pool, flat], [image], [out], [weight], opset=8)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    write_model("iresnet-opset9", randomise_(SmallIResNet(), 11), 9, 11)
    write_model("iresnet-opset17", randomise_(SmallIResNet(), 11), 17, 11)
    write_model("mobilefacenet-opset13", randomise_(SmallMobileFaceNet(), 12), 13, 12)
    write_model("ops-opset11", randomise_(OpsNet(), 13), 11, 13)
    write_bad_files()


if __name__ == "__main__":
    main()
