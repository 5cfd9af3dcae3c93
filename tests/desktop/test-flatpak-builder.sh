#!/usr/bin/env bash
# tests/desktop/test-flatpak-builder.sh MANIFEST
# flatpak-builder parses the manifest as it would before a build. Optional:
# skipped (exit 77) where flatpak-builder is not installed.
set -euo pipefail
if ! command -v flatpak-builder >/dev/null; then
  echo "flatpak-builder is not installed: skipping --show-manifest"
  exit 77
fi
out="$(flatpak-builder --show-manifest "$1")"
grep -q '"openblas"' <<< "$out" && grep -q '"gabn-studio"' <<< "$out" || {
  echo "flatpak-builder --show-manifest did not list both modules:" >&2
  echo "$out" >&2
  exit 1
}
echo "flatpak-builder --show-manifest: ok"
