#!/usr/bin/env bash
# bench/gabn-experiment.sh: the baseline-vs-GABN experiment on the built-in
# synthetic faces, with its protocol fixed before it runs (docs/RESULTS.md).
#
#   recipe  (protocol v3; when RECIPE_SEEDS is set) baseline recipes on
#           `realistic` at the validation seeds; the one kept (the rule in
#           gabn_experiment_report.py `recipe`: fits its training people at
#           every seed, fewest epochs) sets EPOCHS and joins TRAIN_ARGS for
#           every later stage.
#   preset  (protocol v5; when PRESET_CANDIDATES is set) the strength of
#           the built-in bias: for each candidate in order (extra synthetic
#           settings, e.g. share=20), baselines at PRESET_SEEDS; the first
#           whose gate holds (at every seed with GATE_EACH_SEED) is kept and
#           joins the `realistic` runs' settings in every later stage;
#           none: stop.
#   gate    baseline on `realistic` at the validation seed: are Groups C and
#           D at least 5 points below A and B (and above 60 %), and do they
#           rely on the shortcut region (the outline) at least 1.5× as
#           much as A and B? If not, the PRESET is retuned, not GABN.
#           (With RECIPE_SEEDS: the kept recipe's runs, averaged over the
#           validation seeds; no new run.)
#   tune    GABN variants at the validation seed (other people than every
#           reported seed); the variant kept is fixed by the rule below.
#   main    for each seed S (data seed = training seed, so new people per
#           seed): baseline and GABN on `realistic`; on BALANCED_SEEDS,
#           baseline and GABN on `balanced` (the negative control).
#   report  the tables (Markdown on stdout) and the verdict of each
#           criterion; reads only what the stages wrote.
#
# With MODELS_FROM=DIR (protocol v4) nothing trains: every stage measures
# the model of the same name that an earlier run left in DIR (its log is
# copied beside the new JSON), on EVAL_SIZE's data — the same training
# people with more held-out ones (`heldout=N`).
#
# Usage: bench/gabn-experiment.sh [recipe|preset|gate|tune|main|report|all]   (default all)
# Environment (defaults in brackets):
#   GABN      the gabn binary [_build/src/cli/gabn]
#   OUT       where models, logs and JSON go [_build/experiment]
#   SEEDS     reported seeds of `realistic` ["1 2 3 4 5"];  VAL_SEED [1001]
#   BALANCED_SEEDS  seeds of the `balanced` control ["1 2 3"]
#   SIZE      synthetic settings [identities=60,images=8]
#   EPOCHS    [16];  PARALLEL  runs at once, one thread each [2]
#   TRAIN_ARGS  both methods ["--batch 32 --margin-s 32 --margin-m 0.3 --lr 0.1"]
#   EVAL_SIZE  synthetic settings of the evaluation [SIZE]
#   MODELS_FROM  measure DIR's trained models instead of training [""]
#   GATE_EACH_SEED  1: the gate must hold at every validation seed, not
#             only on their mean (protocol v4); accuracy: its accuracy
#             checks at every seed, the reliance check on the mean (v7) [""]
#   PRESET_CANDIDATES  ';'-separated synthetic settings tried in order [""]
#   PRESET_SEEDS  validation seeds of the preset stage ["1001 1002 1003"]
#   BALANCED_FROM  take the `balanced` control's measurements from DIR
#             (its preset has no collection knob, so an earlier protocol's
#             runs with the same recipe and GABN options are the same) [""]
#   RECIPE_SEEDS  validation seeds of the recipe stage ["": no recipe stage]
#   RECIPES   ';'-separated EPOCHS:OPTIONS baseline recipes ["32:;32:--margin-warmup 8;16:--margin-warmup 4"]
#   CHOSEN    GABN options fixed in advance: `tune` runs nothing [""]
#   VARIANTS  GABN variants tried in `tune`, ';'-separated option sets
#             ["--lambda-adv 0.1 --lambda-mask 0.5;--lambda-adv 0.1 --lambda-mask 0.5 --topn 8;--lambda-adv 0.5 --lambda-mask 0.5;--lambda-adv 0.1 --lambda-mask 0"]
# Selection rule (fixed in advance): among the variants whose validation
# mean accuracy is at most 1 point below the validation baseline's, the one
# with the lowest validation STD; if none qualifies, the lowest STD.
set -euo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GABN="${GABN:-$top/_build/src/cli/gabn}"
OUT="${OUT:-$top/_build/experiment}"
SEEDS="${SEEDS:-1 2 3 4 5}"
BALANCED_SEEDS="${BALANCED_SEEDS:-1 2 3}"
VAL_SEED="${VAL_SEED:-1001}"
RECIPE_SEEDS="${RECIPE_SEEDS:-}"
RECIPES="${RECIPES:-32:;32:--margin-warmup 8;16:--margin-warmup 4}"
CHOSEN="${CHOSEN:-}"
SIZE="${SIZE:-identities=60,images=8}"
EVAL_SIZE="${EVAL_SIZE:-$SIZE}"
MODELS_FROM="${MODELS_FROM:-}"
GATE_EACH_SEED="${GATE_EACH_SEED:-}"
PRESET_CANDIDATES="${PRESET_CANDIDATES:-}"
PRESET_SEEDS="${PRESET_SEEDS:-1001 1002 1003}"
BALANCED_FROM="${BALANCED_FROM:-}"
REALISTIC_EXTRA=""
EPOCHS="${EPOCHS:-16}"
PARALLEL="${PARALLEL:-2}"
TRAIN_ARGS="${TRAIN_ARGS:---batch 32 --margin-s 32 --margin-m 0.3 --lr 0.1}"
VARIANTS="${VARIANTS:---lambda-adv 0.1 --lambda-mask 0.5;--lambda-adv 0.1 --lambda-mask 0.5 --topn 8;--lambda-adv 0.5 --lambda-mask 0.5;--lambda-adv 0.1 --lambda-mask 0}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
what="${1:-all}"
mkdir -p "$OUT"
if [ -n "$MODELS_FROM" ]; then
  # The earlier run's choices come with its models (its recipe and GABN
  # options were fixed on its own validation runs).
  for f in "$MODELS_FROM"/val-recipe-*.recipe "$MODELS_FROM"/chosen.options; do
    [ -e "$f" ] && [ ! -e "$OUT/$(basename "$f")" ] && cp "$f" "$OUT/"
  done
fi

# run NAME PRESET SEED METHOD [epochs=E] [extra=SETTINGS] [OPTIONS…]: train,
# then evaluate on the seed's held-out people; skipped when NAME.json exists
# (resumable).
run() {
  local name=$1 preset=$2 seed=$3 method=$4 epochs=$EPOCHS extra=""; shift 4
  if [[ "${1:-}" == epochs=* ]]; then epochs=${1#epochs=}; shift; fi
  if [[ "${1:-}" == extra=* ]]; then extra=",${1#extra=}"; shift
  elif [ "$preset" = realistic ] && [ -n "$REALISTIC_EXTRA" ]; then extra=",$REALISTIC_EXTRA"; fi
  local data="synth:$preset,$SIZE$extra,seed=$seed" m="$OUT/$name.safetensors"
  local eval_data="synth:$preset,$EVAL_SIZE$extra,seed=$seed"
  [ -s "$OUT/$name.json" ] && return 0
  if [ -n "$MODELS_FROM" ]; then
    m="$MODELS_FROM/$name.safetensors"
    [ -s "$m" ] && [ -s "$MODELS_FROM/$name.json" ] \
      || { echo "+ $name: no finished model in $MODELS_FROM, skipped" >&2; return 0; }
    echo "+ $name: measuring $m on $eval_data" >&2
    cp "$MODELS_FROM/$name.jsonl" "$OUT/$name.jsonl"
  elif [ -s "$m.state" ]; then
    # A run cut short continues from its last epoch's checkpoint (the same
    # trainer state); the log keeps only the steps that checkpoint holds.
    echo "+ $name: resumed from $m" >&2
    "$PY" "$top/bench/gabn_experiment_report.py" trim-log "$m.state" "$OUT/$name.jsonl"
    "$GABN" train --data "$data" --resume "$m" --epochs "$epochs" --threads 1 \
        --no-epoch-eval --log "$OUT/$name.jsonl" --quiet
  else
    echo "+ $name: $method $* on $data" >&2
    # shellcheck disable=SC2086
    "$GABN" train --data "$data" --out "$m" --method "$method" --epochs "$epochs" \
        --seed "$seed" --threads 1 $TRAIN_ARGS "$@" --no-epoch-eval \
        --log "$OUT/$name.jsonl" --quiet
  fi
  "$GABN" eval --model "$m" --data "$eval_data" --threads 1 --flip --json > "$OUT/$name.json.tmp"
  mv "$OUT/$name.json.tmp" "$OUT/$name.json"
}

# Runs the queued jobs (lines of arguments to run) PARALLEL at a time.
queue=()
flush() {
  for job in "${queue[@]}"; do
    # Count the running jobs rather than the waits: `wait -n` can return at
    # once for a job an earlier `wait` already reaped (protocol v7 ran
    # three at a time after its preset stage).
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n || true; done
    # shellcheck disable=SC2086
    run $job &
  done
  wait
  queue=()
}

if [ -n "$RECIPE_SEEDS" ] && { [ "$what" = recipe ] || [ "$what" = all ]; }; then
  i=0
  IFS=';' read -r -a recipes <<< "$RECIPES"
  for r in "${recipes[@]}"; do
    i=$((i + 1))
    echo "$r" > "$OUT/val-recipe-$i.recipe"
    for s in $RECIPE_SEEDS; do
      queue+=("val-recipe-$i-$s realistic $s baseline epochs=${r%%:*} ${r#*:}")
    done
  done
  flush
  "$PY" "$top/bench/gabn_experiment_report.py" recipe "$OUT" "$RECIPE_SEEDS" > "$OUT/recipe.chosen"
fi
# The kept recipe sets the schedule of everything after it.
recipe_index=""
if [ -n "$RECIPE_SEEDS" ] && [ "$what" != recipe ]; then
  [ -s "$OUT/recipe.chosen" ] || { echo "run the recipe stage first" >&2; exit 1; }
  chosen_recipe="$(cat "$OUT/recipe.chosen")"
  EPOCHS="${chosen_recipe%%:*}"
  TRAIN_ARGS="$TRAIN_ARGS ${chosen_recipe#*:}"
  for f in "$OUT"/val-recipe-*.recipe; do
    [ "$(cat "$f")" = "$chosen_recipe" ] && recipe_index="$(basename "$f" .recipe)" && recipe_index="${recipe_index#val-recipe-}"
  done
fi

if [ -n "$PRESET_CANDIDATES" ] && { [ "$what" = preset ] || [ "$what" = all ]; }; then
  if [ ! -s "$OUT/preset.chosen" ]; then
    i=0
    IFS=';' read -r -a candidates <<< "$PRESET_CANDIDATES"
    saved_parallel=$PARALLEL
    PARALLEL=$(wc -w <<< "$PRESET_SEEDS")  # a candidate's runs all at once
    for cand in "${candidates[@]}"; do
      i=$((i + 1))
      echo "$cand" > "$OUT/val-preset-$i.settings"
      for s in $PRESET_SEEDS; do
        queue+=("val-preset-$i-$s realistic $s baseline extra=$cand")
      done
      flush
      echo "Preset candidate $i ($cand):" >&2
      if "$PY" "$top/bench/gabn_experiment_report.py" gate "$OUT" "preset-$i" "$PRESET_SEEDS" \
          "$GATE_EACH_SEED"; then
        echo "$cand" > "$OUT/preset.chosen"
        break
      fi
    done
    PARALLEL=$saved_parallel
  fi
  [ -s "$OUT/preset.chosen" ] || { echo "no preset candidate passes the gate: no GABN run" >&2; exit 1; }
  echo "preset settings kept: $(cat "$OUT/preset.chosen")" >&2
fi
if [ -n "$PRESET_CANDIDATES" ] && [ "$what" != preset ]; then
  [ -s "$OUT/preset.chosen" ] || { echo "run the preset stage first" >&2; exit 1; }
  REALISTIC_EXTRA="$(cat "$OUT/preset.chosen")"
fi

if [ -n "$PRESET_CANDIDATES" ]; then
  :  # the preset stage was the gate
elif [ "$what" = gate ] || [ "$what" = all ]; then
  if [ -n "$recipe_index" ]; then
    if ! "$PY" "$top/bench/gabn_experiment_report.py" gate "$OUT" "$recipe_index" "$RECIPE_SEEDS" \
        "$GATE_EACH_SEED"; then
      # A failed gate stops new training; already-trained models are still
      # measured, and the report says the gate failed.
      [ "$what" = all ] && [ -z "$MODELS_FROM" ] && exit 1
      touch "$OUT/gate.failed"
    else
      rm -f "$OUT/gate.failed"
    fi
  else
    queue+=("val-baseline realistic $VAL_SEED baseline")
    flush
    "$PY" "$top/bench/gabn_experiment_report.py" gate "$OUT" || { [ "$what" = all ] && exit 1; }
  fi
fi

if [ -n "$CHOSEN" ] && { [ "$what" = tune ] || [ "$what" = all ]; }; then
  echo "$CHOSEN" > "$OUT/chosen.options"
  echo "GABN options fixed in advance: $CHOSEN" >&2
elif [ "$what" = tune ] || [ "$what" = all ]; then
  i=0
  IFS=';' read -r -a variants <<< "$VARIANTS"
  for v in "${variants[@]}"; do
    i=$((i + 1))
    echo "$v" > "$OUT/val-gabn-$i.options"
    queue+=("val-gabn-$i realistic $VAL_SEED gabn $v")
  done
  flush
  "$PY" "$top/bench/gabn_experiment_report.py" tune "$OUT" > "$OUT/chosen.options"
  echo "chosen GABN options: $(cat "$OUT/chosen.options")" >&2
fi

if [ "$what" = main ] || [ "$what" = all ]; then
  [ -s "$OUT/chosen.options" ] || { echo "run the tune stage first" >&2; exit 1; }
  chosen="$(cat "$OUT/chosen.options")"
  for s in $SEEDS; do
    queue+=("realistic-baseline-$s realistic $s baseline")
    queue+=("realistic-gabn-$s realistic $s gabn $chosen")
  done
  for s in $BALANCED_SEEDS; do
    if [ -n "$BALANCED_FROM" ]; then
      for m in baseline gabn; do
        for ext in json jsonl; do
          f="$BALANCED_FROM/balanced-$m-$s.$ext"
          if [ -s "$BALANCED_FROM/balanced-$m-$s.json" ] && [ ! -s "$OUT/balanced-$m-$s.$ext" ]; then
            cp "$f" "$OUT/"
          fi
        done
      done
      continue
    fi
    queue+=("balanced-baseline-$s balanced $s baseline")
    queue+=("balanced-gabn-$s balanced $s gabn $chosen")
  done
  flush
fi

if [ "$what" = report ] || [ "$what" = all ]; then
  val_seeds="${RECIPE_SEEDS:-$VAL_SEED}"
  [ -n "$PRESET_CANDIDATES" ] && val_seeds="$PRESET_SEEDS"
  "$PY" "$top/bench/gabn_experiment_report.py" report "$OUT" "$SEEDS" \
      "$SIZE${REALISTIC_EXTRA:+ (realistic: $REALISTIC_EXTRA)}" "$EPOCHS" "$TRAIN_ARGS" \
      "$val_seeds" "$BALANCED_SEEDS" "$EVAL_SIZE"
fi
