#!/usr/bin/env bash
# build-aux/check-potfiles.sh [SOURCE_ROOT]
# Fails when po/POTFILES.in misses a file with translatable strings under
# src/, ui/ or data/, or lists a file that does not exist (after Nautilus's
# build-aux/check-potfiles.sh). Run by the 'desktop' test suite.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"
potfiles=po/POTFILES.in
[ -f "$potfiles" ] || { echo "check-potfiles: $potfiles not found" >&2; exit 1; }

# Listed files, without comments and blank lines.
listed="$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$potfiles" | sort -u)"

status=0

# 1. Every listed file must exist.
while IFS= read -r f; do
  [ -z "$f" ] && continue
  if [ ! -f "$f" ]; then
    echo "check-potfiles: $potfiles:$(grep -nxF "$f" "$potfiles" | cut -d: -f1 | head -n1): “$f” does not exist" >&2
    status=1
  fi
done <<< "$listed"

# 2. Every file with translatable strings must be listed.
#    C: _( N_( C_( NC_( and the g_d*gettext family, not as part of a longer
#    identifier (foo_( is not a call to _).  .ui: translatable="yes".
#    .desktop.in* and .metainfo.xml.in*: translated by i18n.merge_file.
c_pattern='(^|[^[:alnum:]_])(_|N_|C_|NC_|Q_|g_dgettext|g_dngettext|g_dcgettext|g_dpgettext2?|ngettext)[[:space:]]*\('
found="$(
  {
    grep -rlE --include='*.c' --include='*.h' "$c_pattern" src 2>/dev/null || true
    grep -rl --include='*.ui' 'translatable="yes"' src ui data 2>/dev/null || true
    find data -type f \( -name '*.desktop.in' -o -name '*.desktop.in.in' \
                         -o -name '*.metainfo.xml.in' -o -name '*.metainfo.xml.in.in' \) 2>/dev/null || true
  } | sed 's|^\./||' | sort -u
)"

missing="$(comm -23 <(printf '%s\n' "$found" | sed '/^$/d') <(printf '%s\n' "$listed"))"
if [ -n "$missing" ]; then
  echo "check-potfiles: these files have translatable strings but are not in $potfiles:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi

# 3. xgettext cannot expand GLib's format macros (G_GINT64_FORMAT, G_GSIZE_FORMAT…):
#    the catalog would get a truncated msgid that never matches at run time.
#    <inttypes.h>'s PRId64 & co. are understood by xgettext (or format the
#    number into a string first).
glib_macro='(^|[^[:alnum:]_])(_|N_)[[:space:]]*\("([^"\\]|\\.)*"[[:space:]]*G_G[A-Z0-9_]*_FORMAT'
bad="$(grep -rnE --include='*.c' --include='*.h' "$glib_macro" src 2>/dev/null || true)"
if [ -n "$bad" ]; then
  echo "check-potfiles: translatable strings built with a GLib format macro (xgettext truncates them; use PRId64/PRIu64 from <inttypes.h>):" >&2
  printf '%s\n' "$bad" | sed 's/^/  /' >&2
  status=1
fi

if [ "$status" -eq 0 ]; then
  echo "check-potfiles: $(printf '%s\n' "$listed" | wc -l) files listed, all exist; every file with translatable strings is listed"
fi
exit "$status"
