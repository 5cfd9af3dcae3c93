#!/usr/bin/env bash
# tests/desktop/test-check-potfiles-fails.sh CHECK_POTFILES
# The POTFILES check must catch what it claims to: a file with translatable
# strings that is not listed, and a listed file that does not exist. Runs it
# on small fake trees.
set -euo pipefail
check="$1"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gabn-potfiles.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

make_tree() {
  rm -rf "$tmp/t" && mkdir -p "$tmp/t/src/app" "$tmp/t/ui" "$tmp/t/data" "$tmp/t/po"
  printf '%s\n' 'label = _("Open");' > "$tmp/t/src/app/a.c"
  printf '%s\n' 'x = my_func_("not a translation");' > "$tmp/t/src/app/b.c"
  printf '%s\n' '<property name="label" translatable="yes">Go</property>' > "$tmp/t/ui/w.ui"
  printf '%s\n' '[Desktop Entry]' 'Name=X' > "$tmp/t/data/x.desktop.in.in"
  printf '%s\n' '# comment' 'data/x.desktop.in.in' 'src/app/a.c' '' 'ui/w.ui' > "$tmp/t/po/POTFILES.in"
}

expect() {  # expect 0|1 DESCRIPTION
  local want="$1" got=0
  "$check" "$tmp/t" >"$tmp/out" 2>&1 || got=1
  if [ "$got" != "$want" ]; then
    echo "FAIL: $2: exit $got, expected $want" >&2; cat "$tmp/out" >&2; exit 1
  fi
  echo "ok: $2"
}

make_tree
expect 0 "complete list passes (b.c's my_func_( is not _()"

make_tree
printf '%s\n' 'msg = N_("Train");' > "$tmp/t/src/app/c.c"
expect 1 "an unlisted C file with N_() fails"

make_tree
printf '%s\n' 'g_dngettext (NULL, "%d face", "%d faces", n);' > "$tmp/t/src/app/d.c"
expect 1 "an unlisted C file with g_dngettext fails"

make_tree
printf '%s\n' '<property name="title" translatable="yes">Hi</property>' > "$tmp/t/ui/v.ui"
expect 1 "an unlisted .ui file fails"

make_tree
printf '%s\n' '<component/>' > "$tmp/t/data/x.metainfo.xml.in.in"
expect 1 "an unlisted metainfo file fails"

make_tree
echo 'src/app/gone.c' >> "$tmp/t/po/POTFILES.in"
expect 1 "a listed file that does not exist fails"

make_tree
printf '%s\n' 'g_print (_("%" G_GINT64_FORMAT " steps\\n"), n);' >> "$tmp/t/src/app/a.c"
expect 1 "a translatable string built with G_GINT64_FORMAT fails"

make_tree
printf '%s\n' 'g_print (_("%" PRId64 " steps\\n"), n);' 'g_print ("%" G_GINT64_FORMAT "\\n", n);' >> "$tmp/t/src/app/a.c"
expect 0 "PRId64 in a translatable string and G_GINT64_FORMAT in an untranslated one pass"
