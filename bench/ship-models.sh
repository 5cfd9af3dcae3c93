#!/usr/bin/env bash
# bench/ship-models.sh: the two models the app opens on its first run — a
# baseline and a GABN recognizer trained on the `realistic` faces at the
# experiment's first validation seed with the recipe and GABN options of
# protocol v8 (docs/RESULTS.md) — written to data/models/ in F16, their
# metadata naming the data, the schedule and how they were made.
#
#   bench/ship-models.sh      trains both (about 20 minutes on 2 cores)
#   BASELINE_FROM=FILE bench/ship-models.sh
#                             takes the baseline from a run of
#                             bench/gabn-experiment.sh with the same recipe
#                             and seed (protocol v8's val-recipe-K-1001;
#                             training is deterministic, so it is the same
#                             model) and trains only the GABN one
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GABN="${GABN:-$top/_build/src/cli/gabn}"
DATA="synth:realistic,identities=60,images=8,seed=1001"
# Protocol v8's kept recipe (its recipe stage) and v3's fixed GABN options.
EPOCHS=48
COMMON=(--data "$DATA" --epochs "$EPOCHS" --batch 32 --seed 1001 --margin-s 32 --margin-m 0.3
        --lr 0.1 --threads 1 --no-epoch-eval --quiet)
GABN_OPTS=(--lambda-adv 0.1 --lambda-mask 0.5)
dest="$top/data/models"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

base="${BASELINE_FROM:-$work/baseline.safetensors}"
gabn="$work/gabn.safetensors"
pids=()
if [ -z "${BASELINE_FROM:-}" ]; then
  "$GABN" train "${COMMON[@]}" --out "$base" --method baseline & pids+=($!)
fi
"$GABN" train "${COMMON[@]}" --out "$gabn" --method gabn "${GABN_OPTS[@]}" & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done  # a failed training stops here
mkdir -p "$dest"
for kind in baseline gabn; do
  src="$base"; [ "$kind" = gabn ] && src="$gabn"
  out="$dest/gabn-s-realistic-$kind.safetensors"
  rm -f "$out.new"
  "$GABN" convert --dtype f16 --set "data=$DATA" \
      --set "provenance=bench/ship-models.sh: the $kind at the experiment's validation seed 1001, protocol v8's recipe (docs/RESULTS.md)" \
      "$src" "$out.new"
  mv "$out.new" "$out"
  echo "wrote $out"
done
