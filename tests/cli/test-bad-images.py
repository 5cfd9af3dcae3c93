#!/usr/bin/env python3
"""Bad images never end a run (issue 14, part 2).

A synthetic dataset on disk gets a truncated PNG in a training identity and a
text file named .png in a held-out identity (one that the pairs use). Then:
- `gabn info --verify` lists both in `skipped` (text and JSON), plain
  `gabn info` does not decode and lists neither;
- `gabn train` runs to the end (exit 0), names each file once on stderr and
  once in the JSONL log, and lists both in the model's metadata;
- `gabn eval` leaves out exactly the pairs that use the unreadable image and
  says how many;
- `gabn train --resume` carries the list over and names nothing twice.
Usage: test-bad-images.py GABN"""
import json
import os
import struct
import subprocess
import sys
import tempfile

GABN = sys.argv[1]


def run(*args, ok=True):
    p = subprocess.run([GABN, *args], capture_output=True, text=True, timeout=600)
    if ok and p.returncode != 0:
        sys.exit(f"gabn {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p


def metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))["__metadata__"]


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok:", what)


with tempfile.TemporaryDirectory(prefix="gabn-bad-images-") as tmp:
    ds = os.path.join(tmp, "faces")
    run("synth", "--out", ds, "--preset", "balanced", "--identities", "6",
        "--images", "4", "--threads", "1")
    pairs = [line.split("\t") for line in open(os.path.join(ds, "pairs.tsv")).read().splitlines()]
    held_out = pairs[0][0]                       # an image the pairs use
    identity = held_out.rsplit("/", 1)[0]
    training = next(os.path.join(g, i, "02.png") for g in sorted(os.listdir(ds))
                    if os.path.isdir(os.path.join(ds, g))
                    for i in sorted(os.listdir(os.path.join(ds, g)))
                    if not any(p[0].startswith(f"{g}/{i}/") or p[1].startswith(f"{g}/{i}/")
                               for p in pairs))
    truncated = os.path.join(ds, training)
    text = os.path.join(ds, held_out)
    with open(truncated, "rb") as f:
        head = f.read(300)
    with open(truncated, "wb") as f:
        f.write(head)
    with open(text, "w") as f:
        f.write("this is not an image\n")
    bad = {truncated, text}
    n_bad_pairs = sum(1 for p in pairs if held_out in (p[0], p[1]))
    print(f"truncated {training}; text {held_out} (in {n_bad_pairs} pairs)")

    # info: without --verify nothing is decoded; with it, both are listed.
    info = json.loads(run("info", "--json", ds).stdout)
    check(info["verified"] is False and not info["skipped"], "plain info decodes nothing")
    info = json.loads(run("info", "--verify", "--json", ds).stdout)
    check({s["file"] for s in info["skipped"]} == bad and info["unreadable"] == 2,
          "info --verify lists both unreadable images in skipped")
    text_out = run("info", "--verify", ds).stdout
    check(all(b in text_out for b in bad) and "Skipped: 2" in text_out,
          "info --verify names both in its text output")

    # train: completes, names each once (stderr, log, metadata).
    model = os.path.join(tmp, "model.safetensors")
    log = os.path.join(tmp, "log.jsonl")
    p = run("train", "--data", ds, "--out", model, "--epochs", "2", "--batch", "8",
            "--threads", "1", "--log", log)
    for b in bad:
        check(p.stderr.count(b) == 1, f"train names {os.path.basename(b)} once on stderr")
    entries = [json.loads(line) for line in open(log)]
    skipped = [e for e in entries if e["type"] == "skipped"]
    check(sorted(e["file"] for e in skipped) == sorted(bad),
          "the JSONL log has one 'skipped' line per unreadable image")
    check(all(e["reason"] for e in skipped), "each with its reason")
    check(sum(1 for e in entries if e["type"] == "epoch") == 2, "both epochs ran")
    meta = metadata(model)
    check({s["file"] for s in json.loads(meta["skipped_images"])} == bad,
          "the model's metadata lists both in skipped_images")
    state = json.loads(meta["trainer_state"])
    check(state["finished"] is True, "the run finished")
    last_eval = json.loads(meta["eval"])
    check(last_eval["skipped_pairs"] == n_bad_pairs,
          f"the epoch evaluation left out the {n_bad_pairs} pairs with the bad image")

    # eval: leaves out the pairs with the unreadable image and says so.
    report = json.loads(run("eval", "--model", model, "--data", ds, "--json",
                            "--threads", "1").stdout)
    check(report["skipped_pairs"] == n_bad_pairs and report["skipped_images"] == 1,
          f"eval --json: skipped_pairs {report['skipped_pairs']} == {n_bad_pairs}")
    check(sum(g["pairs"] for g in report["groups"]) == len(pairs) - n_bad_pairs,
          "the remaining pairs were scored")
    p = run("eval", "--model", model, "--data", ds, "--threads", "1")
    check(f"Skipped: {n_bad_pairs} pairs with an unreadable image" in p.stdout
          and text in p.stderr, "eval's table says how many pairs and names the file")

    # resume: the checkpoint's list carries over; nothing is named twice.
    p = run("train", "--data", ds, "--resume", model, "--epochs", "3", "--threads", "1",
            "--log", log)
    check(not any(b in p.stderr.split("skipped (listed")[0] for b in bad),
          "a resumed run does not name the images again")
    entries = [json.loads(line) for line in open(log)]
    check(sorted(e["file"] for e in entries if e["type"] == "skipped") == sorted(bad),
          "the appended log still has one line per image")
    check({s["file"] for s in json.loads(metadata(model)["skipped_images"])} == bad,
          "the resumed model's metadata still lists both")
print("PASS")
