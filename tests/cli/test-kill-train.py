#!/usr/bin/env python3
"""Crash-safe checkpoints (issue 14, part 6).

`gabn train` is killed with SIGKILL many times at seeded random moments,
and on a third of the kills as soon as a checkpoint write has begun (a
temporary file or the pending sidecar appears), so kills land inside the
write. After every kill:
- the checkpoint, when there is one, loads (`gabn inspect`) and its own
  sidecar is there: MODEL.state, or MODEL.state.new when the kill fell
  between the two files, with the same "checkpoint" id and step;
- the next start resumes from it (`--resume`); a start that fails on its
  own fails the test.
At the end the run is resumed to completion, and its tensors must be
bit-identical to those of an uninterrupted run of the same command.

Whatever the timing, every kill point must give a valid state, so the
outcome does not depend on timing; where the kills landed is printed.
Usage: test-kill-train.py GABN [KILLS] [SEED]"""
import glob
import json
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

GABN = sys.argv[1]
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 40
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 14)

TRAIN = ["train", "--data", "synth:balanced,identities=4,images=4,seed=3",
         "--method", "gabn", "--epochs", "6", "--batch", "16", "--threads", "1",
         "--seed", "5", "--quiet"]


def fail(message):
    sys.exit("FAIL: " + message)


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        return head, n


def tensors(path):
    """Name → raw bytes of every tensor (the metadata left aside)."""
    head, n = header(path)
    with open(path, "rb") as f:
        data = f.read()[8 + n:]
    return {k: data[v["data_offsets"][0]:v["data_offsets"][1]]
            for k, v in head.items() if k != "__metadata__"}


def check_checkpoint(model):
    """The checkpoint on disk loads and has its own sidecar. Returns the step."""
    meta = header(model)[0]["__metadata__"]
    ident = meta.get("checkpoint")
    step = json.loads(meta["trainer_state"])["step"]
    if not ident:
        fail(f"{model} has no checkpoint id")
    own = None
    for candidate in (model + ".state", model + ".state.new"):
        if os.path.exists(candidate):
            side = header(candidate)[0]["__metadata__"]
            if side.get("checkpoint") == ident:
                if int(side["step"]) != step:
                    fail(f"{candidate} has step {side['step']}, the model {step}")
                own = candidate
                break
    if own is None:
        fail(f"no sidecar of {model} has its checkpoint id {ident}")
    p = subprocess.run([GABN, "inspect", model], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"gabn inspect {model}: {p.stderr}")
    return step, own.endswith(".new")


with tempfile.TemporaryDirectory(prefix="gabn-kill-") as tmp:
    ref = os.path.join(tmp, "reference.safetensors")
    started = time.monotonic()
    p = subprocess.run([GABN, *TRAIN, "--out", ref], capture_output=True, text=True)
    # Delays scale with this machine's speed now, so kills fall all along a
    # run on a fast idle machine as on a slow loaded one.
    span = time.monotonic() - started
    if p.returncode != 0:
        fail(f"the uninterrupted run failed: {p.stderr}")
    want = tensors(ref)
    total = json.loads(header(ref)[0]["__metadata__"]["trainer_state"])["total_steps"]
    print(f"reference: {total} steps, {len(want)} tensors, {span:.1f} s")

    model = os.path.join(tmp, "model.safetensors")
    stats = {"before the first checkpoint": 0, "inside a write (temporary file left)": 0,
             "between sidecar and model (pending sidecar used)": 0, "finished first": 0}
    kills = completed = 0
    steps_seen = []
    while kills < KILLS:
        resume = os.path.exists(model)
        args = [GABN, *TRAIN, "--out", model] + (["--resume", model] if resume else [])
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if rng.random() < 1 / 3:
            # Kill as a checkpoint write begins: watch for its files.
            before = set(glob.glob(model + ".*"))
            deadline = time.monotonic() + 2 * span
            while proc.poll() is None and time.monotonic() < deadline:
                now = set(glob.glob(model + ".*")) - before
                if any(f.endswith(".state.new") or not f.endswith(".state") for f in now):
                    break
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, 0.01))
        else:
            time.sleep(rng.uniform(0, 0.6) * span)
        if proc.poll() is not None:
            err = proc.stderr.read()
            if proc.returncode != 0:
                fail(f"gabn train{' --resume' if resume else ''} failed on its own "
                     f"({proc.returncode}): {err}")
            # Finished before the kill: it must equal the reference; start over.
            if tensors(model) != want:
                fail("a run that finished between kills differs from the uninterrupted one")
            completed += 1
            stats["finished first"] += 1
            for f in glob.glob(model + "*"):
                os.unlink(f)
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        kills += 1
        leftovers = [f for f in glob.glob(model + ".*")
                     if not f.endswith(".state") and not f.endswith(".state.new")]
        if leftovers:
            stats["inside a write (temporary file left)"] += 1
            for f in leftovers:     # what a user would clean up; not read
                os.unlink(f)
        if not os.path.exists(model):
            stats["before the first checkpoint"] += 1
            continue
        step, pending = check_checkpoint(model)
        steps_seen.append(step)
        if pending:
            stats["between sidecar and model (pending sidecar used)"] += 1

    # Resume to the end: bit-identical to the uninterrupted run.
    if os.path.exists(model):
        p = subprocess.run([GABN, *TRAIN, "--out", model, "--resume", model],
                           capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"the final --resume failed: {p.stderr}")
        got = tensors(model)
        if got.keys() != want.keys():
            fail("the resumed model has other tensors")
        differ = [k for k in want if got[k] != want[k]]
        if differ:
            fail(f"{len(differ)} tensors differ from the uninterrupted run, e.g. {differ[0]}")
        completed += 1
    print(f"{kills} SIGKILLs; checkpoints found at steps {sorted(set(steps_seen))}")
    for what, n in stats.items():
        print(f"  {what}: {n}")
    print(f"{completed} resumed runs completed, each bit-identical to the uninterrupted one")
print("PASS")
