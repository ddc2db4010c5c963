#!/bin/sh
# Re-extract Flask-AppBuilder's own strings into translations/fab/fab.pot.
# Usage: translations/fab/extract_fab.sh [python]   (default: python3 on PATH)
# Needs Flask-AppBuilder and Babel installed for that python.
set -eu
PY=${1:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
SITE=$("$PY" -c 'import flask_appbuilder, os; print(os.path.dirname(os.path.dirname(flask_appbuilder.__file__)))')
VER=$("$PY" -c 'import flask_appbuilder; print(flask_appbuilder.__version__)')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Work in a scratch tree so that the references in the .pot read
# flask_appbuilder/... and js_strings.py, not absolute paths.
ln -s "$SITE/flask_appbuilder" "$TMP/flask_appbuilder"
cp "$HERE/js_strings.py" "$TMP/js_strings.py"
cd "$TMP"
"$PY" -m babel.messages.frontend extract -F "$HERE/babel-fab.cfg" \
    -k lazy_gettext -k gettext -k _ -k __ -k lazy_formatter_gettext \
    --project="Flask-AppBuilder" --version="$VER" \
    --add-comments=TRANSLATORS: --sort-by-file --no-wrap \
    -o "$HERE/fab.pot" flask_appbuilder js_strings.py
echo "wrote $HERE/fab.pot ($(grep -c '^msgid "' "$HERE/fab.pot") entries incl. header)"
