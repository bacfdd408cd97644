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
