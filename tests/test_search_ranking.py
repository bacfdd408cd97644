"""Search ranking as residents met it (issue 29, 4), through CKAN's
package_search and the search page on the derived schema. Bad input tried:
シカ and しか (鹿追町's reading starts with シカ); 鹿 against datasets that
write エゾシカ; romanised names in any case (sapporo, Sapporo, HAKODATE),
on the Japanese and the English page."""
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

SAPPORO, HAKODATE, SHIKAOI, KUSHIRO = "011002", "012025", "016349", "012068"

DATASETS = [  # name, title, municipality
    ("shikaoi-shisetsu", "鹿追町の公共施設一覧", SHIKAOI),
    ("shikaoi-kanko", "鹿追町の観光施設", SHIKAOI),
    ("shikaoi-kosodate", "鹿追町の子育て施設", SHIKAOI),
    ("ezoshika-kushiro", "エゾシカ目撃情報", KUSHIRO),
    ("ezoshika-hakodate", "エゾシカの出没情報", HAKODATE),
    ("ezoshika-jiko", "エゾシカとの交通事故件数", SAPPORO),
    ("sapporo-aed", "AED設置箇所一覧", SAPPORO),
    ("hakodate-aed", "AED設置箇所一覧（函館）", HAKODATE),
]


@pytest.fixture
def portal(clean_db, clean_index):
    admin = factories.Sysadmin()
    for code in {code for _n, _t, code in DATASETS}:
        factories.Organization(name=code)
    for name, title, code in DATASETS:
        call_action("package_create", context={"user": admin["name"]}, name=name, title=title,
                    owner_org=code, municipality_code=code)


def found(q, rows=20):
    return [d["name"] for d in call_action("package_search", q=q, rows=rows)["results"]]


@pytest.mark.usefixtures("with_plugins", "portal")
class TestRanking:

    @pytest.mark.parametrize("q", ["シカ", "しか", "ｼｶ"])
    def test_a_word_is_not_the_start_of_a_municipalitys_reading(self, q):
        names = found(q)
        assert set(names[:3]) == {"ezoshika-kushiro", "ezoshika-hakodate", "ezoshika-jiko"}, names
        assert not [n for n in names if n.startswith("shikaoi")], names

    def test_kanji_finds_the_katakana_word(self):
        assert set(found("鹿")[:3]) == {"ezoshika-kushiro", "ezoshika-hakodate", "ezoshika-jiko"}

    def test_the_municipality_by_its_whole_name_still_ranks_first(self):
        assert set(found("鹿追町")[:3]) == {"shikaoi-shisetsu", "shikaoi-kanko", "shikaoi-kosodate"}
        assert set(found("しかおい")[:3]) == {"shikaoi-shisetsu", "shikaoi-kanko", "shikaoi-kosodate"}

    @pytest.mark.parametrize("q, expected", [
        ("sapporo", {"sapporo-aed", "ezoshika-jiko"}), ("Sapporo", {"sapporo-aed", "ezoshika-jiko"}),
        ("HAKODATE", {"hakodate-aed", "ezoshika-hakodate"}), ("shikaoi", {"shikaoi-shisetsu", "shikaoi-kanko",
                                                                        "shikaoi-kosodate"}),
        ("sapporo aed", {"sapporo-aed"}),
    ])
    def test_romanised_names(self, q, expected):
        names = found(q)
        assert set(names[:len(expected)]) == expected, names

    @pytest.mark.parametrize("lang", ["", "/en"])
    def test_the_search_page_in_both_languages(self, app, lang):
        body = app.get(f"{lang}/dataset/?q=hakodate").get_data(as_text=True)
        assert "/dataset/hakodate-aed" in body and "/dataset/ezoshika-hakodate" in body
        assert "/dataset/sapporo-aed" not in body
