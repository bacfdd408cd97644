"""What residents type finds what municipalities wrote (issue 18), through
CKAN's package_search on the derived schema (schemas/solr/derive_schema.py)
and the portal's query fields. Each test names what it tries; the search
benchmark (bench/search_quality.py) measures the same rules over 240 queries.
"""
import importlib.util
import os

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "derive_schema", os.path.join(ROOT, "schemas", "solr", "derive_schema.py"))
derive_schema = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(derive_schema)

DATASETS = {
    # name: (title, notes, municipality)
    "gomi-bunbetsu": ("ゴミの分別方法一覧", "", "011002"),
    "gomi-shuseki": ("ゴミ集積場所一覧", "", "011002"),
    "haikibutsu": ("廃棄物処理施設一覧", "", "012025"),
    "higuma": ("ヒグマ出没情報", "", "012068"),
    "wifi": ("公衆無線LANアクセスポイント一覧", "", "012033"),
    "free-wifi": ("フリーWi-Fiスポット一覧", "", "012033"),
    "aed": ("自動体外式除細動器の設置施設", "", "012050"),
    "hazard": ("ハザ－ドマップ", "", "012025"),
    "nenrei": ("地域・年齢別人口", "", "012041"),
    "kosodate": ("子育て支援センター一覧", "", "012041"),
    "yamazaki": ("山﨑川の水位観測", "", "012076"),
    "watanabe": ("渡邊記念館の収蔵品目録", "", "012076"),
    "saito": ("齋藤牧場跡地の活用計画", "", "012084"),
    "hamanaka": ("濵中漁港の水揚げ量", "", "012084"),
    "yamato": ("大和地区集会所一覧", "", "012092"),
    "higashi-yamato": ("東大和通りの除雪計画", "", "012092"),
    # ごみ in the description only
    "jyosetsu": ("除雪計画", "ごみ収集日の変更と除雪の順位。", "012106"),
    "kominkan": ("コミュニティセンター一覧", "", "012106"),
}


@pytest.fixture
def portal(clean_db, clean_index):
    admin = factories.Sysadmin()
    orgs = {}
    for name, (title, notes, code) in DATASETS.items():
        if code not in orgs:
            orgs[code] = factories.Organization(name=code)
        call_action("package_create", context={"user": admin["name"]}, name=name, title=title,
                    notes=notes, owner_org=orgs[code]["id"], municipality_code=code)


def found(q, rows=50):
    return [d["name"] for d in call_action("package_search", q=q, rows=rows)["results"]]


#: query → datasets it must find, by what it tries
SPELLINGS = {
    # hiragana against katakana, both ways, and half-width katakana
    "ごみ": {"gomi-bunbetsu", "gomi-shuseki"}, "ひぐま": {"higuma"}, "ｺﾞﾐ": {"gomi-bunbetsu", "gomi-shuseki"},
    # kanji next to Latin letters, full-width letters
    "無線LAN": {"wifi"}, "無線ＬＡＮ": {"wifi"},
    # a word with a hyphen matches it without, and the other way round
    "WiFi": {"free-wifi"}, "Wi-Fi": {"free-wifi"},
    # the long-vowel mark written as a full-width or ASCII dash
    "ハザードマップ": {"hazard"}, "ハザ-ドマップ": {"hazard"},
    # a middle dot or a space between words
    "地域年齢別人口": {"nenrei"}, "子育て 支援センター": {"kosodate"},
    # variant kanji, as typed every day
    "山崎川": {"yamazaki"}, "渡辺記念館": {"watanabe"}, "渡邉記念館": {"watanabe"},
    "斉藤牧場": {"saito"}, "浜中漁港": {"hamanaka"},
    # synonyms of municipal terms (schemas/solr/synonyms-ja.txt)
    "廃棄物": {"gomi-bunbetsu", "gomi-shuseki", "haikibutsu"}, "AED": {"aed"},
    "公民館": {"kominkan"}, "ワイファイ": {"wifi", "free-wifi"},
    # a municipality by name and reading (the registry's name_kana, name_hiragana)
    "札幌": {"gomi-bunbetsu", "gomi-shuseki"}, "さっぽろ": {"gomi-bunbetsu", "gomi-shuseki"},
    "サッポロ": {"gomi-bunbetsu", "gomi-shuseki"}, "札幌市": {"gomi-bunbetsu", "gomi-shuseki"},
}


@pytest.mark.usefixtures("with_plugins", "portal")
def test_what_residents_type_finds_what_municipalities_wrote():
    missed = {q: sorted(expected - set(found(q))) for q, expected in SPELLINGS.items()}
    assert {q: names for q, names in missed.items() if names} == {}
    # a municipality's name finds its datasets and no other
    assert set(found("さっぽろ")) == {"gomi-bunbetsu", "gomi-shuseki"}


@pytest.mark.usefixtures("with_plugins", "portal")
def test_ranking_titles_words_and_phrases():
    # a title ranks above a description
    result = found("ごみ")
    assert "jyosetsu" in result  # found by its description ...
    assert result.index("jyosetsu") > max(result.index("gomi-bunbetsu"), result.index("gomi-shuseki"))
    # 大和 inside 東大和 is found (pairs of characters) but ranks below the word 大和
    result = found("大和")
    assert result[0] == "yamato" and "higashi-yamato" in result
    # pairs of characters do not flood: 避難所 shares 所 and 難 with nothing here
    assert found("避難所") == []
    # the exact phrase above the same words apart: ゴミ分別 (one word between
    # allowed) finds 「ゴミの分別方法一覧」
    assert found("ゴミ分別") == ["gomi-bunbetsu"]


def test_synonym_rules_are_folded_as_queries_are():
    mapping = derive_schema.read_mapping(open(derive_schema.os.path.join(
        derive_schema.HERE, derive_schema.MAPPING), encoding="utf-8").read())
    folded = derive_schema.fold_synonyms("# comment\nごみ,ＡＥＤ,Wi-Fi,山﨑\nこども => 子ども\n", mapping)
    assert folded.splitlines() == ["# comment", "ごみ,ゴミ,aed,wifi,山崎", "こども,コドモ => 子ども"]


def test_a_rule_that_is_not_one_is_refused_naming_its_line():
    # Bad input: an empty term and a double arrow
    for text, line in (("ごみ,,ゴミ\n", 1), ("# ok\nごみ => ゴミ => 廃棄物\n", 2)):
        with pytest.raises(ValueError, match=f"synonyms-ja.txt line {line}: not a synonym rule"):
            derive_schema.fold_synonyms(text, {})
