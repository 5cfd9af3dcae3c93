#!/usr/bin/env python3
"""The gate, the tuning choice and the report of bench/gabn-experiment.sh.

    gabn_experiment_report.py recipe OUT SEEDS     (prints the chosen "EPOCHS:OPTIONS")
    gabn_experiment_report.py gate OUT [recipe-I|preset-I SEEDS [EACH_SEED]]
    gabn_experiment_report.py tune OUT            (prints the chosen options)
    gabn_experiment_report.py report OUT SEEDS SIZE EPOCHS TRAIN_ARGS VAL_SEED BALANCED_SEEDS [EVAL_SIZE]
    gabn_experiment_report.py trim-log MODEL.state LOG.jsonl

Reads the `gabn eval --json` files the stages wrote. Standard library only.
Accuracies are fractions in JSON and percent (points) here.
"""
import json
import math
import os
import statistics
import sys

SHORTCUT = ("outline",)
# A run fits its training people when the mean margin loss of its last
# epoch is below this (protocol v3; the validation baseline of protocol v2
# reached 0.17, the runs that stalled 2–10).
FIT_LOSS = 1.0
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
       8: 2.306, 9: 2.262, 10: 2.228}


def load(out, name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)


def acc(r, g):
    return 100 * r["groups"][g]["accuracy"]


def shortcut(r, g):
    rel = r["groups"][g].get("reliance")
    return sum(rel[k] for k in SHORTCUT) if rel else None


def log_steps(out, name):
    """The step records of NAME's training log."""
    with open(os.path.join(out, name + ".jsonl")) as f:
        return [json.loads(l) for l in f if '"type":"step"' in l]


def last_epoch(steps):
    last = max(s["epoch"] for s in steps)
    return [s for s in steps if s["epoch"] == last]


def last_epoch_steps(out, name):
    """The step records of the last epoch of NAME's log."""
    return last_epoch(log_steps(out, name))


def final_loss(out, name):
    """The mean margin loss over the last epoch's steps of NAME's log."""
    return statistics.mean(s["loss_arc"] for s in last_epoch_steps(out, name))


def diagnostics(out, seeds):
    """The adversary as its GABN runs logged it, last epoch: how often D
    tells the group from a batch's maps (chance 1/groups), the
    confusion loss, and ‖λ_adv·∂L_conf/∂A‖ / ‖∂L_arc/∂A‖ — how hard the
    balance term pushes on the map against the recognition loss."""
    print("GABN's adversary in its last epoch (means over the epoch's steps; "
          "D's accuracy is on the training batch's maps, chance 25 %; the gradient "
          "ratio is the median over the steps):\n")
    print("| seed | D accuracy | D loss | L_adv | L_mask | L_arc | ‖λ·∂L_conf/∂A‖ / ‖∂L_arc/∂A‖ |")
    print("|---|---|---|---|---|---|---|")
    logs = {s: log_steps(out, f"realistic-gabn-{s}") for s in seeds}
    for s in seeds:
        st = last_epoch(logs[s])
        ratios = [x["grad_ratio"] for x in st if x.get("grad_ratio") is not None]
        m = lambda k: statistics.mean(x[k] for x in st)
        print(f"| {s} | {fmt(100 * m('disc_accuracy'))} % | {fmt(m('disc_loss'), 3)} "
              f"| {fmt(m('loss_adv'), 3)} | {fmt(m('loss_mask'), 2)} | {fmt(m('loss_arc'), 2)} "
              f"| {fmt(statistics.median(ratios), 4) if ratios else '—'} |")
    print()
    # The same over training: the balance term matters while the
    # features form, not once the recognition loss has vanished.
    print("Over training (median gradient ratio / D's mean batch accuracy, per quarter of "
          "the epochs):\n")
    print("| seed | first quarter | second | third | fourth |")
    print("|---|---|---|---|---|")
    for s in seeds:
        st = logs[s]
        n = max(x["epoch"] for x in st) + 1
        cells = []
        for q in range(4):
            part = [x for x in st if q * n // 4 <= x["epoch"] < (q + 1) * n // 4]
            r = [x["grad_ratio"] for x in part if x.get("grad_ratio") is not None]
            cells.append(f"{fmt(statistics.median(r), 3) if r else '—'} / "
                         f"{fmt(100 * statistics.mean(x['disc_accuracy'] for x in part))} %"
                         if part else "—")
        print(f"| {s} | " + " | ".join(cells) + " |")
    print()


def numbered(out, stem, ext):
    """(i, text) of OUT/STEM-1.EXT, STEM-2.EXT, … up to the first missing:
    the option sets the shell script wrote for each run it queued."""
    i = 1
    while os.path.exists(os.path.join(out, f"{stem}-{i}.{ext}")):
        with open(os.path.join(out, f"{stem}-{i}.{ext}")) as f:
            yield i, f.read().strip()
        i += 1


def recipe(out, seeds):
    """Protocol v3's first stage: the baseline recipe. Among the recipes
    that fit at every validation seed, the one with the fewest epochs (ties:
    the highest mean accuracy over the seeds); if none fits everywhere, the
    one whose worst seed's final loss is lowest."""
    seeds = seeds.split()
    rows = []
    for i, rec in numbered(out, "val-recipe", "recipe"):
        epochs = int(rec.split(":", 1)[0])
        losses = [final_loss(out, f"val-recipe-{i}-{s}") for s in seeds]
        means = [100 * load(out, f"val-recipe-{i}-{s}")["mean_accuracy"] for s in seeds]
        rows.append((i, rec, epochs, losses, statistics.mean(means)))
    fits = [r for r in rows if max(r[3]) < FIT_LOSS]
    if fits:
        chosen = min(fits, key=lambda r: (r[2], -r[4]))
    else:
        chosen = min(rows, key=lambda r: max(r[3]))
    print(f"Baseline recipes at validation seeds {' '.join(seeds)} (final margin loss per "
          f"seed; fits below {FIT_LOSS}):", file=sys.stderr)
    for i, rec, epochs, losses, mean in rows:
        mark = " <- chosen" if i == chosen[0] else ""
        print(f"  recipe {i} ({rec}): loss " + " ".join(f"{l:.2f}" for l in losses) +
              f", mean accuracy {mean:.1f} %{mark}", file=sys.stderr)
    if not fits:
        print("  no recipe fits at every seed: fitting stays a confound", file=sys.stderr)
    print(chosen[1])
    return 0


def mean_result(rs):
    """The runs' accuracies and reliance averaged per group."""
    n = len(rs[0]["groups"])
    a = [statistics.mean(acc(r, g) for r in rs) for g in range(n)]
    s = [None if any(shortcut(r, g) is None for r in rs)
         else statistics.mean(shortcut(r, g) for r in rs) for g in range(n)]
    return a, s


def gate_checks(a, s):
    """The gate's three checks on per-group accuracies a and shortcut
    reliance s: (text, held) pairs."""
    top = min(a[0], a[1])
    checks = [
        (f"C and D at least 5 points below A and B (A {a[0]:.1f}, B {a[1]:.1f}, "
         f"C {a[2]:.1f}, D {a[3]:.1f} %)", a[2] <= top - 5 and a[3] <= top - 5),
        (f"C and D above 60 % ({a[2]:.1f}, {a[3]:.1f} %)", a[2] > 60 and a[3] > 60),
    ]
    if None not in s:
        ref = max(s[0], s[1])
        checks.append((f"C and D rely on the shortcut (outline) at least 1.5× as much as A and B "
                       f"(A {s[0]:.3f}, B {s[1]:.3f}, C {s[2]:.3f}, D {s[3]:.3f}; "
                       f"C/ref {s[2] / ref:.2f}×, D/ref {s[3] / ref:.2f}×)",
                       s[2] >= 1.5 * ref and s[3] >= 1.5 * ref))
    else:
        checks.append(("reliance missing from the eval JSON", False))
    return checks


def gate(out, recipe_index=None, seeds=None, each_seed=""):
    """The gate on the mean of the validation runs; with each_seed (protocol
    v4) it must also hold at every validation seed on its own; with
    each_seed "accuracy" (protocol v7) only its accuracy checks must."""
    if recipe_index:
        # "recipe-I" or "preset-I" (a bare I: a recipe, as protocol v3 wrote it)
        stem = recipe_index if "-" in recipe_index else f"recipe-{recipe_index}"
        names_runs = [(f"seed {s}", f"val-{stem}-{s}") for s in seeds.split()]
        what = f"{stem.replace('-', ' ')}, mean over validation seeds {seeds}"
    else:
        names_runs = [("", "val-baseline")]
        what = "the validation baseline"
    rs = [load(out, run) for _, run in names_runs]
    names = [g["name"] for g in rs[0]["groups"]]
    checks = gate_checks(*mean_result(rs))
    ok = all(c for _, c in checks)
    print(f"Gate on {what} ({', '.join(names)}):", file=sys.stderr)
    for text, c in checks:
        print(f"  [{'held' if c else 'FAILED'}] {text}", file=sys.stderr)
    if each_seed and len(rs) > 1:
        for (label, _), r in zip(names_runs, rs):
            seed_checks = gate_checks(*mean_result([r]))
            if each_seed == "accuracy":
                seed_checks = seed_checks[:2]
            ok = ok and all(c for _, c in seed_checks)
            print(f"  At {label}:", file=sys.stderr)
            for text, c in seed_checks:
                print(f"    [{'held' if c else 'FAILED'}] {text}", file=sys.stderr)
    rule = ""
    if each_seed == "accuracy" and len(rs) > 1:
        rule = " (on the mean, and its accuracy checks at every validation seed)"
    elif each_seed and len(rs) > 1:
        rule = " (on the mean and at every validation seed)"
    print(f"  The gate{rule} {'held' if ok else 'FAILED'}.", file=sys.stderr)
    return 0 if ok else 1


def tune(out):
    base = load(out, "val-baseline")
    rows = []
    for i, opts in numbered(out, "val-gabn", "options"):
        r = load(out, f"val-gabn-{i}")
        rows.append((i, opts, 100 * r["mean_accuracy"], 100 * r["std"]))
    ok = [row for row in rows if row[2] >= 100 * base["mean_accuracy"] - 1]
    chosen = min(ok or rows, key=lambda row: row[3])
    print(f"Validation baseline: mean {100 * base['mean_accuracy']:.1f} %, "
          f"STD {100 * base['std']:.2f} pp", file=sys.stderr)
    for i, opts, m, sd in rows:
        mark = " <- chosen" if i == chosen[0] else ""
        print(f"  variant {i} ({opts}): mean {m:.1f} %, STD {sd:.2f} pp{mark}", file=sys.stderr)
    print(chosen[1])
    return 0


def fmt(x, d=1):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"


def interval(diffs):
    n = len(diffs)
    m = statistics.mean(diffs)
    if n < 2:
        return m, float("nan"), float("nan")
    h = T95.get(n - 1, 1.96) * statistics.stdev(diffs) / math.sqrt(n)
    return m, m - h, m + h


def per_seed_table(out, preset, seeds, names):
    print(f"| {preset} | seed | " + " | ".join(f"{n} %" for n in names) +
          " | mean % | STD pp | SER | R50 " + "/".join(n[-1] for n in names) +
          " | outline reliance " + "/".join(n[-1] for n in names) + " | probe % | final loss |")
    print("|---" * (len(names) + 9) + "|")
    for method in ("baseline", "gabn"):
        for s in seeds:
            r = load(out, f"{preset}-{method}-{s}")
            probe = r.get("probe_accuracy")
            print(f"| {method} | {s} | " + " | ".join(fmt(acc(r, g)) for g in range(len(names))) +
                  f" | {fmt(100 * r['mean_accuracy'])} | {fmt(100 * r['std'], 2)}"
                  f" | {fmt(r['ser'], 2) if r['ser'] is not None else 'undefined'}"
                  f" | " + "/".join(fmt(g['region50'], 2) for g in r["groups"]) +
                  " | " + "/".join(fmt(shortcut(r, g), 2) for g in range(len(names))) +
                  f" | {fmt(100 * probe) if probe is not None else '—'}"
                  f" | {fmt(final_loss(out, f'{preset}-{method}-{s}'), 2)} |")
    print()


def summary(out, preset, seeds, names):
    """Medians per method and paired differences GABN − baseline."""
    res = {m: [load(out, f"{preset}-{m}-{s}") for s in seeds] for m in ("baseline", "gabn")}
    print(f"Medians over seeds {' '.join(seeds)} (SER: median of the defined values, "
          "with the count of undefined):\n")
    print("| method | " + " | ".join(f"{n} %" for n in names) + " | mean % | STD pp | SER |")
    print("|---" * (len(names) + 4) + "|")
    for m in ("baseline", "gabn"):
        rs = res[m]
        sers = [r["ser"] for r in rs if r["ser"] is not None]
        und = len(rs) - len(sers)
        ser = (fmt(statistics.median(sers), 2) if sers else "—") + (f" ({und} undefined)" if und else "")
        print(f"| {m} | " + " | ".join(fmt(statistics.median(acc(r, g) for r in rs)) for g in range(len(names))) +
              f" | {fmt(statistics.median(100 * r['mean_accuracy'] for r in rs))}"
              f" | {fmt(statistics.median(100 * r['std'] for r in rs), 2)} | {ser} |")
    print()
    diffs = {}
    def d(key, f):
        diffs[key] = [f(g) - f(b) for b, g in zip(res["baseline"], res["gabn"])]
    d("STD (pp)", lambda r: 100 * r["std"])
    d("mean accuracy (points)", lambda r: 100 * r["mean_accuracy"])
    for g, n in enumerate(names):
        d(f"{n} accuracy (points)", lambda r, g=g: acc(r, g))
    for g, n in enumerate(names):
        if all(shortcut(r, g) is not None for r in res["baseline"] + res["gabn"]):
            d(f"{n} outline reliance share", lambda r, g=g: shortcut(r, g))
    if all(r.get("probe_accuracy") is not None for r in res["baseline"] + res["gabn"]):
        d("group probe accuracy (points)", lambda r: 100 * r["probe_accuracy"])
    d("mean pairwise JS (nats)", lambda r: r["mean_pairwise_js"])
    print("Paired differences, GABN − baseline, same seed (mean and 95 % t-interval "
          f"over {len(seeds)} seeds; per seed in brackets):\n")
    print("| quantity | mean | 95 % interval | per seed |")
    print("|---|---|---|---|")
    for k, v in diffs.items():
        m, lo, hi = interval(v)
        dd = 3 if "share" in k or "JS" in k else 2
        print(f"| {k} | {fmt(m, dd)} | [{fmt(lo, dd)}, {fmt(hi, dd)}] | "
              + ", ".join(fmt(x, dd) for x in v) + " |")
    print()
    return res, diffs


def complete(out, preset, seeds):
    """The seeds whose baseline and GABN runs both finished."""
    return [s for s in seeds
            if all(os.path.exists(os.path.join(out, f"{preset}-{m}-{s}.json"))
                   for m in ("baseline", "gabn"))]


def report(out, seeds, size, epochs, train_args, val_seed, balanced_seeds, eval_size=None):
    planned = {"realistic": seeds.split(), "balanced": balanced_seeds.split()}
    preset_seeds = {p: complete(out, p, planned[p]) for p in planned}
    for p in planned:
        missing = [s for s in planned[p] if s not in preset_seeds[p]]
        if missing:
            print(f"**Not finished: `{p}` seeds {' '.join(missing)}** — the tables below "
                  "cover the finished seeds only.\n")
    seeds = preset_seeds["realistic"]
    first = load(out, f"realistic-baseline-{seeds[0]}")
    names = [g["name"] for g in first["groups"]]
    with open(os.path.join(out, "chosen.options")) as f:
        chosen = f.read().strip()
    print(f"Data `synth:PRESET,{size},seed=S` for S in {' '.join(seeds)} on `realistic`, "
          f"{' '.join(preset_seeds['balanced'])} on `balanced` (new people per "
          f"seed), gabn-s, {epochs} epochs, `{train_args}`, one thread; GABN options "
          f"`{chosen}`, chosen at validation seed(s) {val_seed}. Evaluation: `gabn eval --flip` "
          "on the seed's held-out people" +
          (f", measured on `synth:PRESET,{eval_size},seed=S` (the same training people, "
           "more held-out ones)" if eval_size and eval_size != size else "") + ".\n")
    if os.path.exists(os.path.join(out, "gate.failed")):
        print("**The gate failed** (see the gate's output): the baseline does not show the "
              "built-in bias it is meant to, so what follows is not a test of GABN.\n")
    bal = None
    for preset in ("realistic", "balanced"):
        if not preset_seeds[preset]:
            continue
        print(f"### `{preset}`\n")
        per_seed_table(out, preset, preset_seeds[preset], names)
        res, diffs = summary(out, preset, preset_seeds[preset], names)
        if preset == "realistic":
            real = (res, diffs)
            fitted = [s for s in seeds
                      if all(final_loss(out, f"realistic-{m}-{s}") < FIT_LOSS
                             for m in ("baseline", "gabn"))]
            if 2 <= len(fitted) < len(seeds):
                print(f"Secondary, not a criterion: the seeds where both runs fit (final loss "
                      f"below {FIT_LOSS}: {' '.join(fitted)}).\n")
                summary(out, "realistic", fitted, names)
        else:
            bal = (res, diffs)
    diagnostics(out, seeds)
    # The criteria of docs/RESULTS.md, each with its numbers.
    res, diffs = real
    std_d = diffs["STD (pp)"]
    m_std, lo_std, hi_std = interval(std_d)
    falls = sum(x < 0 for x in std_d)
    need = len(seeds) - 1 if len(seeds) >= 5 else len(seeds)
    crit = [(f"STD falls on at least {need} of {len(seeds)} seeds ({falls} did) and the interval of "
             f"ΔSTD is below 0 ([{fmt(lo_std, 2)}, {fmt(hi_std, 2)}])", falls >= need and hi_std < 0)]
    for g in (2, 3):
        k = f"{names[g]} accuracy (points)"
        crit.append((f"{names[g]} rises (mean Δ {fmt(statistics.mean(diffs[k]), 2)})",
                     statistics.mean(diffs[k]) > 0))
    for g in (0, 1):
        k = f"{names[g]} accuracy (points)"
        crit.append((f"{names[g]} loses at most 2 points (mean Δ {fmt(statistics.mean(diffs[k]), 2)})",
                     statistics.mean(diffs[k]) >= -2))
    k = "mean accuracy (points)"
    crit.append((f"mean accuracy loses at most 1 point (mean Δ {fmt(statistics.mean(diffs[k]), 2)})",
                 statistics.mean(diffs[k]) >= -1))
    for g in (2, 3):
        k = f"{names[g]} outline reliance share"
        if k in diffs:
            crit.append((f"{names[g]}'s reliance widens: its outline share falls "
                         f"(mean Δ {fmt(statistics.mean(diffs[k]), 3)})", statistics.mean(diffs[k]) < 0))
    k = "group probe accuracy (points)"
    if k in diffs:
        crit.append((f"the group probe falls (mean Δ {fmt(statistics.mean(diffs[k]), 2)})",
                     statistics.mean(diffs[k]) < 0))
    else:
        crit.append(("the group probe falls: not measured (no probe_accuracy in the eval JSON)", False))
    if bal is not None and len(preset_seeds["balanced"]) >= 2:
        bres, bdiffs = bal
        spread = statistics.pstdev(100 * r["std"] for r in bres["baseline"])
        bm = statistics.mean(bdiffs["STD (pp)"])
        crit.append((f"on balanced, |ΔSTD| ({fmt(abs(bm), 2)} pp) within the seed-to-seed spread of "
                     f"the baseline's STD ({fmt(spread, 2)} pp)", abs(bm) <= spread))
    else:
        crit.append(("on balanced: fewer than two seeds finished, not measured", False))
    print("### Criteria (fixed before the runs)\n")
    for text, ok in crit:
        print(f"- **{'held' if ok else 'not held'}**: {text}")
    held = sum(ok for _, ok in crit)
    print(f"\n{held} of {len(crit)} criteria held.")
    return 0

def trim_log(state, log):
    """Before a resume: drop the log's steps past the checkpoint's step
    (they will run again), so every step appears once."""
    with open(state, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        step = int(json.loads(f.read(size))["__metadata__"]["step"])
    if not os.path.exists(log):
        return 0
    with open(log) as f:
        lines = [l for l in f if json.loads(l).get("step", 0) <= step]
    with open(log + ".tmp", "w") as f:
        f.writelines(lines)
    os.replace(log + ".tmp", log)
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "recipe":
        sys.exit(recipe(sys.argv[2], sys.argv[3]))
    if cmd == "gate":
        sys.exit(gate(*sys.argv[2:6]))
    if cmd == "tune":
        sys.exit(tune(sys.argv[2]))
    if cmd == "trim-log":
        sys.exit(trim_log(sys.argv[2], sys.argv[3]))
    sys.exit(report(*sys.argv[2:10]))
