"""List the msgids a catalog has not translated yet (or marks fuzzy).

    python translations/tools/untranslated.py translations/mn_Mong_CN/LC_MESSAGES/messages.po
    python translations/tools/untranslated.py --count translations/*/LC_MESSAGES/messages.po

Exit status 1 when something is untranslated, so it can gate a build. Uses Babel only (a FAB
dependency), no gettext tools needed.
"""
from __future__ import annotations

import sys

from babel.messages.pofile import read_po


def untranslated(po_path: str) -> list[str]:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def main(argv: list[str]) -> int:
    count_only = "--count" in argv
    paths = [a for a in argv if a != "--count"]
    if not paths:
        print(__doc__.strip())
        return 2
    missing_any = False
    for path in paths:
        ids = untranslated(path)
        missing_any = missing_any or bool(ids)
        if count_only:
            print(f"{path}: {len(ids)} untranslated or fuzzy")
        else:
            for msgid in ids:
                print(f"{path}\t{msgid}")
    return 1 if missing_any else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
