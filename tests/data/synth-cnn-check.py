#!/usr/bin/env python3
"""synth-cnn-check.py: does a small CNN show the bias a synthetic preset is
built to produce? Run by hand (needs python3-torch and python3-gi; never a test):

    gabn synth --out /tmp/faces --preset realistic --identities 50
    python3 tests/data/synth-cnn-check.py /tmp/faces [--width 0.25] [--epochs 10]
                                          [--s 32] [--m 0.3] [--threads 1]

Trains a gabn-s-shaped CNN (channels scaled by --width) with ArcFace on the
identities not named in pairs.tsv, then prints per group: 10-fold
verification accuracy on pairs.tsv, the training accuracy, and the Grad-CAM
sensitive-region size (fewest 8×8 cells holding 50 % of the map's mass, as
a fraction) — the two effects docs/SYNTHETIC.md reports."""
import argparse, os
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import gi
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf  # noqa: E402


def read_png(path):
    """Decodes with GdkPixbuf, as the engine does (python3-gi)."""
    pb = GdkPixbuf.Pixbuf.new_from_file(path)
    w, h, ch, stride = pb.get_width(), pb.get_height(), pb.get_n_channels(), pb.get_rowstride()
    buf = np.frombuffer(pb.get_pixels(), np.uint8)
    rows = [buf[y * stride:y * stride + w * ch] for y in range(h)]
    return np.stack(rows).reshape(h, w, ch)[:, :, :3]


def load(root):
    groups = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    paths, group, ident = [], [], []
    for g, gname in enumerate(groups):
        for iname in sorted(os.listdir(os.path.join(root, gname))):
            for f in sorted(os.listdir(os.path.join(root, gname, iname))):
                paths.append(f"{gname}/{iname}/{f}")
                group.append(g)
                ident.append(f"{gname}/{iname}")
    index = {p: i for i, p in enumerate(paths)}
    pairs = []
    for line in open(os.path.join(root, "pairs.tsv")):
        a, b, same, fold = line.rstrip("\n").split("\t")
        pairs.append((index[a], index[b], int(same), int(fold) - 1))
    pairs = np.array(pairs)
    held = {ident[i] for i in np.concatenate([pairs[:, 0], pairs[:, 1]])}
    names = sorted({n for n in ident if n not in held})
    label = np.array([names.index(n) if n in names else -1 for n in ident])
    X = np.stack([read_png(os.path.join(root, p)) for p in paths])
    X = torch.tensor((X.astype(np.float32) - 127.5) / 127.5).permute(0, 3, 1, 2).contiguous()
    return groups, X, np.array(group), label, pairs


def acc10(scores, same, fold):
    accs = []
    for f in range(10):
        tr, te = fold != f, fold == f
        ts = np.unique(scores[tr])
        best = max(ts, key=lambda t: ((scores[tr] >= t) == same[tr]).mean())
        accs.append(((scores[te] >= best) == same[te]).mean())
    return float(np.mean(accs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--s", type=float, default=32.0)
    ap.add_argument("--m", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    np.random.seed(0)
    names, X, group, label, pairs = load(a.root)
    tr = np.where(label >= 0)[0]
    K, S = label.max() + 1, X.shape[2]
    ch = [max(4, int(c * a.width)) for c in (32, 64, 128, 256)]

    def conv(i, o, s):
        return [nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
    backbone = nn.Sequential(*conv(3, ch[0], 1), *conv(ch[0], ch[1], 2), *conv(ch[1], ch[1], 1),
                             *conv(ch[1], ch[2], 2), *conv(ch[2], ch[2], 1),
                             *conv(ch[2], ch[3], 2), *conv(ch[3], ch[3], 1))
    cells = (S // 8) ** 2
    head = nn.Sequential(nn.Flatten(), nn.Linear(ch[3] * cells, 128), nn.BatchNorm1d(128))
    W = nn.Parameter(torch.randn(K, 128) * 0.01)
    params = list(backbone.parameters()) + list(head.parameters()) + [W]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4)
    steps, step = a.epochs * (len(tr) // 64), 0
    for ep in range(a.epochs):
        backbone.train(); head.train()
        perm = np.random.permutation(tr)
        for b in range(len(tr) // 64):
            idx = perm[b * 64:(b + 1) * 64]
            x = X[idx].clone()
            fl = torch.rand(64) < 0.5
            x[fl] = x[fl].flip(3)
            y = torch.tensor(label[idx]).long()
            cos = F.normalize(head(backbone(x))) @ F.normalize(W).t()
            th = torch.acos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
            tgt = torch.where(cos > np.cos(np.pi - a.m), torch.cos(th + a.m),
                              cos - np.sin(np.pi - a.m) * a.m)
            logits = a.s * torch.where(F.one_hot(y, K).bool(), tgt, cos)
            loss = F.cross_entropy(logits, y)
            for g in opt.param_groups:
                g["lr"] = 0.1 * 0.5 * (1 + np.cos(np.pi * step / steps))
            step += 1
            opt.zero_grad(); loss.backward(); opt.step()
        print(f"epoch {ep + 1}: loss {loss.item():.3f}", flush=True)
    backbone.eval(); head.eval()
    with torch.no_grad():
        E = torch.cat([head(backbone(X[i:i + 256])) + head(backbone(X[i:i + 256].flip(3)))
                       for i in range(0, len(X), 256)])
        E = F.normalize(E).numpy()
        pred = np.concatenate([(F.normalize(head(backbone(X[tr[i:i + 256]]))) @ F.normalize(W).t())
                               .argmax(1).numpy() for i in range(0, len(tr), 256)])
    scores = (E[pairs[:, 0]] * E[pairs[:, 1]]).sum(1)
    feats = {}

    def keep(module, inputs, output):
        output.retain_grad()
        feats["A"] = output
    hook = backbone[-1].register_forward_hook(keep)
    print(f"{'group':10} {'verif. acc':>10} {'train acc':>10} {'region50':>9}")
    for g, name in enumerate(names):
        m = group[pairs[:, 0]] == g
        acc = acc10(scores[m], pairs[m, 2] == 1, pairs[m, 3])
        tm = group[tr] == g
        idx = tr[tm][:200]
        cos = (F.normalize(head(backbone(X[idx]))) * F.normalize(W)[label[idx]]).sum()
        cos.backward()
        A = feats["A"]
        gam = F.relu((A.grad.mean((2, 3), keepdim=True) * A).sum(1)).detach().reshape(len(idx), -1)
        P = (gam / gam.sum(1, keepdim=True).clamp_min(1e-12)).numpy()
        r50 = np.mean([(np.searchsorted(np.cumsum(np.sort(p)[::-1]), 0.5) + 1) / p.size for p in P])
        print(f"{name:10} {acc:10.3f} {(pred[tm] == label[tr][tm]).mean():10.3f} {r50:9.3f}")
    hook.remove()


if __name__ == "__main__":
    main()
