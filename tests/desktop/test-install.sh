#!/usr/bin/env bash
# tests/desktop/test-install.sh MESON BUILD_ROOT PREFIX BINDIR DATADIR LOCALEDIR APP_ID LINGUAS_FILE
# Installs the build into a temporary DESTDIR and checks that every file a
# desktop needs is there: the two programs, the .desktop file, the metainfo,
# the schema, both icons and one .mo per language in po/LINGUAS.
set -euo pipefail

meson="$1" build="$2" prefix="$3" bindir="$4" datadir="$5" localedir="$6"
app_id="$7" linguas="$8"

# Relative option values are relative to the prefix.
abs() { case "$1" in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir="$(abs "$bindir")" datadir="$(abs "$datadir")" localedir="$(abs "$localedir")"

destdir="$(mktemp -d "${TMPDIR:-/tmp}/gabn-install.XXXXXX")"
trap 'rm -rf "$destdir"' EXIT

# --no-rebuild: the test runner has built everything, and a nested ninja
# would fight over the build directory's lock.
"$meson" install -C "$build" --no-rebuild --quiet --destdir "$destdir" >"$destdir.log" 2>&1 || {
  cat "$destdir.log" >&2; rm -f "$destdir.log"
  echo "test-install: meson install failed" >&2; exit 1
}
rm -f "$destdir.log"

expected=(
  "$bindir/gabn"
  "$bindir/gabn-studio"
  "$datadir/applications/$app_id.desktop"
  "$datadir/metainfo/$app_id.metainfo.xml"
  "$datadir/glib-2.0/schemas/$app_id.gschema.xml"
  "$datadir/icons/hicolor/scalable/apps/$app_id.svg"
  "$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
)
while read -r lang; do
  lang="${lang%%#*}"; lang="${lang//[[:space:]]/}"
  [ -n "$lang" ] && expected+=("$localedir/$lang/LC_MESSAGES/gabn-studio.mo")
done < "$linguas"

fail=0
for f in "${expected[@]}"; do
  if [ ! -s "$destdir$f" ]; then
    echo "test-install: missing or empty: $f" >&2
    fail=1
  fi
done
for f in "$bindir/gabn" "$bindir/gabn-studio"; do
  [ -x "$destdir$f" ] || { echo "test-install: not executable: $f" >&2; fail=1; }
done

# The installed desktop file must name the installed icon and program.
desktop="$destdir$datadir/applications/$app_id.desktop"
if [ -f "$desktop" ]; then
  grep -qx "Icon=$app_id" "$desktop" || { echo "test-install: $desktop: Icon is not $app_id" >&2; fail=1; }
  grep -q '^Exec=gabn-studio' "$desktop" || { echo "test-install: $desktop: Exec is not gabn-studio" >&2; fail=1; }
fi
# The metainfo's id and launchable must match the installed desktop file.
metainfo="$destdir$datadir/metainfo/$app_id.metainfo.xml"
if [ -f "$metainfo" ]; then
  grep -q "<id>$app_id</id>" "$metainfo" || { echo "test-install: $metainfo: <id> is not $app_id" >&2; fail=1; }
  grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" \
    || { echo "test-install: $metainfo: launchable is not $app_id.desktop" >&2; fail=1; }
fi

if [ "$fail" -ne 0 ]; then
  echo "test-install: installed tree:" >&2
  (cd "$destdir" && find . -type f | sort) >&2
  exit 1
fi
echo "test-install: ${#expected[@]} files installed under $prefix as expected"
