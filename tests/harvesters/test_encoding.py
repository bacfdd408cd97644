"""Text decoding for Japanese portals: charset header, BOM, meta/XML
declarations and detection among UTF-8, cp932 (Shift_JIS) and EUC-JP.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import codecs

import pytest

from harvesters.decoding import decode_text, normalize_charset
from tests.fakes.portal_server import PortalResponse, text_response

CATALOG = (
    "全国地方公共団体コード,地方公共団体名,データセット_タイトル,ファイル_形式\n"
    "011002,札幌市,人口統計（町丁目別）,CSV\n"
    "012025,函館市,ＡＥＤ設置箇所一覧,XLSX\n"
    "014257,上砂川町,公共施設一覧,CSV\n"
)


@pytest.mark.parametrize(("codec", "expected"), [("cp932", "cp932"), ("shift_jis", "cp932"), ("euc_jp", "euc_jp"),
                                                  ("utf-8", "utf-8")])
def test_undeclared_japanese_encodings_are_detected(codec, expected):
    # Bad input: a CSV in Shift_JIS / EUC-JP / UTF-8 with no charset anywhere.
    decoded = decode_text(CATALOG.encode(codec), "text/csv")
    assert decoded.text == CATALOG
    assert (decoded.encoding, decoded.source) == (expected, "detected")


def test_short_euc_jp_that_also_decodes_as_cp932():
    # Bad input: EUC-JP bytes that are also valid cp932 (as half-width katakana),
    # so only the statistic can tell them apart.
    data = "北海道".encode("euc_jp")
    assert data.decode("cp932") != "北海道"  # precondition: both decode strictly
    decoded = decode_text(data)
    assert (decoded.text, decoded.encoding) == ("北海道", "euc_jp")


def test_short_cp932_is_not_mistaken_for_euc_jp():
    # Bad input: a two-kanji Shift_JIS body.
    decoded = decode_text("札幌".encode("cp932"))
    assert (decoded.text, decoded.encoding) == ("札幌", "cp932")


def test_utf8_bom_is_used_and_stripped():
    # Bad input: UTF-8 with a byte order mark (Excel's "CSV UTF-8").
    decoded = decode_text(codecs.BOM_UTF8 + CATALOG.encode("utf-8"), "text/csv")
    assert decoded.text == CATALOG
    assert (decoded.encoding, decoded.source) == ("utf-8-sig", "bom")


def test_bom_is_stripped_when_header_says_utf8():
    # Bad input: a BOM in a body whose header already says UTF-8.
    decoded = decode_text(codecs.BOM_UTF8 + "札幌市".encode(), "text/csv; charset=UTF-8")
    assert (decoded.text, decoded.source) == ("札幌市", "http")


def test_utf16_bom():
    # Bad input: a UTF-16 file (some spreadsheet exports).
    decoded = decode_text(CATALOG.encode("utf-16"))
    assert (decoded.text, decoded.source) == (CATALOG, "bom")


def test_http_charset_is_honoured_with_windows_extensions():
    # Bad input: "Shift_JIS" declared while the text uses NEC extensions (①, ㈱)
    # that strict Shift_JIS lacks.
    text = "①株式会社 ㈱ほっかいどう"
    decoded = decode_text(text.encode("cp932"), "text/plain; charset=Shift_JIS")
    assert (decoded.text, decoded.encoding, decoded.source) == (text, "cp932", "http")


def test_http_charset_contradicted_by_bytes_is_skipped():
    # Bad input: header says UTF-8 but the body is Shift_JIS.
    decoded = decode_text(CATALOG.encode("cp932"), "text/csv; charset=utf-8")
    assert (decoded.text, decoded.encoding, decoded.source) == (CATALOG, "cp932", "detected")


def test_html_meta_http_equiv():
    # Bad input: an old-style Shift_JIS page that declares its charset only in a meta tag.
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
            "<title>オープンデータ一覧｜函館市</title></head><body>ＡＥＤ</body></html>")
    decoded = decode_text(html.encode("cp932"), "text/html")
    assert (decoded.text, decoded.encoding, decoded.source) == (html, "cp932", "html-meta")


def test_html5_meta_charset():
    # Bad input: an EUC-JP page with <meta charset="euc-jp">.
    html = '<!DOCTYPE html><html><head><meta charset="euc-jp"><title>北斗市</title></head></html>'
    decoded = decode_text(html.encode("euc_jp"), "text/html")
    assert (decoded.encoding, decoded.source) == ("euc_jp", "html-meta")
    assert decoded.text == html


def test_xml_declaration():
    # Bad input: an EUC-JP XML feed declaring its encoding only in the XML declaration.
    xml = '<?xml version="1.0" encoding="EUC-JP"?>\n<rss><title>北海道</title></rss>'
    decoded = decode_text(xml.encode("euc_jp"), "application/xml")
    assert (decoded.text, decoded.encoding, decoded.source) == (xml, "euc_jp", "xml-declaration")


def test_undecodable_bytes_fall_back_with_replacement():
    # Bad input: bytes valid in none of UTF-8, cp932 and EUC-JP.
    data = b"id,name\n1,\x80\xa0\x85\n"
    for codec in ("utf-8", "cp932", "euc_jp"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(codec)
    decoded = decode_text(data)
    assert decoded.source == "fallback"
    assert decoded.text.startswith("id,name\n1,") and "\ufffd" in decoded.text


@pytest.mark.parametrize(
    ("label", "codec"),
    [("Shift_JIS", "cp932"), ("x-sjis", "cp932"), ("Windows-31J", "cp932"), ("EUC-JP", "euc_jp"),
     ("utf8", "utf-8"), ('"UTF-8"', "utf-8"), ("no-such-charset", None), ("", None)],
)
def test_charset_labels(label, codec):
    # Bad input: charset labels as they appear in the wild, including unknown ones.
    assert normalize_charset(label) == codec


@pytest.mark.parametrize(
    ("codec", "prefix", "encoding", "source"),
    [("cp932", b"", "cp932", "detected"), ("euc_jp", b"", "euc_jp", "detected"),
     ("utf-8", codecs.BOM_UTF8, "utf-8-sig", "bom")],
)
def test_bodies_from_server_are_decoded(portal, client, codec, prefix, encoding, source):
    # Bad input: a catalog CSV served as text/csv without charset, in Shift_JIS,
    # EUC-JP or UTF-8 with BOM.
    portal.respond("/catalog.csv", PortalResponse(200, prefix + CATALOG.encode(codec), {"Content-Type": "text/csv"}))
    decoded = client.get(portal.url + "/catalog.csv").text()
    assert (decoded.text, decoded.encoding, decoded.source) == (CATALOG, encoding, source)


def test_json_in_shift_jis_with_header(portal, client):
    # Bad input: a JSON API answering in Shift_JIS (declared in the header).
    portal.respond("/api", text_response('{"title": "上砂川町"}', encoding="cp932",
                                         content_type="application/json; charset=Shift_JIS"))
    assert client.get_json(portal.url + "/api") == {"title": "上砂川町"}


@pytest.mark.parametrize("data", [
    b"\x00\xff\xfe garbage",          # NUL and bytes Shift_JIS leaves unassigned (cp932 maps them to U+F8F0-3)
    b"name,value\n\x00\x00\x00\x01",  # binary after a text-like start
    "札幌".encode("cp932") + b"\xfd",  # one unassigned byte in otherwise good Shift_JIS
])
def test_binary_or_unassigned_bytes_are_never_detected_as_text(data):
    # Bad input: what CP932 "decodes" without an error but no Japanese file contains.
    assert decode_text(data).source == "fallback"
