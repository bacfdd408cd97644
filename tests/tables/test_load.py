"""The DataStore load job against real PostgreSQL, the DataStore, Redis and
a local HTTP server in the municipal portals' place: a Shift_JIS CSV loaded
with its Japanese headers and types, previewed, profiled; fetched again
only when changed; replaced when it changes. Bad input tried, each an
error on the resource and nothing else changed: a file over the size limit,
a stray quote, mixed encodings, an HTML error page served as CSV, an XLSX
zip bomb, a 404, a server that never answers; and a resource on loopback
when loopback is not allowed (its server receives no request)."""
import pytest
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido.tables import queue_changed, store
from ckanext.hokkaido.tables.load import load_resource
from tests.fakes.hostile import xlsx_bomb_bytes
from tests.fakes.portal_server import PortalResponse

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.retries", 0)]

GOOD = ("施設名,住所,人口,開設日,定員\r\n"
        "中央図書館,札幌市中央区,\"1,973,395\",2024-04-01,１２０\r\n"
        "西図書館,札幌市西区,\"215,000\",2024-05-01,80\r\n"
        "東図書館,札幌市東区,\"262,000\",2024-06-01,90\r\n").encode("cp932")
CHANGED = ("施設名,住所,人口,開設日,定員\r\n新図書館,札幌市北区,\"290,000\",2025-01-01,100\r\n").encode("cp932")


class FileServer:
    """A file at /data/t.csv answering conditional requests by its ETag."""

    def __init__(self, portal, body, etag="v1"):
        self.portal, self.body, self.etag = portal, body, etag
        self.next = None  # a PortalResponse to answer once instead
        portal.route("/data/t.csv", self.handle)
        self.url = portal.url + "/data/t.csv"

    def handle(self, request):
        if self.next is not None:
            response, self.next = self.next, None
            return response
        if request.headers.get("If-None-Match") == self.etag:
            return PortalResponse(304, b"", {"ETag": self.etag})
        return PortalResponse(200, self.body, {"Content-Type": "text/csv", "ETag": self.etag})


def dataset(url, fmt="CSV"):
    org = factories.Organization(name="011002", title="札幌市", image_url="")
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    return call_action("package_create", context={"user": site_user}, name="toshokan", title="図書館一覧",
                       owner_org=org["id"], notes="x", municipality_code="011002",
                       resources=[{"url": url, "format": fmt, "name": "一覧"}])["resources"][0]


def records(resource_id, **params):
    return call_action("datastore_search", resource_id=resource_id, **params)


def test_a_shift_jis_csv_is_loaded_typed_previewed_and_profiled(portal):
    served = FileServer(portal, GOOD)
    resource = dataset(served.url)
    assert load_resource(resource["id"]) == "loaded"

    found = records(resource["id"], filters={"住所": "札幌市西区"})
    types = {f["id"]: f["type"] for f in found["fields"]}
    assert types == {"_id": "int", "施設名": "text", "住所": "text", "人口": "numeric", "開設日": "date", "定員": "text"}
    assert [r["施設名"] for r in found["records"]] == ["西図書館"]
    assert str(found["records"][0]["人口"]) == "215000"
    assert records(resource["id"], q="中央図書館")["total"] == 1   # the full-text column too
    assert records(resource["id"])["records"][0]["定員"] == "１２０"  # full-width digits kept as text
    views = call_action("resource_view_list", id=resource["id"])
    assert "datatables_view" in [v["view_type"] for v in views]

    profile = call_action("hokkaido_table_profile", resource_id=resource["id"])
    assert profile["status"] == "loaded" and profile["rows"] == 3 and profile["encoding"] == "cp932"
    columns = {c["name"]: c for c in profile["columns"]}
    assert columns["人口"]["min"] == 215000 and columns["人口"]["max"] == 1973395
    assert columns["人口"]["median"] == 262000 and columns["人口"]["chart"]["kind"] == "histogram"
    assert sum(columns["人口"]["chart"]["values"]) == 3
    assert columns["施設名"]["distinct"] == 3 and columns["施設名"]["chart"]["kind"] == "bar"
    # dates spanning less than 3 months: rows per day
    assert columns["開設日"]["chart"] == {"kind": "line", "period": "day",
                                       "labels": ["2024-04-01", "2024-05-01", "2024-06-01"], "values": [1, 1, 1]}
    assert columns["開設日"]["min"] == "2024-04-01" and columns["開設日"]["max"] == "2024-06-01"
    # the full-text trigger is on again: a row added later is found by words too
    call_action("datastore_upsert", resource_id=resource["id"], method="insert", force=True,
                records=[{"施設名": "北図書館", "住所": "札幌市北区", "人口": 290000, "開設日": "2024-07-01"}])
    assert records(resource["id"], q="北図書館")["total"] == 1


def test_fetched_again_only_when_changed_and_replaced_when_it_is(portal):
    served = FileServer(portal, GOOD)
    resource = dataset(served.url)
    load_resource(resource["id"])
    first_profile = call_action("hokkaido_table_profile", resource_id=resource["id"])
    # unchanged: the server says 304 to the conditional request
    assert load_resource(resource["id"]) == "unchanged"
    assert portal.requests_to("/data/t.csv")[-1].headers.get("If-None-Match") == "v1"
    assert records(resource["id"])["total"] == 3
    # changed: a new ETag and body replace the table (its rows, not added to them)
    served.body, served.etag = CHANGED, "v2"
    assert load_resource(resource["id"]) == "loaded"
    assert [r["施設名"] for r in records(resource["id"])["records"]] == ["新図書館"]
    profile = call_action("hokkaido_table_profile", resource_id=resource["id"])
    assert profile["rows"] == 1 and profile != first_profile  # computed again for the new version


@pytest.mark.ckan_config("ckanext.hokkaido.harvest.timeout", 1)
@pytest.mark.ckan_config("ckanext.hokkaido.tables.total_timeout", 3)
@pytest.mark.ckan_config("ckanext.hokkaido.tables.max_bytes", 200_000)
def test_bad_input_is_an_error_and_the_loaded_table_stays(portal):
    served = FileServer(portal, GOOD)
    resource = dataset(served.url)
    assert load_resource(resource["id"]) == "loaded"
    bad = {
        "over the size limit": (PortalResponse(200, b"a,b\n" + b"1,2\n" * 60_000), "大きすぎる"),
        "a stray quote": (PortalResponse(200, 'a,b\n1,2\n3,"4"x\n'.encode()), "3行目"),
        "mixed encodings": (PortalResponse(200, "名称,値\n札幌,1\n".encode() + "函館,2\n".encode("cp932")
                                           + "小樽,3\n".encode()), "文字コード"),
        "an HTML error page": (PortalResponse(200, b"<!DOCTYPE html><html><body>Error</body></html>",
                                              {"Content-Type": "text/csv"}), "HTML"),
        "an XLSX zip bomb": (PortalResponse(200, xlsx_bomb_bytes(256 * 1024 * 1024)), ""),
        "a 404": (PortalResponse(404, b"not found"), "404"),
        "a server that never answers": (PortalResponse(200, GOOD, delay=6), "タイムアウト"),
    }
    for label, (response, words) in bad.items():
        served.next = response
        assert load_resource(resource["id"], force=True) == "error", label
        profile = call_action("hokkaido_table_profile", resource_id=resource["id"])
        message = profile["error"]["ja"] + " " + profile["error"]["en"]
        assert words in message, (label, message)
        assert records(resource["id"])["total"] == 3, label                     # the old table stays
        assert [c["name"] for c in profile["columns"]][:2] == ["施設名", "住所"], label


@pytest.mark.ckan_config("ckanext.hokkaido.harvest.allow_private_addresses", "")
def test_a_resource_on_loopback_is_refused_unasked(portal):
    served = FileServer(portal, GOOD)
    resource = dataset(served.url)
    assert load_resource(resource["id"]) == "error"
    assert portal.requests_to("/data/t.csv") == []
    error = call_action("hokkaido_table_profile", resource_id=resource["id"])["error"]
    assert "への接続は許可されていません" in error["ja"] and "not allowed" in error["en"]
    with pytest.raises(toolkit.ObjectNotFound):
        records(resource["id"])


@pytest.mark.ckan_config("ckanext.hokkaido.tables.auto_load", "true")
def test_only_new_or_changed_resources_are_queued(portal):
    toolkit.get_action("job_clear")({"ignore_auth": True}, {})
    served = FileServer(portal, GOOD)
    resource = dataset(served.url)
    jobs = toolkit.get_action("job_list")({"ignore_auth": True}, {})
    assert [j["title"] for j in jobs] == [f"hokkaido table {resource['id']}"]
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    call_action("package_patch", context={"user": site_user}, id="toshokan", title="図書館の一覧")
    assert len(toolkit.get_action("job_list")({"ignore_auth": True}, {})) == 1   # nothing of the file changed
    call_action("resource_patch", context={"user": site_user}, id=resource["id"], url=served.url + "?v=2")
    assert len(toolkit.get_action("job_list")({"ignore_auth": True}, {})) == 2
    assert store.get(resource["id"])["url"].endswith("?v=2")
    # a PDF is no table
    call_action("resource_create", context={"user": site_user}, package_id="toshokan",
                url="https://example.jp/a.pdf", format="PDF")
    assert queue_changed(resource["package_id"]) == 0
    toolkit.get_action("job_clear")({"ignore_auth": True}, {})


@pytest.mark.ckan_config("ckanext.hokkaido.tables.auto_load", "true")
def test_a_table_is_queued_when_its_write_commits_and_never_for_a_write_rolled_back(portal):
    # Bad input: a dataset written and then rolled back (a harvested record whose import
    # failed after package_create); it used to be queued at once, before the commit, and
    # its job polled resource_show for a resource that never came.
    from ckan import model
    toolkit.get_action("job_clear")({"ignore_auth": True}, {})
    served = FileServer(portal, GOOD)
    org = factories.Organization(name="011002", title="札幌市", image_url="")
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    fields = dict(name="toshokan", title="図書館一覧", owner_org=org["id"], notes="x",
                  resources=[{"url": served.url, "format": "CSV", "name": "一覧"}])
    toolkit.get_action("package_create")({"user": site_user, "defer_commit": True}, dict(fields))
    assert toolkit.get_action("job_list")({"ignore_auth": True}, {}) == []  # written, not committed: not yet
    model.Session.rollback()
    assert model.Package.by_name("toshokan") is None
    assert toolkit.get_action("job_list")({"ignore_auth": True}, {}) == []  # never
    resource = call_action("package_create", context={"user": site_user}, **fields)["resources"][0]
    assert [j["title"] for j in toolkit.get_action("job_list")({"ignore_auth": True}, {})] == \
        [f"hokkaido table {resource['id']}"]
    toolkit.get_action("job_clear")({"ignore_auth": True}, {})
    assert load_resource(resource["id"]) == "loaded"  # the job finds it at once
    # and the quick analysis is there at the end of the load: the page only reads it
    profile = call_action("hokkaido_table_profile", resource_id=resource["id"])
    assert profile["status"] == "loaded" and [c["name"] for c in profile["columns"]][:2] == ["施設名", "住所"]
    assert store.get(resource["id"])["profile_version"].endswith(store.get(resource["id"])["sha256"])


def test_the_profile_of_a_resource_never_loaded(portal):
    resource = dataset("https://example.jp/a.pdf", fmt="PDF")
    assert call_action("hokkaido_table_profile", resource_id=resource["id"]) == {
        "resource_id": resource["id"], "status": "none", "columns": []}
    with pytest.raises(toolkit.ValidationError):
        call_action("hokkaido_table_load", resource_id=resource["id"])


def test_the_nightly_check_queues_only_changed_files(portal, cli):
    from ckan.cli.cli import ckan
    toolkit.get_action("job_clear")({"ignore_auth": True}, {})
    served = FileServer(portal, GOOD)
    resource = dataset(served.url)
    assert load_resource(resource["id"]) == "loaded"
    result = cli.invoke(ckan, ["hokkaido", "tables", "check"])
    assert result.exit_code == 0 and "queued=0 unchanged=1" in result.output, result.output
    assert toolkit.get_action("job_list")({"ignore_auth": True}, {}) == []
    served.etag = "v2"   # the server's file changed
    result = cli.invoke(ckan, ["hokkaido", "tables", "check"])
    assert result.exit_code == 0 and "queued=1 unchanged=0" in result.output, result.output
    assert [j["title"] for j in toolkit.get_action("job_list")({"ignore_auth": True}, {})] == \
        [f"hokkaido table {resource['id']}"]
    toolkit.get_action("job_clear")({"ignore_auth": True}, {})
    # the whole run by hand, here and now
    result = cli.invoke(ckan, ["hokkaido", "tables", "load", resource["id"], "--sync"])
    assert result.exit_code == 0 and "loaded=1" in result.output, result.output


@pytest.mark.usefixtures("with_request_context")
def test_a_file_uploaded_to_the_portal_is_read_from_its_storage(create_with_upload):
    package = dataset("https://example.jp/placeholder.pdf", fmt="PDF")
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    uploaded = create_with_upload(CHANGED, "toshokan.csv", package_id=package["package_id"], format="CSV",
                                  context={"user": site_user})
    assert uploaded["url_type"] == "upload"
    assert load_resource(uploaded["id"]) == "loaded"
    assert [r["施設名"] for r in records(uploaded["id"])["records"]] == ["新図書館"]
