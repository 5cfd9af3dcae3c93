#!/usr/bin/python3
"""The PyTorch side of `gabn bench`: the same network, loss, optimiser and
Grad-CAM as the engine's benchmark, timed the same way.

  /usr/bin/python3 bench/torch_bench.py --arch gabn-s --batch 64 --threads 2 --json

Prints one JSON object {"train_images_per_s", "infer_images_per_s",
"gam_ms", "peak_mb"} (with --json) or a short text report. Needs Debian's
python3-torch; the networks come from tests/reference/gabn_torch_models.py.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import gabn_torch_models as gtm  # noqa: E402


def timed(fn, seconds, min_runs, warmup=1):
    """Runs fn until `seconds` have passed and at least min_runs; returns
    the list of per-run times in seconds."""
    for _ in range(warmup):
        fn()
    times, start = [], time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def best(values):
    """The fastest run: on a shared machine the others measure the
    neighbours (gabn bench does the same)."""
    return min(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", default="gabn-s")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads if args.threads > 0 else os.cpu_count())
    torch.manual_seed(0)
    model = gtm.build(args.arch, args.classes)
    size, batch = model.input_size, args.batch
    x = torch.rand(batch, 3, size, size) * 2 - 1
    labels = torch.randint(0, args.classes, (batch,))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4)

    def train_step():
        opt.zero_grad()
        emb = model(x)
        loss = gtm.margin_loss(emb, model.arcface.weight, labels)
        loss.backward()
        opt.step()

    model.train()
    train = timed(train_step, args.seconds, 3)
    # The training step is the peak; the whole process (interpreter and
    # libraries included), as `gabn bench` counts its own (ru_maxrss, kB).
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    model.eval()

    def infer():
        with torch.no_grad():
            model(x)

    infer_t = timed(infer, args.seconds, 3)

    one = x[:1].clone()
    cls = labels[:1]

    def gam():
        a = model.forward_backbone(one)
        emb = model.forward_head(a)
        y = gtm.cosine_to_class(emb, model.arcface.weight, cls).sum()
        (grad,) = torch.autograd.grad(y, a)
        alpha = grad.mean(dim=(2, 3), keepdim=True)
        return torch.relu((alpha * a).sum(1)).detach()

    gam_t = timed(gam, args.seconds, 10, warmup=3)

    result = {"train_images_per_s": batch / best(train),
              "infer_images_per_s": batch / best(infer_t),
              "gam_ms": 1000 * best(gam_t),
              "peak_mb": peak_mb}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print("%-20s %.2f" % (k, v))


if __name__ == "__main__":
    main()
