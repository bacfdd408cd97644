"""Headers matched to the standard datasets' columns (pure; issue 30, 2).
Bad input tried: the older edition's headers; the datum written into the
coordinate headers; full-width letters and brackets; a line break and an
input hint in a header; English headers; columns in another order; a title
and a date above the header; a file that is no standard table; a code
without its leading zero; coordinates outside Hokkaido, swapped, far from
the municipality, not numbers."""
import pytest

from ckanext.hokkaido.standard.columns import definitions, find_header, fold, match
from ckanext.hokkaido.standard.rows import convert

AED = definitions()["08"]


def test_ten_standard_datasets_in_both_editions():
    assert list(definitions()) == ["01", "02", "03", "05", "07", "08", "09", "10", "11", "13"]
    for spec in definitions().values():
        assert spec.columns and spec.old_columns and spec.name_columns
        assert "所在地_連結表記" in spec.columns


@pytest.mark.parametrize("header, column", [
    ("緯度（世界測地系）", "緯度"), ("経度(WGS84)", "経度"), ("ＩＤ", "ID"), ("名称　", "名称"),
    ("建物名等（方書）", "建物名等(方書)"), ("所在地_連結標記", "所在地_連結表記"),
    ("小児対応設備の有無\n（プルダウンから選択）", "小児対応設備の有無"),
    ("都道府県コード又は市区町村コード", "全国地方公共団体コード"), ("住所", "所在地_連結表記"),
    ("latitude", "緯度"), ("Longitude", "経度"), ("localgov_code", "全国地方公共団体コード"),
])
def test_a_header_is_matched_by_its_folded_name_the_older_edition_and_real_spellings(header, column):
    assert match([header, "名称", "住所"] if column != "名称" else [header, "住所"], AED).columns[header] == column


def test_editions_and_order():
    old = match(["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称", "住所", "方書",
                 "緯度", "経度", "電話番号"], AED)
    assert old.is_standard and old.edition == "old" and old.unmatched == []
    current = match(["経度", "緯度", "所在地_連結表記", "名称", "全国地方公共団体コード", "設置位置", "独自の列"], AED)
    assert current.is_standard and current.edition == "current" and current.unmatched == ["独自の列"]


def test_a_file_that_is_not_the_standard_dataset_is_said_to_be_so():
    found = match(["年度", "人口", "世帯数"], AED)
    assert not found.is_standard and "名称" in found.reason
    assert not match(["名称", "電話番号"], AED).is_standard   # no place


def test_a_title_and_a_date_above_the_header():
    rows = [["令和6年4月1日現在", "", ""], ["名称", "住所", "緯度", "経度"], ["札幌市役所", "札幌市中央区", "43.06", "141.35"]]
    at, found = find_header(["AED設置箇所一覧", "列2", "列3"], rows, AED)
    assert at == 1 and found.columns["名称"] == "名称"


def test_rows_are_checked_not_mended():
    found = match(["全国地方公共団体コード", "名称", "住所", "緯度", "経度"], AED)
    row = {"全国地方公共団体コード": "11002", "名称": "札幌市役所", "住所": "札幌市中央区北1条西2丁目",
           "緯度": "４３．０６２１", "経度": "141.3544"}
    out, why = convert(row, found, "011002")
    assert why == "" and out["全国地方公共団体コード"] == "011002" and out["緯度"] == pytest.approx(43.0621)
    for change, words in (({"緯度": "35.68", "経度": "139.76"}, "北海道の外"),
                          ({"緯度": "141.35", "経度": "43.06"}, "逆"),
                          ({"緯度": "43.06"}, "数値ではありません"),
                          ({"緯度": "41.77", "経度": "140.73"}, "km"),      # 函館, far from 札幌
                          ({"全国地方公共団体コード": "012025"}, "別の市町村"),
                          ({"全国地方公共団体コード": "131016"}, "北海道の市町村ではありません")):
        bad = dict(row, **change)
        if change == {"緯度": "43.06"}:
            bad["経度"] = "東経141度"
        out, why = convert(bad, found, "011002")
        assert out is None and words in why, (change, why)
    # the prefecture's own dataset may list rows of any municipality
    out, why = convert(dict(row, 全国地方公共団体コード="012025", 緯度="41.77", 経度="140.73"), found, "010006")
    assert why == "" and out["全国地方公共団体コード"] == "012025"


def test_fold():
    assert fold("  緯度（世界測地系）\n") == "緯度" and fold("Latitude") == "latitude"
