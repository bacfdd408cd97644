"""The portal's message catalogue (``ckanext/hokkaido/i18n``).

    .venv/bin/python scripts/i18n.py extract   write ckanext-hokkaido.pot from our code
    .venv/bin/python scripts/i18n.py check     list message ids without Japanese (exit 1)

Message ids are English, in templates (``_("…")``, read with CKAN's own
Jinja extractor) and in Python (``toolkit._("…")``). Japanese lives in
``i18n/ja/LC_MESSAGES/ckanext-hokkaido.po`` (edited by hand; setup compiles
it), beside the strings of ckanext-harvest and of CKAN that have no
Japanese. ``tests/test_i18n.py`` runs the check.
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "ckanext", "hokkaido")
I18N = os.path.join(PACKAGE, "i18n")
POT = os.path.join(I18N, "ckanext-hokkaido.pot")
PO = os.path.join(I18N, "ja", "LC_MESSAGES", "ckanext-hokkaido.po")


def extracted() -> dict[str, list[str]]:
    """message id → the places that use it, from our templates and Python."""
    from babel.messages.extract import extract_from_dir

    from ckan.lib.extract import extract_ckan

    found: dict[str, list[str]] = {}
    method_map = [("templates/**.html", extract_ckan), ("**.py", "python")]
    for filename, lineno, message, _comments, _context in extract_from_dir(
            PACKAGE, method_map=method_map, options_map={}, keywords={"_": None}):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def write_pot() -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(project="ckanext-hokkaido", domain="ckanext-hokkaido", fuzzy=False)
    for message, places in sorted(extracted().items()):
        catalog.add(message, locations=[(path, int(line)) for path, line in (p.rsplit(":", 1) for p in places)])
    with open(POT, "wb") as out:
        write_po(out, catalog, width=0, omit_header=False, sort_output=True)
    return len(catalog)


def untranslated() -> list[str]:
    """Our message ids that neither our catalogue nor CKAN's translates."""
    import ckan
    from babel.messages.pofile import read_po

    with open(PO, "rb") as f:
        ours = read_po(f)
    with open(os.path.join(os.path.dirname(ckan.__file__), "i18n", "ja", "LC_MESSAGES", "ckan.po"), "rb") as f:
        core = read_po(f)

    def japanese(message_id: str) -> bool:
        return any(m is not None and m.string and not m.fuzzy
                   for m in (ours.get(message_id), core.get(message_id)))
    return sorted(m for m in extracted() if not japanese(m))


def main(argv: list[str]) -> int:
    if argv[1:] == ["extract"]:
        print(f"{POT}: {write_pot()} message ids")
        return 0
    if argv[1:] == ["check"]:
        missing = untranslated()
        for message in missing:
            print(f"no Japanese: {message!r}")
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
