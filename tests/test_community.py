"""Use cases (活用事例) and data requests (データ公開リクエスト) through the
API: who may do what, what a visitor sees, the mails, the limit per day
and moderation. Pages are tested in test_public_face_browser.py."""
import pytest
import sqlalchemy as sa

from ckan import model
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.mail import SMTP_PORT


def act(action, user=None, **data):
    context = {"user": user["name"] if user else "", "ignore_auth": False}
    return toolkit.get_action(action)(context, data)


@pytest.fixture
def portal_data():
    org = factories.Organization(name="011002", title="札幌市", image_url="")
    other = factories.Organization(name="012025", title="函館市", image_url="")
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    public = call_action("package_create", context={"user": site_user}, name="gomi", title="ごみ収集日",
                         owner_org=org["id"], notes="x", municipality_code="011002",
                         resources=[{"url": "https://example.jp/gomi.csv"}])
    private = call_action("package_create", context={"user": site_user}, name="secret", title="非公開の表",
                          owner_org=other["id"], notes="x", private=True, municipality_code="012025",
                          resources=[{"url": "https://example.jp/secret.csv"}])
    return {"org": org, "other": other, "public": public, "private": private}


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestUseCases:

    def test_a_registered_user_publishes_and_the_dataset_lists_it(self, portal_data):
        user = factories.User()
        created = act("hokkaido_use_case_create", user, name="gomi-app", title="ごみ分別アプリ",
                      description="収集日を通知する", url="https://app.example.jp/",
                      image_url="https://app.example.jp/shot.png", datasets=["gomi"])
        assert [d["name"] for d in created["datasets"]] == ["gomi"]
        assert act("hokkaido_use_case_show", None, id="gomi-app")["title"] == "ごみ分別アプリ"
        listed = act("hokkaido_use_case_list", None, dataset="gomi")
        assert [u["name"] for u in listed["results"]] == ["gomi-app"]
        assert act("hokkaido_use_case_list", None, q="分別")["count"] == 1
        assert act("hokkaido_use_case_list", None, q="観光")["count"] == 0

    def test_a_visitor_may_not_publish(self, portal_data):
        with pytest.raises(toolkit.NotAuthorized):
            act("hokkaido_use_case_create", None, name="x", title="x")

    def test_only_datasets_the_author_may_see(self, portal_data):
        # the bad input: a private dataset of another organization, a name that does not exist
        user = factories.User()
        for names in (["secret"], ["no-such-dataset"]):
            with pytest.raises(toolkit.ValidationError) as err:
                act("hokkaido_use_case_create", user, name="leak", title="x", datasets=names)
            assert names[0] in str(err.value.error_dict["datasets"])

    def test_a_private_dataset_named_by_its_steward_is_hidden_from_visitors(self, portal_data):
        steward = factories.User()
        call_action("organization_member_create", id=portal_data["other"]["id"], username=steward["name"],
                    role="editor")
        act("hokkaido_use_case_create", steward, name="both", title="両方", datasets=["gomi", "secret"])
        assert {d["name"] for d in act("hokkaido_use_case_show", steward, id="both")["datasets"]} == {"gomi", "secret"}
        assert [d["name"] for d in act("hokkaido_use_case_show", None, id="both")["datasets"]] == ["gomi"]
        with pytest.raises(toolkit.ObjectNotFound):
            act("hokkaido_use_case_list", None, dataset="secret")

    def test_only_its_author_or_a_sysadmin_edits_or_deletes_it(self, portal_data):
        author, stranger, sysadmin = factories.User(), factories.User(), factories.Sysadmin()
        act("hokkaido_use_case_create", author, name="mine", title="私の事例")
        with pytest.raises(toolkit.NotAuthorized):
            act("hokkaido_use_case_update", stranger, id="mine", title="乗っ取り")
        with pytest.raises(toolkit.NotAuthorized):
            act("hokkaido_use_case_delete", stranger, id="mine")
        assert act("hokkaido_use_case_update", author, id="mine", title="改題", datasets=["gomi"])["title"] == "改題"
        act("hokkaido_use_case_delete", sysadmin, id="mine")
        with pytest.raises(toolkit.ObjectNotFound):
            act("hokkaido_use_case_show", None, id="mine")
        # a deleted use case's name is not given again
        with pytest.raises(toolkit.ValidationError):
            act("hokkaido_use_case_create", author, name="mine", title="再投稿")

    def test_bad_links_are_refused(self, portal_data):
        user = factories.User()
        for field, value in (("url", "javascript:alert(1)"), ("image_url", "file:///etc/passwd"),
                             ("name", "日本語の名前")):
            with pytest.raises(toolkit.ValidationError) as err:
                act("hokkaido_use_case_create", user, **{"name": "ok", "title": "x", field: value})
            assert field in err.value.error_dict


@pytest.mark.usefixtures("with_plugins", "clean_db")
@pytest.mark.ckan_config("smtp.server", f"127.0.0.1:{SMTP_PORT}")
@pytest.mark.ckan_config("smtp.mail_from", "portal@portal.example")
class TestDataRequests:

    def _steward(self, org, capacity="editor", email=None):
        user = factories.User(email=email) if email else factories.User()
        call_action("organization_member_create", id=org["id"], username=user["name"], role=capacity)
        return user

    def test_a_request_mails_the_stewards_and_their_answer_mails_the_requester(self, portal_data, inbox):
        editor = self._steward(portal_data["org"], "editor", "editor@sapporo.example")
        admin = self._steward(portal_data["org"], "admin", "admin@sapporo.example")
        self._steward(portal_data["other"], "editor", "hakodate@hakodate.example")
        requester = factories.User(email="resident@example.jp")
        created = act("hokkaido_data_request_create", requester, title="除雪車の位置", description="リアルタイムで",
                      reason="通学路の安全のため", organization="011002")
        assert created["status"] == "received" and created["organization_title"] == "札幌市"
        assert sorted(created["notified"]) == sorted([editor["name"], admin["name"]])
        mailed = inbox.parsed()
        assert sorted(to[0] for to, _ in mailed) == ["admin@sapporo.example", "editor@sapporo.example"]
        assert "除雪車の位置" in mailed[0][1]["Subject"]
        assert f"/datarequests/{created['id']}" in mailed[0][1].get_body().get_content()

        inbox.messages.clear()
        answered = act("hokkaido_data_request_answer", editor, id=created["id"], status="considering",
                       message="来月の会議で検討します")
        assert answered["status"] == "considering"
        assert [to for to, _ in inbox.parsed()] == [["resident@example.jp"]]
        assert "検討中" in inbox.parsed()[0][1]["Subject"]
        answered = act("hokkaido_data_request_answer", editor, id=created["id"], status="published", dataset="gomi")
        assert answered["package_name"] == "gomi"
        assert [e["status"] for e in answered["events"]] == ["considering", "published"]
        counts = act("hokkaido_municipality_show", None, id="011002")["data_requests"]
        assert counts["total"] == 1 and counts["published"] == 1

    def test_the_request_stands_when_mail_cannot_be_sent(self, portal_data):
        # no SMTP server listening on the port: the request is kept, the steward named as not notified
        editor = self._steward(portal_data["org"], "editor", "editor@sapporo.example")
        created = act("hokkaido_data_request_create", factories.User(), title="公園の遊具", description="一覧",
                      organization="011002")
        assert created["not_notified"] == [editor["name"]]
        assert act("hokkaido_data_request_show", None, id=created["id"])["title"] == "公園の遊具"

    def test_who_may_answer(self, portal_data, inbox):
        requester = factories.User()
        created = act("hokkaido_data_request_create", requester, title="t", description="d", organization="011002")
        other_steward = self._steward(portal_data["other"])
        member = self._steward(portal_data["org"], "member")
        for user in (requester, other_steward, member):
            with pytest.raises(toolkit.NotAuthorized):
                act("hokkaido_data_request_answer", user, id=created["id"], status="considering")

    def test_answers_need_their_dataset_or_reason(self, portal_data, inbox):
        editor = self._steward(portal_data["org"])
        created = act("hokkaido_data_request_create", factories.User(), title="t", description="d",
                      organization="011002")
        for bad, field in (({"status": "published"}, "dataset"), ({"status": "published", "dataset": "nothing"}, "dataset"),
                           ({"status": "refused"}, "message"), ({"status": "maybe"}, "status")):
            with pytest.raises(toolkit.ValidationError) as err:
                act("hokkaido_data_request_answer", editor, id=created["id"], **bad)
            assert field in err.value.error_dict, bad
        assert act("hokkaido_data_request_show", None, id=created["id"])["status"] == "received"
        refused = act("hokkaido_data_request_answer", editor, id=created["id"], status="refused",
                      message="個人情報を含むため")
        assert refused["status_note"] == "個人情報を含むため"

    def test_requests_are_public_and_searchable(self, portal_data, inbox):
        for title, org in (("除雪の記録", "011002"), ("観光客数", "012025"), ("除雪車の台数", "012025")):
            act("hokkaido_data_request_create", factories.User(), title=title, description="d", organization=org)
        assert act("hokkaido_data_request_list", None, q="除雪")["count"] == 2
        assert act("hokkaido_data_request_list", None, q="除雪", organization="012025")["count"] == 1
        assert act("hokkaido_data_request_list", None, status="received")["count"] == 3
        with pytest.raises(toolkit.ValidationError):
            act("hokkaido_data_request_list", None, organization="no-such-org")

    def test_a_visitor_may_not_ask(self, portal_data):
        with pytest.raises(toolkit.NotAuthorized):
            act("hokkaido_data_request_create", None, title="t", description="d", organization="011002")

    @pytest.mark.ckan_config("ckanext.hokkaido.data_requests.per_user_per_day", "2")
    def test_the_limit_per_day(self, portal_data, inbox):
        user = factories.User()
        for n in range(2):
            act("hokkaido_data_request_create", user, title=f"t{n}", description="d", organization="011002")
        with pytest.raises(toolkit.ValidationError) as err:
            act("hokkaido_data_request_create", user, title="t3", description="d", organization="011002")
        assert "24" in str(err.value.error_dict)
        # a day later the user may ask again
        model.Session.execute(sa.text(
            "UPDATE hokkaido_data_request SET created = created - interval '25 hours'"))
        model.Session.commit()
        act("hokkaido_data_request_create", user, title="t3", description="d", organization="011002")

    def test_sysadmins_hide_abuse(self, portal_data, inbox):
        spammer, sysadmin = factories.User(), factories.Sysadmin()
        created = act("hokkaido_data_request_create", spammer, title="格安商品はこちら", description="http://spam.example",
                      organization="011002")
        with pytest.raises(toolkit.NotAuthorized):
            act("hokkaido_data_request_moderate", spammer, id=created["id"], hidden=True)
        act("hokkaido_data_request_moderate", sysadmin, id=created["id"], hidden=True, reason="広告")
        assert act("hokkaido_data_request_list", None)["count"] == 0
        with pytest.raises(toolkit.ObjectNotFound):
            act("hokkaido_data_request_show", None, id=created["id"])
        assert act("hokkaido_data_request_show", sysadmin, id=created["id"])["hidden_reason"] == "広告"
        assert act("hokkaido_data_request_list", sysadmin)["count"] == 1
        assert act("hokkaido_municipality_show", None, id="011002")["data_requests"]["total"] == 0
