#!/usr/bin/python3
"""Writes the PyTorch reference fixtures the engine tests compare against
(tests/engine/test-torch-parity.c), llm.c style. Run from anywhere with
Debian's python3-torch:  /usr/bin/python3 tests/reference/make_fixtures.py

For gabn-s and iresnet18 (10 classes, batch 4, training mode, ArcFace s=64
m=0.5, SGD lr 0.01 momentum 0.9 weight decay 5e-4), computed by PyTorch in
float64 (the exact answer the engine's float32 is measured against; PyTorch's
own float32 is up to 9e-5 away from it on iresnet18's embeddings) and
stored as float32:
  fixtures/<arch>.safetensors  input-independent checks: features A (full
      for gabn-s, sampled for iresnet18), d(loss)/dA sampled, embeddings,
      loss, every parameter's gradient (full when <= 4096 elements, else
      1024 sampled elements) plus each gradient's L2 norm, d(loss)/d(input)
      sampled, the losses of 3 SGD steps and after them, sampled parameters
      and all BatchNorm running statistics after them, and eval-mode
      embeddings after them.
  fixtures/gabn-s-torch-state.safetensors  the trained gabn-s state_dict as
      PyTorch has it (F32, num_batches_tracked I64, no metadata): the C test
      loads it with architecture inference and must reproduce the eval
      embeddings that PyTorch float32 computes from it
      (fixtures/gabn-s-torch-state-embeddings.safetensors).
  fixtures/optim.safetensors  SGD (momentum, dampening, nesterov, weight
      decay) and AdamW trajectories on a small vector.
The seed (metadata "seed") is the first one, in steps of 100, for which no
ReLU/PReLU input in the 3 passes that are back-propagated lies within 2e-5 of the
kink (the fixture rule also shifts the BatchNorm before each activation to
+-4 so that few do). Weights and inputs are not stored: both sides generate them from the
fixture rule in gabn_torch_models.fixture_init_ / fixture_input (a
splitmix64 hash), which keeps the committed files small (iresnet18's
weights alone would be 96 MB).
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gabn_torch_models as gtm  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
BATCH = 4
N_CLASSES = 10
LABELS = [3, 7, 0, 3]
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 5e-4
SEEDS = {"gabn-s": 1, "iresnet18": 2}


def sampled(t):
    flat = t.detach().reshape(-1)
    return flat[torch.from_numpy(gtm.sample_indices(flat.numel()))].clone()


def train_step_loss(model, x, labels):
    a = model.forward_backbone(x)
    if a.requires_grad:
        a.retain_grad()
    emb = model.forward_head(a)
    loss = gtm.margin_loss(emb, model.arcface.weight, labels)
    return a, emb, loss


KINK_MARGIN = 2e-5


class KinkWatch:
    """The smallest |input| any ReLU/PReLU saw: near 0, float rounding could
    flip the activation mask between PyTorch and the engine."""

    def __init__(self, model):
        self.min = float("inf")
        self.active = True
        for mod in model.modules():
            if isinstance(mod, (torch.nn.ReLU, torch.nn.PReLU)):
                mod.register_forward_hook(self.hook)

    def hook(self, module, inputs, output):
        if self.active:
            self.min = min(self.min, inputs[0].detach().abs().min().item())


def make(arch):
    seed = SEEDS[arch]
    while True:
        out, meta, model, margin = run(arch, seed)
        if margin > KINK_MARGIN:
            break
        print("%s: seed %d puts an activation %.2g from a kink, next seed" % (arch, seed, margin))
        seed += 100
    out = {k: (v.float() if v.is_floating_point() else v) for k, v in out.items()}
    gtm.save_safetensors(os.path.join(OUT, arch + ".safetensors"), out, meta)
    if arch == "gabn-s":
        # As a float32 model would have it, then re-run in float32 for the
        # embeddings the engine must reproduce from this file.
        model.float()
        state = gtm.state_dict_tensors(model)
        gtm.save_safetensors(os.path.join(OUT, "gabn-s-torch-state.safetensors"), state)
        model.eval()
        with torch.no_grad():
            x = gtm.fixture_input(seed, BATCH, model.input_size)
            gtm.save_safetensors(os.path.join(OUT, "gabn-s-torch-state-embeddings.safetensors"),
                                 {"embeddings_eval": model(x)})
    print("%s: seed %d, kink margin %.2g, losses %s" % (arch, seed, margin, out["losses"].tolist()))


def run(arch, seed):
    torch.manual_seed(0)
    model = gtm.fixture_init_(gtm.build(arch, N_CLASSES), seed).double()
    watch = KinkWatch(model)
    x = gtm.fixture_input(seed, BATCH, model.input_size).double().requires_grad_(True)
    labels = torch.tensor(LABELS)
    out = {}

    model.train()
    a, emb, loss = train_step_loss(model, x, labels)
    loss.backward()
    out["features"] = a.detach().clone() if arch == "gabn-s" else sampled(a)
    out["d_features"] = sampled(a.grad)
    out["embeddings"] = emb.detach().clone()
    out["loss"] = loss.detach().reshape(1)
    out["d_input"] = sampled(x.grad)
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        out["grad." + name] = sampled(p.grad)
        out["grad_norm." + name] = p.grad.norm().reshape(1)

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    losses = [loss.item()]
    opt.step()
    for _ in range(2):
        opt.zero_grad()
        _, _, loss = train_step_loss(model, x, labels)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    # Forward-only passes: a flipped mask there moves outputs by < 1e-5.
    watch.active = False
    with torch.no_grad():
        _, _, loss = train_step_loss(model, x.detach(), labels)
    losses.append(loss.item())
    out["losses"] = torch.tensor(losses, dtype=torch.float64)
    for name, t in model.state_dict().items():
        if name.endswith("running_mean") or name.endswith("running_var"):
            out["buffer_after." + name] = t.clone()
        elif not name.endswith("num_batches_tracked"):
            out["param_after." + name] = sampled(t)
    model.eval()
    with torch.no_grad():
        out["embeddings_eval"] = model(x.detach()).clone()

    meta = {"arch": arch, "n_classes": N_CLASSES, "batch": BATCH, "seed": seed,
            "labels": LABELS, "lr": LR, "momentum": MOMENTUM,
            "weight_decay": WEIGHT_DECAY, "margin": "arcface s=64 m=0.5",
            "kink_margin": "%.3g" % watch.min, "torch": torch.__version__}
    return out, meta, model, watch.min


def make_optim():
    """Trajectories of 3 steps on p (8 elements) with fixed gradients."""
    p0 = torch.from_numpy(gtm.fixture_uniform(9, 0, 8).astype(np.float32))
    grads = torch.from_numpy(gtm.fixture_uniform(9, 1, 24).astype(np.float32)).reshape(3, 8)
    configs = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=5e-4),
        "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                                   weight_decay=0.01),
        "sgd_dampening": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5, dampening=0.3),
        "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.01),
        "adamw_betas": lambda ps: torch.optim.AdamW(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6,
                                                    weight_decay=0.1),
    }
    out = {"p0": p0, "grads": grads}
    for name, make_opt in configs.items():
        p = torch.nn.Parameter(p0.clone())
        opt = make_opt([p])
        steps = []
        for g in grads:
            p.grad = g.clone()
            opt.step()
            steps.append(p.detach().clone())
        out[name] = torch.stack(steps)
    gtm.save_safetensors(os.path.join(OUT, "optim.safetensors"), out,
                         {"torch": torch.__version__})


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for arch in ("gabn-s", "iresnet18"):
        make(arch)
    make_optim()


if __name__ == "__main__":
    main()
