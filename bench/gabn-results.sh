#!/usr/bin/env bash
# bench/gabn-results.sh: the real-face figure of docs/RESULTS.md.
#
#   1. Real faces: gabn-s trained on 30 of the 40 Olivetti people, verified
#      on pairs of the 10 held-out people.
#   (Baseline vs GABN on the synthetic faces: bench/gabn-experiment.sh.)
#
# Usage: bench/gabn-results.sh [olivetti|all]   (default all)
# Environment (defaults in brackets):
#   GABN      the gabn binary [_build/src/cli/gabn]
#   OUT       where models, logs and JSON go [_build/bench-results]
#   THREADS   engine threads [2]
#   OLIVETTI  the Olivetti folder [data/olivetti]
# Prints a Markdown report on stdout (paste it into docs/RESULTS.md) and
# keeps every model, JSONL log and eval JSON under $OUT.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GABN="${GABN:-$top/_build/src/cli/gabn}"
OUT="${OUT:-$top/_build/bench-results}"
THREADS="${THREADS:-2}"
OLIVETTI="${OLIVETTI:-$top/data/olivetti}"
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
