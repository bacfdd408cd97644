"""`ckan hokkaido discover`: from a municipality's homepage to its sources,
registered when confident, the rest listed for a steward (issue 19)."""
import json

from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.fakes import municipal_sites
from tests.fakes.portal_server import PortalServer


def test_discover_registers_a_confident_source_once_and_writes_the_findings(cli, portal, portals, harvest, tmp_path):
    factories.Organization(name="012025", title="函館市")
    catalogue = portals()
    municipal_sites.ckan_elsewhere(portal, "函館市", portal=catalogue)
    out = tmp_path / "found.json"
    args = ["hokkaido", "discover", "--municipality", "012025", "--homepage", portal.url + "/", "--register"]
    result = cli.invoke(ckan, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"[1/1] 012025 函館市: ckan {catalogue.url} (high, 4 datasets) -> registered 012025-ckan" in result.output
    (entry,) = json.loads(out.read_text(encoding="utf-8"))
    (found,) = entry["found"]
    assert [step["text"] for step in found["evidence"]] == ["市政情報", "函館市データカタログサイト"]
    source = call_action("harvest_source_show", context={"ignore_auth": True}, id="012025-ckan")
    assert source["url"] == catalogue.url and source["source_type"] == "hokkaido_ckan"
    # again: never a second source for the same portal
    again = cli.invoke(ckan, args)
    assert "already registered as source 012025-ckan" in again.output
    assert len(call_action("harvest_source_list", context={"ignore_auth": True})) == 1


def test_discover_lists_a_page_of_files_for_a_steward_and_names_what_it_could_not_read(cli, portal, harvest,
                                                                                       tmp_path):
    # Bad input tried: a site drawn by JavaScript (nothing guessed), then a page
    # of files (medium confidence: listed, not registered); a CSV for review
    municipal_sites.javascript_only(portal, "夕張市")
    result = cli.invoke(ckan, ["hokkaido", "discover", "--municipality", "012092", "--homepage", portal.url + "/"])
    assert result.exit_code == 0 and "nothing found" in result.output and "JavaScript" in result.output
    with PortalServer() as site:
        municipal_sites.footer_link(site, "夕張市")
        out = tmp_path / "found.csv"
        result = cli.invoke(ckan, ["hokkaido", "discover", "--municipality", "012092", "--homepage", site.url + "/",
                                   "--register", "--out", str(out)])
    assert "webpage" in result.output and "proposed to stewards (/municipalities/012092/proposals)" in result.output
    assert call_action("harvest_source_list", context={"ignore_auth": True}) == []
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("code,name,homepage,kind,url,confidence") and "オープンデータ" in rows[1]


def test_discover_needs_one_municipality_or_all(cli, harvest):
    assert cli.invoke(ckan, ["hokkaido", "discover"]).exit_code == 2
    assert cli.invoke(ckan, ["hokkaido", "discover", "--municipality", "131016"]).exit_code == 2
    assert cli.invoke(ckan, ["hokkaido", "discover", "--all", "--out", "x.txt"]).exit_code == 2
