"""import-inventory / export-inventory against the real portal."""
import csv

import pytest
from ckan.cli.cli import ckan
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido.inventory import file as inventory
from ckanext.hokkaido.inventory import importer as logic
from tests.fakes.inventory_rows import realistic_rows, seed_rows, write_csv


def run(cli, *args):
    return cli.invoke(ckan, ["hokkaido", *args])


def site_user():
    return call_action("get_site_user", {"ignore_auth": True})["name"]


def read_back(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    return lines[0], [dict(zip(inventory.FIELDS,
                               [inventory.unescape_cell(c) for c in line]))
                      for line in lines[1:]]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestImport:

    def test_seed_imports_idempotently(self, cli, tmp_path):
        path = write_csv(seed_rows(), tmp_path / "seed.csv", encoding="cp932")
        first = run(cli, "import-inventory", str(path))
        assert first.exit_code == 0, first.output
        assert "encoding: cp932" in first.output
        assert "created 13, updated 0, unchanged 0, rejected 0" in first.output
        assert "import 13/13" in first.output          # the progress line
        second = run(cli, "import-inventory", str(path))
        assert "created 0, updated 0, unchanged 13, rejected 0" in second.output

        pkg = call_action("package_show", id="hokkaido-011700-2")
        assert pkg["title"] == "人事発令"
        assert pkg["organization"]["name"] == "010006-011700"
        assert pkg["municipality_code"] == "010006"
        assert (pkg["agency_code"], pkg["serial_no"]) == ("011700", "2")
        assert pkg["update_frequency"] == "随時"
        assert pkg["homepage_url"] == "https://www.pref.hokkaido.lg.jp/sm/jnj/a0003/"
        org = call_action("organization_show", id="010006-011700")
        assert org["title"] == "北海道 総務部 人事局人事課"

    def test_a_key_repeated_in_the_file_applies_no_copy(self, cli, tmp_path):
        # Bad input: the wrong copy of a row comes first, the right one later (issue 15).
        path = write_csv(seed_rows(), tmp_path / "seed.csv")
        run(cli, "import-inventory", str(path))
        rows = seed_rows()
        wrong = dict(rows[1], title="誤ったコピー")
        rows = [rows[0], wrong, *rows[1:]]
        write_csv(rows, path)
        result = run(cli, "import-inventory", str(path))
        assert result.exit_code == 1, result.output
        assert "rejected 2" in result.output and "repeated in rows 3, 4" in result.output
        kept = call_action("package_show", id=f"hokkaido-{wrong['agency_code']}-{wrong['serial_no']}")
        assert kept["title"] == seed_rows()[1]["title"]

    def test_dry_run_prints_changes_and_writes_nothing(self, cli, tmp_path):
        path = write_csv(seed_rows(), tmp_path / "seed.csv")
        run(cli, "import-inventory", str(path))
        rows = seed_rows()
        rows[0]["title"] = "新しい名称"
        write_csv(rows, path)
        result = run(cli, "import-inventory", "--dry-run", str(path))
        assert result.exit_code == 0
        assert "update hokkaido-011500-1 (row 2): title:" in result.output
        assert "(dry run) created 0, updated 1, unchanged 12" in result.output
        assert call_action("package_show", id="hokkaido-011500-1")["title"] != "新しい名称"

    def test_changed_row_updates_and_local_fields_stay(self, cli, tmp_path):
        path = write_csv(seed_rows(), tmp_path / "seed.csv")
        run(cli, "import-inventory", str(path))
        # a steward adds a field the inventory does not carry
        call_action("package_patch", context={"user": site_user()},
                    id="hokkaido-011500-2", tag_string="開花情報,チューリップ")
        rows = seed_rows()
        rows[1]["update_frequency"] = "毎年"
        write_csv(rows, path)
        result = run(cli, "import-inventory", str(path))
        assert "created 0, updated 1, unchanged 12" in result.output
        pkg = call_action("package_show", id="hokkaido-011500-2")
        assert pkg["update_frequency"] == "毎年"
        assert sorted(t["name"] for t in pkg["tags"]) == ["チューリップ", "開花情報"]

    def test_bad_rows_are_rejected_good_rows_import_and_a_fixed_rerun_converges(
            self, cli, tmp_path):
        rows = seed_rows()
        rows[2]["homepage_url"] = "not a url"          # row 4
        rows[5]["title"] = ""                          # row 7
        path = write_csv(rows, tmp_path / "inv.csv")
        result = run(cli, "import-inventory", str(path))
        assert result.exit_code == 1                   # cron learns of it
        assert "row 4, column ホームページURL" in result.output
        assert "row 7, column データの名称" in result.output
        assert "created 11, updated 0, unchanged 0, rejected 2" in result.output
        with pytest.raises(toolkit.ObjectNotFound):
            call_action("package_show", id="hokkaido-011500-3")

        write_csv(seed_rows(), path)
        result = run(cli, "import-inventory", str(path))
        assert result.exit_code == 0
        assert "created 2, updated 0, unchanged 11, rejected 0" in result.output

    def test_unreadable_file_exits_2_and_names_it(self, cli, tmp_path):
        path = tmp_path / "inv.csv"
        path.write_bytes(b"\x00\xff\xfe garbage")
        result = run(cli, "import-inventory", str(path))
        assert result.exit_code == 2
        assert "inv.csv" in result.output

    def test_unknown_columns_are_reported(self, cli, tmp_path):
        path = write_csv(seed_rows()[:1], tmp_path / "inv.csv",
                         header=inventory.header_row()[:-1] + ["備考欄"])
        result = run(cli, "import-inventory", str(path))
        assert "unknown column, not imported: 備考欄 (列14 / column 14)" in result.output


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestRoundTrip:

    @pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
    def test_import_export_import_is_lossless_on_300_rows(self, cli, tmp_path,
                                                          suffix):
        rows = realistic_rows(320)
        assert any(r["title"].startswith("=") for r in rows)
        source = write_csv(rows, tmp_path / "source.csv", encoding="cp932")
        first = run(cli, "import-inventory", str(source))
        assert "created 320, updated 0, unchanged 0, rejected 0" in first.output, first.output

        exported = tmp_path / ("export" + suffix)
        result = run(cli, "export-inventory", str(exported))
        assert "exported 320 rows" in result.output
        if suffix == ".csv":
            assert exported.read_bytes().startswith(b"\xef\xbb\xbf")
            header, back = read_back(exported)
            assert header == inventory.header_row()
            # formula-like text is quoted in the file, restored on reading
            raw = exported.read_text(encoding="utf-8-sig")
            assert "'=SUM(A1:A3)" in raw and ",=SUM" not in raw
            key = lambda r: (r["agency_code"], int(r["serial_no"]))
            # a source cell "'=x" is Excel's quoted text "=x", as on import
            expected = [{k: inventory.unescape_cell(v) for k, v in r.items()}
                        for r in rows]
            assert sorted(back, key=key) == sorted(expected, key=key)

        again = run(cli, "import-inventory", str(exported))
        assert "created 0, updated 0, unchanged 320, rejected 0" in again.output, again.output


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestSchema:

    def make(self, organization=None, **fields):
        org = factories.Organization(**({"name": organization} if organization else {}))
        return call_action("package_create", context={"user": site_user()},
                           name=fields.pop("name", "ds"), title="データ",
                           owner_org=org["id"], **fields)

    def test_agency_and_serial_are_unique_portal_wide(self):
        self.make(name="first", agency_code="011500", serial_no="7")
        with pytest.raises(toolkit.ValidationError) as e:
            self.make(name="second", agency_code="011500", serial_no="7")
        assert "already used by dataset first" in str(e.value.error_dict["serial_no"])
        # the same serial under another agency is fine
        self.make(name="third", agency_code="011700", serial_no="7")

    @pytest.mark.parametrize("code, ok", [
        ("011002", True), ("014257", True), ("010006", True),
        ("011003", False), ("01100", False), ("abcdef", False)])
    def test_municipality_code_needs_a_valid_check_digit(self, code, ok):
        if ok:  # in the municipality's own organization (authority.py: no other speaks for it)
            assert self.make(organization=code, municipality_code=code)["municipality_code"] == code
        else:
            with pytest.raises(toolkit.ValidationError) as e:
                self.make(municipality_code=code)
            assert "municipality_code" in e.value.error_dict

    @pytest.mark.parametrize("field, value", [
        ("update_frequency", "時々"), ("fee", "たぶん"), ("publishable", "?"),
        ("agency_code", "12345"), ("record_count", "多い"),
        ("homepage_url", "javascript:alert(1)"), ("standard_dataset", "99")])
    def test_closed_values_and_formats_are_checked(self, field, value):
        with pytest.raises(toolkit.ValidationError) as e:
            self.make(**{field: value})
        assert field in e.value.error_dict

    def test_facets_with_japanese_labels_in_package_search(self):
        self.make(name="ds-a", organization="011002", category="防災", update_frequency="毎年",
                  file_format="CSV", department="総務部",
                  municipality_code="011002", standard_dataset="03")
        self.make(name="ds-b", category="防災", update_frequency="随時")
        result = call_action("package_search", q="*:*")
        facets = result["search_facets"]
        assert facets["category"]["title"] == "分類"
        assert facets["update_frequency"]["title"] == "更新頻度"
        assert {i["name"]: i["count"] for i in facets["category"]["items"]} == {"防災": 2}
        assert facets["municipality_code"]["items"][0]["display_name"] == "札幌市"
        assert facets["standard_dataset"]["items"][0]["display_name"] == "03 指定緊急避難場所一覧"


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestAgencyOrganizations:

    def test_a_steward_edits_own_section_only(self, cli, tmp_path):
        path = write_csv(seed_rows(), tmp_path / "seed.csv")
        run(cli, "import-inventory", str(path))
        steward = factories.User()
        call_action("organization_member_create", context={"user": site_user()},
                    id="010006-011500", username=steward["name"], role="editor")
        context = lambda: {"user": steward["name"], "ignore_auth": False}
        call_action("package_patch", context=context(),
                    id="hokkaido-011500-1", notes="総務課が更新")
        with pytest.raises(toolkit.NotAuthorized):
            call_action("package_patch", context=context(),
                        id="hokkaido-011700-1", notes="他課の変更")
        assert not call_action("package_show", id="hokkaido-011700-1")["notes"]

    def test_import_as_a_plain_user_rejects_every_row(self, cli, tmp_path):
        user = factories.User()
        path = write_csv(seed_rows()[:2], tmp_path / "seed.csv")
        # the organizations exist, but the user is no member of them
        run(cli, "import-inventory", str(path))
        rows = seed_rows()[:2]
        rows[0]["notes"] = "変更"
        write_csv(rows, path)
        result = run(cli, "import-inventory", "--user", user["name"], str(path))
        assert result.exit_code == 1
        assert "not authorized" in result.output
        assert "updated 0, unchanged 1, rejected 1" in result.output
