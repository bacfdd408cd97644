"""Reading a downloaded table for the DataStore (no CKAN): Japanese
encodings, column names, column types, and each bad file refused with the
place named. Bad input tried: a stray quote, lines in two encodings, an
HTML error page served as CSV, an XLSX zip bomb, a value beyond the
header, an empty file, too many rows."""
import csv

import pytest

from harvesters.client import Limits
from harvesters.errors import BadResponse, LimitExceeded
from ckanext.hokkaido.tables.prepare import TableError, column_names, column_type, prepare
from tests.fakes.hostile import xlsx, xlsx_bomb_bytes

HEADER = "施設名,住所,人口,開設日,定員"
ROWS = ["中央図書館,札幌市中央区,\"1,973,395\",2024-04-01,１２０",
        "西図書館,札幌市西区,\"215,000\",2024/4/2,80"]


def run(data, tmp_path, **kw):
    out = tmp_path / "out.csv"
    prepared = prepare(data, str(out), where="https://example.jp/t.csv", limits=Limits(),
                       max_rows=kw.pop("max_rows", 1000), **kw)
    with open(out, encoding="utf-8", newline="") as f:
        return prepared, list(csv.reader(f))


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                              ("cp932", b""), ("euc-jp", b"")])
def test_japanese_files_read_the_same(tmp_path, encoding, prefix):
    data = prefix + "\r\n".join([HEADER, *ROWS]).encode(encoding) + b"\r\n"
    prepared, rows = run(data, tmp_path)
    assert rows[0] == ["施設名", "住所", "人口", "開設日", "定員"]
    assert rows[1] == ["中央図書館", "札幌市中央区", "1973395", "2024-04-01", "１２０"]
    assert rows[2][3] == "2024-04-02"
    assert [f["type"] for f in prepared.fields] == ["text", "text", "numeric", "date", "text"]
    assert prepared.rows == 2


def test_cp932_characters_shift_jis_lacks(tmp_path):
    # ① and ～ exist in CP932 (Windows) but not in strict Shift_JIS
    data = "番号,備考\n1,①段階～完了\n".encode("cp932")
    _, rows = run(data, tmp_path)
    assert rows[1] == ["1", "①段階～完了"]


def test_text_stays_text(tmp_path):
    data = ("コード,和暦,全角,記号\n011002,令和6年4月1日,１２３,-\n012025,平成31年4月30日,４５６,5\n").encode("utf-8")
    prepared, rows = run(data, tmp_path)
    assert [f["type"] for f in prepared.fields] == ["text", "text", "text", "text"]
    assert rows[1] == ["011002", "令和6年4月1日", "１２３", "-"]


def test_column_names_blank_duplicate_long_underscore():
    names, renamed = column_names(["名称", "", "名称", "_id", 'a"b', "あ" * 30])
    assert names[:5] == ["名称", "列2", "名称_2", "id", "ab"]
    assert len(names[5].encode()) <= 63 and names[5] == "あ" * 21
    assert ("", "列2") in renamed and ("名称", "名称_2") in renamed


@pytest.mark.parametrize("values, kind", [
    (["1", "2,345", "-6.5"], "numeric"), (["1", "01"], "text"), (["1", "１"], "text"),
    (["2024-01-01", "2024/2/3"], "date"), (["2024-02-30"], "text"), (["令和6年"], "text"), ([], "text")])
def test_column_type(values, kind):
    assert column_type(values) == kind


def test_xlsx(tmp_path):
    prepared, rows = run(xlsx([["市町村", "人口"], ["札幌市", "1973395"], ["函館市", "244000"]]), tmp_path)
    assert prepared.file_format == "xlsx" and rows[2] == ["函館市", "244000"]
    assert [f["type"] for f in prepared.fields] == ["text", "numeric"]


def test_a_stray_quote_names_its_line(tmp_path):
    data = 'a,b\n1,2\n3,"4"x\n5,6\n'.encode()  # a quote closed in the middle of a cell
    with pytest.raises(TableError) as err:
        run(data, tmp_path)
    assert err.value.line == 3 and "3行目" in err.value.message_ja


def test_mixed_encodings_name_the_line(tmp_path):
    data = "名称,値\n札幌,1\n".encode("utf-8") + "函館,2\n".encode("cp932") + "小樽,3\n".encode("utf-8")
    with pytest.raises(TableError) as err:
        run(data, tmp_path)
    assert err.value.line == 3 and "文字コード" in err.value.message_ja


def test_an_html_error_page_served_as_csv(tmp_path):
    with pytest.raises(BadResponse) as err:
        run(b"<!DOCTYPE html><html><body>500 Internal Server Error</body></html>", tmp_path)
    assert "HTML" in err.value.message_ja


def test_an_xlsx_zip_bomb(tmp_path):
    with pytest.raises(LimitExceeded):
        run(xlsx_bomb_bytes(256 * 1024 * 1024), tmp_path)


def test_a_value_beyond_the_header(tmp_path):
    with pytest.raises(TableError) as err:
        run("a,b\n1,2,,\n3,4,5\n".encode(), tmp_path)
    assert err.value.line == 3


def test_empty_and_too_many_rows(tmp_path):
    with pytest.raises(TableError):
        run(b"\n\n", tmp_path)
    with pytest.raises(TableError) as err:
        run(("a\n" + "1\n" * 11).encode(), tmp_path, max_rows=10)
    assert "10" in err.value.message_ja
