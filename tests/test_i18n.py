"""The Japanese catalogue of ckanext-hokkaido (i18n/ja): it covers every
string of ckanext-harvest's screens, which ships no Japanese, without
replacing CKAN's own Japanese; setup compiles it to the .mo CKAN loads."""
import glob
import os
import re

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import ckan
import ckanext.harvest

import ckanext.hokkaido

I18N = os.path.join(os.path.dirname(ckanext.hokkaido.__file__), "i18n", "ja", "LC_MESSAGES")


def catalogue(path, reader=read_po):
    with open(path, "rb") as f:
        return reader(f)


def japanese(message):
    """Translated, and not left in English (an acronym such as URL may stay)."""
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    english = message.string == message.id and re.search("[A-Za-z][a-z]", str(message.id))
    return all(strings) and not english and not message.fuzzy


def test_every_string_of_the_harvest_screens_has_japanese():
    # Bad input: ckanext-harvest upgraded with new strings, or an entry left empty.
    ours = catalogue(os.path.join(I18N, "ckanext-hokkaido.po"))
    core = catalogue(os.path.join(os.path.dirname(ckan.__file__), "i18n", "ja", "LC_MESSAGES", "ckan.po"))
    (pot,) = glob.glob(os.path.join(os.path.dirname(ckanext.harvest.__file__), "i18n", "*.pot"))
    missing = []
    for message in catalogue(pot):
        if not message.id:
            continue
        known = [m for m in (core.get(message.id), ours.get(message.id)) if m is not None and japanese(m)]
        if not known:
            missing.append(message.id)
    assert missing == []


#: CKAN's parts this portal does not run (their screens are never shown)
NOT_SERVED = ("midnight-blue/", "tabledesigner", "example_", "ckanext/stats", "datapusher", "ckanext/textview",
              "ckanext/imageview/", "ckanext/audioview", "ckanext/videoview", "ckanext/webpageview",
              "ckanext/reclineview", "ckanext/multilingual", "ckanext/chained", "ckanext/expire")


def test_every_string_of_ckans_screens_has_japanese():
    # Bad input: CKAN 2.12 shipped strings without Japanese (「Publish」,
    # 「Reorder resources」, 「Revoke tokens」, 「1 Member」); a CKAN upgrade adds more.
    ours = catalogue(os.path.join(I18N, "ckanext-hokkaido.po"))
    core = catalogue(os.path.join(os.path.dirname(ckan.__file__), "i18n", "ja", "LC_MESSAGES", "ckan.po"))
    missing = [m.id for m in core if m.id and not japanese(m)
               and not all(any(part in place for part in NOT_SERVED) for place, _line in m.locations)
               and not (ours.get(m.id) is not None and japanese(ours.get(m.id)))]
    assert missing == []


def corrections():
    """The entries of ours that replace CKAN's Japanese because it misleads."""
    ours = catalogue(os.path.join(I18N, "ckanext-hokkaido.po"))
    return [m for m in ours if m.id and any("corrects CKAN's Japanese" in c for c in m.auto_comments)]


def test_ckans_own_japanese_is_replaced_only_where_it_misleads():
    # An entry CKAN translates is ours only when our code says it, when
    # another supported CKAN release lacks it (its comment names the
    # release), or when CKAN's Japanese misleads (its comment says so and
    # README lists it: 「不明な値」 for a missing value, 「保存:」, 「決して」).
    ours = catalogue(os.path.join(I18N, "ckanext-hokkaido.po"))
    pot = catalogue(os.path.join(os.path.dirname(I18N), "..", "ckanext-hokkaido.pot"))
    core = catalogue(os.path.join(os.path.dirname(ckan.__file__), "i18n", "ja", "LC_MESSAGES", "ckan.po"))
    corrected = {m.id for m in corrections()}
    replaced = [m.id for m in ours if m.id and core.get(m.id) is not None and japanese(core.get(m.id))
                and pot.get(m.id) is None and not any("CKAN 2.12's catalog" in c for c in m.auto_comments)
                and m.id not in corrected]
    assert replaced == []
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md"),
              encoding="utf-8") as f:
        readme = f.read()
    unlisted = [m.id for m in corrections() if f"`{m.id if isinstance(m.id, str) else m.id[0]}`" not in readme]
    assert unlisted == [], "list each correction of CKAN's Japanese in README"


def test_the_compiled_catalogue_is_the_source():
    # Bad input: a .po edited without running setup (the .mo is not in git).
    source = catalogue(os.path.join(I18N, "ckanext-hokkaido.po"))
    compiled = catalogue(os.path.join(I18N, "ckanext-hokkaido.mo"), read_mo)
    def entries(cat):
        def text(value):
            return tuple(value) if isinstance(value, (list, tuple)) else (value,)
        return {text(m.id): text(m.string) for m in cat if m.id}
    assert entries(source) == entries(compiled)


def _catalogue_script():
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "i18n.py")
    spec = importlib.util.spec_from_file_location("hokkaido_i18n_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_of_our_pages_has_japanese():
    # Bad input: a template or a Python message added in English with no Japanese.
    assert _catalogue_script().untranslated() == []


def test_the_template_of_our_messages_is_current():
    # Bad input: a message added without `scripts/i18n.py extract`.
    script = _catalogue_script()
    pot = catalogue(script.POT)
    assert {m.id for m in pot if m.id} == set(script.extracted())
