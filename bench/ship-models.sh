#!/usr/bin/env bash
# bench/ship-models.sh: the two models the app opens on its first run — a
# baseline and a GABN recognizer trained on the `realistic` faces at the
# experiment's validation seed (docs/RESULTS.md: the gate run and the GABN
# variant the tuning rule kept) — written to data/models/ in F16, their
# metadata naming the data, the schedule and how they were made.
#
#   bench/ship-models.sh            trains both (about 15 minutes on 2 cores)
#   FROM=DIR bench/ship-models.sh   converts DIR/val-baseline.safetensors and
#                                   DIR/val-gabn-2.safetensors from a run of
#                                   bench/gabn-experiment.sh instead
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GABN="${GABN:-$top/_build/src/cli/gabn}"
DATA="synth:realistic,identities=60,images=8,seed=1001"
COMMON=(--data "$DATA" --epochs 16 --batch 32 --seed 1001 --margin-s 32 --margin-m 0.3
        --lr 0.1 --threads 1 --no-epoch-eval --quiet)
GABN_OPTS=(--lambda-adv 0.1 --lambda-mask 0.5 --topn 8)
dest="$top/data/models"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "${FROM:-}" ]; then
  base="$FROM/val-baseline.safetensors"
  gabn="$FROM/val-gabn-2.safetensors"
else
  base="$work/baseline.safetensors"
  gabn="$work/gabn.safetensors"
  "$GABN" train "${COMMON[@]}" --out "$base" --method baseline &
  "$GABN" train "${COMMON[@]}" --out "$gabn" --method gabn "${GABN_OPTS[@]}" &
  wait
fi
mkdir -p "$dest"
for kind in baseline gabn; do
  src="$base"; [ "$kind" = gabn ] && src="$gabn"
  out="$dest/gabn-s-realistic-$kind.safetensors"
  rm -f "$out.new"
  "$GABN" convert --dtype f16 --set "data=$DATA" \
      --set "provenance=bench/ship-models.sh: the $kind of the experiment's validation seed (docs/RESULTS.md)" \
      "$src" "$out.new"
  mv "$out.new" "$out"
  echo "wrote $out"
done
