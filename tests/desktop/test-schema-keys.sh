#!/usr/bin/env bash
# tests/desktop/test-schema-keys.sh SCHEMA_DIR APP_ID
# The compiled schema holds exactly the keys agreed with the app
# (src/app/gabn-settings.c), with their defaults and ranges.
set -euo pipefail
export GSETTINGS_SCHEMA_DIR="$1" GSETTINGS_BACKEND=memory
schema="$2"
command -v gsettings >/dev/null || { echo "gsettings is not installed: skipping"; exit 77; }

expected_keys="cam-method 'gradcam'
color-scheme 'default'
colormap 'viridis'
last-dataset-folder ''
last-model-folder ''
mask-style 'outline'
overlay-opacity 0.55000000000000004
recent-datasets @as []
recent-models @as []
threads 0
topn-fraction 0.33300000000000002
window-height 800
window-maximized false
window-width 1200"
actual_keys="$(gsettings list-recursively "$schema" | sed "s/^$schema //" | sort)"
if [ "$actual_keys" != "$expected_keys" ]; then
  echo "keys and defaults differ from the agreed schema:" >&2
  diff <(echo "$expected_keys") <(echo "$actual_keys") >&2 || true
  exit 1
fi

fail=0
expect_range() {  # KEY EXPECTED
  local got
  got="$(gsettings range "$schema" "$1" | tr '\n' ' ' | sed 's/ $//')"
  if [ "$got" != "$2" ]; then
    echo "range of $1 is “$got”, expected “$2”" >&2
    fail=1
  fi
}
expect_range colormap "enum 'viridis' 'inferno' 'jet' 'grey'"
expect_range overlay-opacity "range d 0.0 1.0"
expect_range cam-method "enum 'gradcam' 'gradcam++' 'hirescam' 'xgradcam' 'layercam'"
expect_range mask-style "enum 'outline' 'fill'"
expect_range topn-fraction "range d 0.02 1.0"
expect_range threads "range i 0 64"
expect_range color-scheme "enum 'default' 'light' 'dark'"

# An out-of-range value must be refused by the schema itself.
if gsettings set "$schema" threads 65 2>/dev/null; then
  echo "threads accepted 65 (range is 0..64)" >&2
  fail=1
fi
[ "$fail" -eq 0 ] && echo "schema $schema: 14 agreed keys, defaults and ranges ok"
exit "$fail"
