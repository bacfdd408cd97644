"""The portal's licence list and the mapping of harvested licences to it.

Pure tests: no CKAN, no database (``pytest -p no:ckan``).
"""
import itertools
import json
import os

import pytest

from ckanext.hokkaido.licences import LICENCES_FILE, known_ids, resolve

IDS_IN_ORDER = [
    "cc-by-4.0", "pdl-1.0", "gov-std-2.0", "cc-by-sa-4.0", "cc-zero-1.0",
    "cc-by-2.1-jp", "cc-by-nc-4.0", "cc-by-nd-4.0", "odc-by", "odc-odbl",
    "other-pd", "other-open", "other-at", "other-nc", "other-closed",
    "notspecified",
]
NOT_OPEN = {"cc-by-nc-4.0", "cc-by-nd-4.0", "other-nc", "other-closed", "notspecified"}
KEYS = {"id", "title", "url", "od_conformance", "osd_conformance", "status",
        "domain_data", "domain_content", "domain_software", "family", "maintainer"}


def _licences():
    with open(LICENCES_FILE, encoding="utf-8") as f:
        return json.load(f)


IDS = [  # CKAN's and SPDX's ids, in any case
    ("cc-by", "cc-by-4.0"), ("CC-BY-4.0", "cc-by-4.0"),
    ("cc-by-sa", "cc-by-sa-4.0"), ("CC-BY-SA-4.0", "cc-by-sa-4.0"),
    ("cc-zero", "cc-zero-1.0"), ("CC0-1.0", "cc-zero-1.0"),
    ("cc-nc", "cc-by-nc-4.0"), ("CC-BY-NC-4.0", "cc-by-nc-4.0"),
    ("CC-BY-ND-4.0", "cc-by-nd-4.0"),
    ("odc-by", "odc-by"), ("ODC-By-1.0", "odc-by"),
    ("odc-odbl", "odc-odbl"), ("ODbL-1.0", "odc-odbl"),
    ("odc-pddl", "other-pd"), ("PDDL-1.0", "other-pd"), ("other-pd", "other-pd"),
    ("uk-ogl", "other-at"), ("gfdl", "other-open"),
    (" CC-BY ", "cc-by-4.0"), ("ｃｃ－ｂｙ", "cc-by-4.0"),
]

URLS = [
    ("https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    ("http://creativecommons.org/licenses/by/4.0", "cc-by-4.0"),
    ("https://www.creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/deed.ja", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/deed.en", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/legalcode", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/legalcode.ja", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/?ref=chooser-v1", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/deed.ja#ref-appropriate-credit",
     "cc-by-4.0"),
    ("HTTPS://CreativeCommons.org/licenses/by/4.0/", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by-sa/4.0/deed.ja", "cc-by-sa-4.0"),
    ("http://creativecommons.org/licenses/by-nc/4.0/", "cc-by-nc-4.0"),
    ("https://creativecommons.org/licenses/by-nd/4.0/legalcode", "cc-by-nd-4.0"),
    ("https://creativecommons.org/licenses/by/2.1/jp/", "cc-by-2.1-jp"),
    ("http://creativecommons.org/licenses/by/2.1/jp/deed.ja", "cc-by-2.1-jp"),
    ("https://creativecommons.org/publicdomain/zero/1.0/deed.ja", "cc-zero-1.0"),
    ("http://creativecommons.org/publicdomain/zero/1.0/", "cc-zero-1.0"),
    ("https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
     "pdl-1.0"),
    ("https://digital.go.jp/resources/open_data/public_data_license_v1.0/",
     "pdl-1.0"),
    ("https://www.digital.go.jp/resources/open_data/", "gov-std-2.0"),
    ("http://www.digital.go.jp/resources/open_data", "gov-std-2.0"),
    ("http://www.opendefinition.org/licenses/cc-by", "cc-by-4.0"),
    ("https://opendefinition.org/licenses/cc-by/", "cc-by-4.0"),
    ("www.creativecommons.org/licenses/by/4.0", "cc-by-4.0"),
    ("creativecommons.org/licenses/by-sa/4.0/", "cc-by-sa-4.0"),
]

NAMES = [
    ("CC BY", "cc-by-4.0"),
    ("CC-BY", "cc-by-4.0"),
    ("CCBY", "cc-by-4.0"),
    ("CC BY 4.0", "cc-by-4.0"),
    ("CC BY 4.0 国際", "cc-by-4.0"),
    ("CC-BY4.0", "cc-by-4.0"),
    ("ＣＣ　ＢＹ　４．０", "cc-by-4.0"),
    ("クリエイティブ・コモンズ 表示 4.0", "cc-by-4.0"),
    ("クリエイティブ・コモンズ・ライセンス 表示 4.0 国際", "cc-by-4.0"),
    ("クリエイティブコモンズ表示4.0国際ライセンス", "cc-by-4.0"),
    ("Creative Commons Attribution 4.0 International", "cc-by-4.0"),
    ("Creative Commons Attribution 4.0 International (CC BY 4.0)", "cc-by-4.0"),
    ("CC BY version 4.0", "cc-by-4.0"),
    ("表示-継承", "cc-by-sa-4.0"),
    ("表示―継承", "cc-by-sa-4.0"),
    ("Attribution-ShareAlike", "cc-by-sa-4.0"),
    ("BY-SA", "cc-by-sa-4.0"),
    ("CC BY-SA 4.0", "cc-by-sa-4.0"),
    ("クリエイティブ・コモンズ 表示－継承 4.0 国際", "cc-by-sa-4.0"),
    ("Creative Commons Attribution-ShareAlike 4.0 International", "cc-by-sa-4.0"),
    ("表示-非営利", "cc-by-nc-4.0"),
    ("BY-NC", "cc-by-nc-4.0"),
    ("CC BY-NC 4.0", "cc-by-nc-4.0"),
    ("クリエイティブ・コモンズ 表示‐非営利 4.0 国際", "cc-by-nc-4.0"),
    ("表示-改変禁止", "cc-by-nd-4.0"),
    ("BY-ND", "cc-by-nd-4.0"),
    ("CC BY-ND 4.0", "cc-by-nd-4.0"),
    ("Creative Commons Attribution-NoDerivatives 4.0 International", "cc-by-nd-4.0"),
    ("クリエイティブ・コモンズ 表示 2.1 日本", "cc-by-2.1-jp"),
    ("CC BY 2.1 JP", "cc-by-2.1-jp"),
    ("CC0", "cc-zero-1.0"),
    ("CC0 1.0", "cc-zero-1.0"),
    ("CCゼロ", "cc-zero-1.0"),
    ("CC0 1.0 Universal", "cc-zero-1.0"),
    ("公共データ利用規約（第1.0版）", "pdl-1.0"),
    ("公共データ利用規約", "pdl-1.0"),
    ("PDL1.0", "pdl-1.0"),
    ("PDL 1.0", "pdl-1.0"),
    ("Public Data License 1.0", "pdl-1.0"),
    ("政府標準利用規約（第2.0版）", "gov-std-2.0"),
    ("政府標準利用規約", "gov-std-2.0"),
    ("パブリックドメイン", "other-pd"),
    ("Public Domain", "other-pd"),
    ("その他 (非営利)", "other-nc"),  # our title, written otherwise
]

UNKNOWN = [
    None, "", "   ",
    "CC BY 3.0", "CC BY-SA 3.0", "CC BY 2.1", "CC BY 4.0 JP", "CC0 2.0",
    "公共データ利用規約（第2.0版）", "政府標準利用規約（第1.0版）",
    "MIT", "Apache License 2.0", "CC", "BY", "表示", "出典表示", "ライセンス",
    "CC BY-NC-ND 4.0", "CC BY 4.0 / CC BY-SA 4.0", "CC BY 4.0 または CC BY-SA 4.0",
    "https://example.jp/terms", "https://creativecommons.org/licenses/by/3.0/",
    "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "https://www.digital.go.jp/", "https://www.digital.go.jp/resources/",
    "利用規約は各ページを参照",
]


# -- the list ------------------------------------------------------------


def test_the_file_is_an_absolute_path_to_the_package_data():
    assert os.path.isabs(LICENCES_FILE)
    assert LICENCES_FILE.endswith(os.path.join("ckanext", "hokkaido", "data",
                                               "licenses.json"))


def test_the_list_is_in_ckan_format_and_order():
    licences = _licences()
    assert [licence["id"] for licence in licences] == IDS_IN_ORDER
    for licence in licences:
        assert set(licence) == KEYS, licence["id"]
        assert licence["title"].strip(), licence["id"]
        assert licence["url"] == "" or licence["url"].startswith("https://")
        assert licence["od_conformance"] == (
            "not reviewed" if licence["id"] in NOT_OPEN else "approved")
        assert licence["osd_conformance"] == "not reviewed"
        assert licence["status"] == "active"
        assert isinstance(licence["domain_data"], bool)
        assert licence["domain_content"] is True
        assert licence["domain_software"] is False
        assert licence["family"] == licence["maintainer"] == ""


def test_ids_titles_and_urls_are_unique():
    licences = _licences()
    for key in ("id", "title"):
        values = [licence[key] for licence in licences]
        assert len(values) == len(set(values)), key
    urls = [licence["url"] for licence in licences if licence["url"]]
    assert len(urls) == len(set(urls))


def test_known_ids_are_the_ids_of_the_list():
    assert known_ids() == frozenset(IDS_IN_ORDER)
    assert known_ids() is known_ids()  # read once


# -- resolve ---------------------------------------------------------------


@pytest.mark.parametrize("license_id", IDS_IN_ORDER)
def test_our_ids_are_themselves(license_id):
    assert resolve(license_id) == license_id
    assert resolve(license_id.upper()) == license_id


@pytest.mark.parametrize("licence", _licences(), ids=lambda licence: licence["id"])
def test_our_titles_and_urls_are_our_licences(licence):
    assert resolve(licence["title"]) == licence["id"]
    assert resolve(None, licence["title"]) == licence["id"]
    if licence["url"]:
        assert resolve(licence["url"]) == licence["id"]


@pytest.mark.parametrize("given, expected", IDS + URLS + NAMES)
def test_resolves(given, expected):
    assert resolve(given) == expected
    assert resolve(None, given) == expected
    assert resolve("", given) == expected


@pytest.mark.parametrize("given", UNKNOWN)
def test_unknown_is_none(given):
    assert resolve(given) is None
    assert resolve(given, given) is None
    assert resolve(None, given) is None


def test_the_id_is_tried_before_the_title():
    assert resolve("cc-by-sa", "CC BY 4.0") == "cc-by-sa-4.0"
    assert resolve("https://creativecommons.org/licenses/by-nd/4.0/",
                   "CC BY 4.0") == "cc-by-nd-4.0"
    assert resolve("MIT", "CC BY 4.0") == "cc-by-4.0"
    assert resolve("利用規約", "https://creativecommons.org/publicdomain/zero/1.0/") \
        == "cc-zero-1.0"


def test_nothing_given_is_none():
    assert resolve(None) is None
    assert resolve(None, None) is None
    assert resolve("", "") is None


# one word for each kind of word a licence name is read as
_WORDS = {"cc": "CC", "by": "BY", "sa": "SA", "nc": "NC", "nd": "ND",
          "jp": "JP", "zero": "CC0", "pd": "Public Domain", "pdl": "PDL",
          "gov-std": "政府標準利用規約"}


def test_whatever_a_name_says_resolves_to_a_known_id_or_none():
    """Every combination of kinds of words and a version: ``resolve``
    never returns an id that is not in the list."""
    results = set()
    kinds = list(_WORDS)
    for n in range(1, len(kinds) + 1):
        for combination in itertools.combinations(kinds, n):
            for version in ("", "1.0", "2.0", "2.1", "3.0", "4.0"):
                name = " ".join(_WORDS[kind] for kind in combination) + " " + version
                results.add(resolve(name))
    for given, _ in IDS + URLS + NAMES:
        results.add(resolve(given))
    results.discard(None)
    assert results <= known_ids()
