#!/usr/bin/env bash
# Build the portal's message catalogs: project strings + Flask-AppBuilder's own strings.
#
#   translations/build.sh            # from anywhere; works on the repository containing it
#   STRICT=1 translations/build.sh   # also fail when a catalog has untranslated entries
#   PYBABEL=/path/to/pybabel translations/build.sh
#
# Steps (see translations/README.md):
#   1. pybabel extract  portal/ forms/ surveys/  -> translations/project.pot
#   2. msgcat --use-first project.pot fab/fab.pot -> translations/messages.pot (project first)
#   3. for zh and mn_Mong_CN:
#        seed translations/<loc>/LC_MESSAGES/messages.po from fab/<loc>.po if absent,
#        msgmerge it against messages.pot (no fuzzy matching),
#        fill other areas' and FAB's strings: msgcat --use-first <po> parts/*/<loc>.po fab/<loc>.po
#        (project translations win; untranslated or fuzzy project entries take a part's, then FAB's),
#        msgmerge again so that only messages.pot's entries stay active,
#        msgfmt --check --statistics: fail on errors or on any fuzzy entry
#   4. pybabel compile -d translations -f
# Needs: GNU gettext (msgcat, msgmerge, msgfmt) and Babel (pybabel) with Jinja2.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
T=translations
LOCALES=(zh mn_Mong_CN)

if [[ -z "${PYBABEL:-}" ]]; then
  if [[ -x .venv/bin/pybabel ]]; then PYBABEL=.venv/bin/pybabel; else PYBABEL=pybabel; fi
fi
for tool in msgcat msgmerge msgfmt "$PYBABEL"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: '$tool' not found" >&2; exit 2; }
done
[[ -f babel.cfg ]] || { echo "build.sh: babel.cfg missing at the repository root" >&2; exit 2; }
[[ -f $T/fab/fab.pot ]] || { echo "build.sh: $T/fab/fab.pot missing (run $T/fab/extract_fab.sh)" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# 1. project strings. Only directories that exist are passed; with none, an empty template is made
#    from an empty directory so that the rest of the pipeline still runs.
dirs=()
for d in portal forms surveys; do [[ -d $d ]] && dirs+=("$d"); done
if ((${#dirs[@]} == 0)); then mkdir "$WORK/empty"; dirs=("$WORK/empty"); fi
"$PYBABEL" extract -F babel.cfg -k lazy_gettext -k _l \
  --project=Anwang --no-wrap --sort-by-file \
  -o $T/project.pot "${dirs[@]}"

# 2. one template: project first, then FAB.
msgcat --use-first --no-wrap $T/project.pot $T/fab/fab.pot -o $T/messages.pot

# 3. per language.
status=0
for loc in "${LOCALES[@]}"; do
  po=$T/$loc/LC_MESSAGES/messages.po
  fabpo=$T/fab/$loc.po
  [[ -f $fabpo ]] || { echo "build.sh: $fabpo missing" >&2; exit 2; }
  if [[ ! -f $po ]]; then
    mkdir -p "$(dirname "$po")"
    cp "$fabpo" "$po"
    echo "$po: created from $fabpo"
  fi
  msgmerge --quiet --update --no-fuzzy-matching --backup=none --no-wrap "$po" $T/messages.pot
  # Other areas' translations (translations/parts/<area>/<loc>.po) come after the project catalog
  # and before FAB's: the catalog's own translation wins, a part fills what the catalog lacks.
  parts=()
  for part in $T/parts/*/"$loc".po; do [[ -f $part ]] && parts+=("$part"); done
  msgcat --use-first --no-wrap "$po" "${parts[@]}" "$fabpo" -o "$WORK/$loc.po"
  msgmerge --quiet --no-fuzzy-matching --no-wrap "$WORK/$loc.po" $T/messages.pot -o "$po"

  # A fuzzy header makes pybabel compile skip (or with -f silently include) the whole catalog.
  if sed -n '1,/^msgid ""/p' "$po" | grep -q '^#,.*fuzzy'; then
    echo "$po: header is marked fuzzy: remove the flag after checking the header" >&2
    status=1
  fi
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1) || { echo "$stats" >&2; status=1; continue; }
  echo "$po: $stats"
  if grep -q 'fuzzy' <<<"$stats"; then
    echo "$po: fuzzy entries present: review them (msgattrib --only-fuzzy $po) and clear the flag" >&2
    status=1
  fi
  if grep -q 'untranslated' <<<"$stats"; then
    if [[ -n "${STRICT:-}" ]]; then
      echo "$po: untranslated entries (STRICT=1)" >&2; status=1
    else
      echo "$po: warning: untranslated entries show the English msgid (msgattrib --untranslated $po)" >&2
    fi
  fi
done
((status == 0)) || { echo "build.sh: not compiling, fix the catalogs above" >&2; exit 1; }

# 4. compile. -f only matters for fuzzy entries, and there are none at this point.
"$PYBABEL" compile -d $T -f
