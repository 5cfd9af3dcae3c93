#!/usr/bin/env bash
# bench/gabn-results.sh: the experiment behind docs/RESULTS.md.
#
#   1. Real faces: gabn-s trained on 30 of the 40 Olivetti people, verified
#      on pairs of the 10 held-out people.
#   2. Baseline vs GABN on the `small-region` synthetic preset, 3 seeds each:
#      per-group accuracy, mean, STD, SER, region sizes, JS divergence.
#
# Usage: bench/gabn-results.sh [olivetti|synth|synth-report|all]   (default all)
#   synth-report: only print the report of runs already in $OUT
# Environment (defaults in brackets):
#   GABN      the gabn binary [_build/src/cli/gabn]
#   OUT       where models, logs and JSON go [_build/bench-results]
#   THREADS   engine threads [2]
#   SEEDS     seeds of the synthetic runs ["1 2 3"]
#   SYNTH     synthetic dataset spec [synth:small-region,identities=40,images=8]
#   TRAIN_ARGS extra `gabn train` options of the synthetic runs (both methods)
#             ["--margin-s 32 --margin-m 0.3 --lr 0.1"]
#   GABN_ARGS extra options of the GABN runs only (λ_adv, λ_mask, N…) [""]
#   EVAL_ARGS extra `gabn eval` options ["--flip"]
#   EPOCHS    synthetic epochs [6];  BATCH [32];  OLIVETTI_EPOCHS [8]
#   PARALLEL  2: run each seed's baseline and GABN at once (give THREADS=1) [1]
#   OLIVETTI  the Olivetti folder [../shared/data/olivetti]
# Prints a Markdown report on stdout (paste it into docs/RESULTS.md) and
# keeps every model, JSONL log and eval JSON under $OUT.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GABN="${GABN:-$top/_build/src/cli/gabn}"
OUT="${OUT:-$top/_build/bench-results}"
THREADS="${THREADS:-2}"
SEEDS="${SEEDS:-1 2 3}"
SYNTH="${SYNTH:-synth:small-region,identities=40,images=8}"
TRAIN_ARGS="${TRAIN_ARGS:---margin-s 32 --margin-m 0.3 --lr 0.1}"
GABN_ARGS="${GABN_ARGS:-}"
EVAL_ARGS="${EVAL_ARGS---flip}"
EPOCHS="${EPOCHS:-6}"
BATCH="${BATCH:-32}"
PARALLEL="${PARALLEL:-1}"
OLIVETTI="${OLIVETTI:-$top/../shared/data/olivetti}"
OLIVETTI_EPOCHS="${OLIVETTI_EPOCHS:-8}"
what="${1:-all}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT"

run() { echo "+ $*" >&2; /usr/bin/time -f "  (%e s wall, %U s user)" "$@"; }

if [ "$what" = olivetti ] || [ "$what" = all ]; then
  m="$OUT/olivetti.safetensors"
  run "$GABN" train --data "$OLIVETTI" --out "$m" --holdout 0.25 \
      --epochs "$OLIVETTI_EPOCHS" --batch 30 --seed 1 \
      --threads "$THREADS" --log "$OUT/olivetti.jsonl" --quiet
  run "$GABN" eval --model "$m" --data "$OLIVETTI" --json > "$OUT/olivetti.json"
  "$PY" - "$OUT/olivetti.json" "$OLIVETTI_EPOCHS" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["groups"][0]
print("## Real faces: Olivetti\n")
print(f"gabn-s trained for {sys.argv[2]} epochs on 30 of the 40 Olivetti people "
      "(seeded held-out split by identity, recorded in the model), verified on "
      f"{g['pairs']} pairs of the 10 held-out people:\n")
print(f"- 10-fold verification accuracy: **{100*g['accuracy']:.1f} %** "
      f"(± {100*g['accuracy_std']:.1f} over folds; chance is 50 %)")
print(f"- TAR at FAR 1e-2: {100*g['tar_at_far']['1e-2']:.1f} % (few impostor pairs: "
      "a conservative estimate)\n")
PYEOF
fi

if [ "$what" = synth ] || [ "$what" = synth-report ] || [ "$what" = all ]; then
  one() {  # METHOD SEED: train, then evaluate on the held-out people
    local method=$1 seed=$2 m="$OUT/$1-$2.safetensors" extra=""
    [ "$method" = gabn ] && extra="$GABN_ARGS"
    # shellcheck disable=SC2086
    run "$GABN" train --data "$SYNTH" --out "$m" --method "$method" \
        --epochs "$EPOCHS" --batch "$BATCH" --seed "$seed" --threads "$THREADS" \
        $TRAIN_ARGS $extra --no-epoch-eval --log "$OUT/$method-$seed.jsonl" --quiet
    # shellcheck disable=SC2086
    run "$GABN" eval --model "$m" --data "$SYNTH" --threads "$THREADS" $EVAL_ARGS \
        --json > "$OUT/$method-$seed.json"
  }
  for seed in $SEEDS; do
    if [ "$what" = synth-report ]; then
      :
    elif [ "$PARALLEL" = 2 ]; then
      one baseline "$seed" & b=$!
      one gabn "$seed" & g=$!
      wait "$b"; wait "$g"
    else
      one baseline "$seed"
      one gabn "$seed"
    fi
  done
  "$PY" - "$OUT" "$SEEDS" "$SYNTH" "$EPOCHS" "$TRAIN_ARGS" "$BATCH" "$GABN_ARGS" "$EVAL_ARGS" <<'PYEOF'
import json, math, statistics, sys
out, seeds, synth, epochs, extra = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4], sys.argv[5]
batch, gabn_extra, eval_extra = sys.argv[6], sys.argv[7], sys.argv[8]
def pct(x): return "—" if x is None else f"{100*x:.1f}"
def num(x, d=3): return "undefined" if x is None else f"{x:.{d}f}"
def ms(xs, scale=1, d=1):
    xs = [x for x in xs if x is not None]
    if not xs: return "—"
    m = statistics.mean(xs) * scale
    s = statistics.pstdev(xs) * scale if len(xs) > 1 else 0.0
    return f"{m:.{d}f} ± {s:.{d}f}"
res = {m: [json.load(open(f"{out}/{m}-{s}.json")) for s in seeds] for m in ("baseline", "gabn")}
names = [g["name"] for g in res["baseline"][0]["groups"]]
print(f"## Baseline vs GABN on `{synth}` ({epochs} epochs, seeds {' '.join(seeds)})\n")
print("Reproduce (for each METHOD in baseline gabn, SEED in " + " ".join(seeds) + "):\n")
print("```")
print(f"gabn train --data {synth} --out METHOD-SEED.safetensors --method METHOD \\")
print(f"    --epochs {epochs} --batch {batch} --seed SEED {extra} --threads 1 --no-epoch-eval")
if gabn_extra:
    print(f"    # GABN runs add: {gabn_extra}")
print(f"gabn eval --model METHOD-SEED.safetensors --data {synth} --threads 1 {eval_extra} --json".replace("  ", " "))
print("```\n")
print("Mean ± population std over the seeds. Accuracies and STD in percent; "
      "region sizes are the fraction of the 8×8 cells holding 50 % / 80 % of the "
      "attention; JS in nats (reference group: the largest).\n")
print("| | " + " | ".join(f"{n} acc %" for n in names) +
      " | mean acc % | STD (pp) | SER | mean pairwise JS |")
print("|---" * (len(names) + 5) + "|")
for m in ("baseline", "gabn"):
    rs = res[m]
    cells = [ms([r["groups"][i]["accuracy"] for r in rs], 100) for i in range(len(names))]
    sers = [r["ser"] for r in rs]
    ser = ms(sers, 1, 2) if all(s is not None for s in sers) else \
          f"{ms(sers, 1, 2)} ({sum(s is None for s in sers)} undefined)"
    print(f"| {m} | " + " | ".join(cells) +
          f" | {ms([r['mean_accuracy'] for r in rs], 100)} | {ms([r['std'] for r in rs], 100, 2)}"
          f" | {ser} | {ms([r['mean_pairwise_js'] for r in rs], 1, 4)} |")
print()
print("| | " + " | ".join(f"{n} R50 / R80 / JS→ref" for n in names) + " |")
print("|---" * (len(names) + 1) + "|")
for m in ("baseline", "gabn"):
    rs = res[m]
    cells = []
    for i in range(len(names)):
        cells.append(ms([r["groups"][i]["region50"] for r in rs], 1, 3) + " / " +
                     ms([r["groups"][i]["region80"] for r in rs], 1, 3) + " / " +
                     ms([r["groups"][i]["js_to_reference"] for r in rs], 1, 4))
    print(f"| {m} | " + " | ".join(cells) + " |")
print()
for m in ("baseline", "gabn"):
    print(f"- {m} per seed: " + "; ".join(
        f"seed {s}: " + " / ".join(pct(g["accuracy"]) for g in r["groups"]) +
        f" %, mean {pct(r['mean_accuracy'])} %, STD {pct(r['std'])} pp, SER {num(r['ser'], 2)}"
        for s, r in zip(seeds, res[m])))
PYEOF
fi
