"""`ckan hokkaido probe URL --municipality CODE --register` onboards a
municipality: it recognises the portal and creates the harvest source."""
from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.fakes.shirasagi import FakeShirasagi, make_package
from tests.fakes.portal_server import PortalResponse


def test_probe_recognises_and_registers_a_shirasagi_portal(cli, portal, harvest):
    factories.Organization(name="013951", title="ニセコ町")
    FakeShirasagi([make_package(n, ["ニセコ町"]) for n in range(3)]).install(portal)
    # the portal's top page is HTML; the probe finds the API behind it
    portal.respond("/opendata/", PortalResponse(
        200, "<html><body><h1>オープンデータ</h1></body></html>".encode(),
        {"Content-Type": "text/html; charset=utf-8"}))
    result = cli.invoke(ckan, ["hokkaido", "probe", portal.url + "/opendata/",
                               "--municipality", "013951", "--register"])
    assert result.exit_code == 0, result.output
    assert "shirasagi" in result.output and "3 datasets" in result.output
    assert "registered harvest source 013951-shirasagi" in result.output
    source = call_action("harvest_source_show", context={"ignore_auth": True},
                         id="013951-shirasagi")
    assert source["source_type"] == "hokkaido_shirasagi"
    assert source["organization"]["name"] == "013951"


def test_probe_of_an_unknown_page_exits_1_and_registers_nothing(cli, portal, harvest):
    # bad input tried: an HTML page with no portal API and no data links
    portal.respond("/", PortalResponse(200, "<html><body><p>工事中</p></body></html>".encode(),
                                       {"Content-Type": "text/html; charset=utf-8"}))
    result = cli.invoke(ckan, ["hokkaido", "probe", portal.url + "/", "--register"])
    assert result.exit_code == 1
    assert "unknown kind of portal" in result.output
    assert call_action("harvest_source_list", context={"ignore_auth": True}) == []


def test_probe_refuses_a_code_outside_hokkaido(cli, harvest):
    result = cli.invoke(ckan, ["hokkaido", "probe", "http://127.0.0.1:9/",
                               "--municipality", "131016"])
    assert result.exit_code == 2


def test_probe_from_file_onboards_in_bulk_and_names_bad_rows(cli, portal, harvest, tmp_path):
    # Bad input tried, one row each: a code outside Hokkaido, an ftp:// URL, a
    # third column, a portal that is not there (a closed port), a URL already
    # registered (another spelling of the first); the file is Shift_JIS with
    # a Japanese header, as a spreadsheet saves it.
    for code, title in (("013951", "ニセコ町"), ("012025", "函館市")):
        factories.Organization(name=code, title=title)
    FakeShirasagi([make_package(n, ["ニセコ町"]) for n in range(2)]).install(portal)
    portal.respond("/opendata/", PortalResponse(
        200, "<html><body><h1>オープンデータ</h1></body></html>".encode(),
        {"Content-Type": "text/html; charset=utf-8"}))
    host = portal.url.split("//", 1)[1]
    listing = tmp_path / "onboard.csv"
    listing.write_bytes("\r\n".join([
        "市町村コード,URL",
        f"013951,{portal.url}/opendata/",
        "131016,https://www.city.shinjuku.lg.jp/",
        "012025,ftp://files.example.org/opendata/",
        "012025,https://www.city.hakodate.hokkaido.jp/,余計",
        "012025,http://127.0.0.1:9/",
        f"013951,http://{host.upper()}/opendata",
    ]).encode("cp932"))

    result = cli.invoke(ckan, ["hokkaido", "probe", "--from-file", str(listing), "--register"])
    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output  # bad and unknown rows: cron is told
    assert any("line 2" in line and "registered harvest source 013951-shirasagi" in line for line in lines)
    assert any("line 3" in line and "BAD ROW" in line and "131016 is not a Hokkaido municipality code" in line
               for line in lines)
    assert any("line 4" in line and "BAD ROW" in line and "not an http(s) URL" in line for line in lines)
    assert any("line 5" in line and "BAD ROW" in line and "too many columns" in line for line in lines)
    assert any("line 6" in line and "UNKNOWN" in line for line in lines)
    assert any("line 7" in line and "already registered as source 013951-shirasagi" in line for line in lines)
    assert lines[-1] == "6 rows: 2 recognised, 4 bad or unknown"
    # one source, for the one portal, however often the file names it
    (source,) = call_action("harvest_source_list", context={"ignore_auth": True})
    assert source["id"] == call_action("harvest_source_show", context={"ignore_auth": True},
                                       id="013951-shirasagi")["id"]


def test_probe_from_file_refuses_a_file_that_is_not_a_table(cli, harvest, tmp_path):
    # Bad input tried: an HTML page saved as .csv, and a file that is not there
    page = tmp_path / "list.csv"
    page.write_bytes(b"<!DOCTYPE html><html><body>404</body></html>")
    result = cli.invoke(ckan, ["hokkaido", "probe", "--from-file", str(page)])
    assert result.exit_code == 2 and "list.csv" in result.output
    result = cli.invoke(ckan, ["hokkaido", "probe", "--from-file", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "missing.csv" in result.output
    result = cli.invoke(ckan, ["hokkaido", "probe"])
    assert result.exit_code == 2 and "--from-file" in result.output
