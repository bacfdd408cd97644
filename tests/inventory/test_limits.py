"""Hostile inventory files: `ckan hokkaido import-inventory` refuses them whole,
naming the file and the place, exits 2, changes nothing in the portal, and
its process stays under the same memory ceiling as the harvesters.

Bad input tried:

* an XLSX zip bomb (a sheet unpacking 1,000:1; 1 GiB for the memory test);
* an XLSX sheet declaring the dimension A1:XFD1048576 with a cell on its
  last row (openpyxl would produce a million rows);
* an XLSX sheet declaring an XML entity;
* a CSV with a 10 MB cell, quoted and unquoted;
* a CSV of lines of 1,000 tiny cells (19 MB for the memory test);
* a file larger than ``inventory.MAX_FILE_BYTES`` (20 MB).
"""
import os

import pytest
from ckan.cli.cli import ckan
from ckan.tests.helpers import call_action

from ckanext.hokkaido.inventory import file as inventory
from harvesters.client import Limits
from tests.fakes import hostile
from tests.harvesters.peak_rss import run_measured
from tests.harvesters.peak_rss import CEILING_MB
from tests.fakes.inventory_rows import seed_rows, write_csv

MB = hostile.MB
BIG = "x" * (10 * MB)


def inventory_csv(path, extra_lines=(), *, big_title=None, quoted=True):
    """The seed inventory, a third row whose title may be ``big_title``, then ``extra_lines``."""
    rows = seed_rows()[:2]
    write_csv(rows, path)
    if big_title is not None:
        third = dict(seed_rows()[2])
        cells = [third.get(name, "") for name in inventory.FIELDS]
        cells[inventory.FIELDS.index("title")] = f'"{big_title}"' if quoted else big_title
        with open(path, "a", encoding="utf-8", newline="") as f:
            f.write(",".join(cells) + "\r\n")
    with open(path, "a", encoding="utf-8", newline="") as f:
        f.writelines(extra_lines)
    return path


def dimension_bomb(path):
    sheet = hostile.catalog_sheet_xml().replace(
        b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>').replace(
        b"</sheetData>", b'<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>')
    path.write_bytes(hostile.xlsx_with_sheet(sheet))
    return path


def tiny_cells_csv(path, size):
    line = ",".join(["ab"] * 1000) + "\r\n"
    return inventory_csv(path, [line] * (size // len(line)))


def refused(path, **kwargs):
    with pytest.raises(inventory.InventoryFileError) as caught:
        inventory.read_table(str(path), **kwargs)
    return str(caught.value)


# -- reading (no portal) -------------------------------------------------------------

def test_xlsx_zip_bomb_is_refused_before_unpacking(tmp_path):
    # Bad input: an inventory XLSX whose sheet unpacks 1,000:1 (16 MiB of zeros in one cell).
    path = hostile.write_zip_bomb_xlsx(tmp_path / "inv.xlsx", 16 * MB)
    message = refused(path)
    assert message.startswith(f"{path}: ZIPファイルの圧縮率が異常に高いため展開しません")
    assert "/ ZIP member 'xl/worksheets/sheet1.xml' unpacks to 16," in message
    assert "limit 100:1, max_zip_ratio" in message


def test_xlsx_declaring_a_huge_dimension_is_refused_by_its_rows(tmp_path):
    # Bad input: a 4 KB XLSX declaring A1:XFD1048576 with a cell on row 1,048,576.
    message = refused(dimension_bomb(tmp_path / "inv.xlsx"))
    assert message == (f"{tmp_path / 'inv.xlsx'}: 行数が上限 (100,000) を超えるため読み込みません / "
                       "row 100001: more than 100,000 rows (max_table_rows); the file is not read")


def test_xlsx_sheet_declaring_an_entity_is_refused(tmp_path):
    # Bad input: an XLSX whose sheet XML declares an entity used in a cell.
    path = tmp_path / "inv.xlsx"
    path.write_bytes(hostile.xlsx_with_sheet(
        hostile.catalog_sheet_xml('<!DOCTYPE worksheet [<!ENTITY t "人口">]>', title="&t;")))
    assert "XMLに実体宣言 (<!ENTITY>) が含まれているため読み込みません / " in refused(path)


@pytest.mark.parametrize("quoted", [True, False], ids=["quoted", "unquoted"])
def test_csv_cell_of_10_mb_refuses_the_file_naming_the_line(tmp_path, quoted):
    # Bad input: line 4 of the inventory (after the header and two good rows) has a 10 MB title.
    # The message is the table reader's, the same as for a catalog file.
    path = inventory_csv(tmp_path / "inv.csv", big_title=BIG, quoted=quoted)
    assert refused(path) == (
        f"{path}: 4行目の項目が長すぎる (131,072文字超) ため、ファイルを読み込みませんでした / "
        "line 4: a field is longer than 131,072 characters (the CSV field limit); the file is not read, "
        "since the rows after it cannot be told apart safely")


def test_csv_lines_of_many_tiny_cells_are_refused(tmp_path):
    # Bad input: after the header and two rows, 1,100 lines of 1,000 cells "ab".
    path = tiny_cells_csv(tmp_path / "inv.csv", 3 * MB)
    assert refused(path).endswith(" / line 1003: more than 1,000,000 cells in the file (max_table_cells); "
                                  "the file is not read")


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    # Bad input: a 20 MB + 1 byte "CSV" (a sparse file: never read, only its size is looked at).
    path = tmp_path / "inv.csv"
    with open(path, "wb") as f:
        f.truncate(inventory.MAX_FILE_BYTES + 1)
    assert refused(path) == (f"{path}: ファイルが大きすぎます（20,971,521 バイト、上限 20,971,520 バイト） / "
                             "the file is 20,971,521 bytes, more than the limit of 20,971,520")


def test_limits_are_the_callers(tmp_path):
    # Bad input: the seed inventory (3 lines) read with max_table_rows 2, as a portal configured
    # with ckanext.hokkaido.harvest.max_table_rows = 2 would.
    path = write_csv(seed_rows()[:2], tmp_path / "inv.csv")
    assert refused(path, limits=Limits(max_table_rows=2)).endswith(
        "line 3: more than 2 lines (max_table_rows); the file is not read")
    assert len(inventory.read_table(str(path)).rows) == 2


@pytest.mark.ckan_config("ckanext.hokkaido.harvest.max_json_depth", "7")
@pytest.mark.ckan_config("ckanext.hokkaido.harvest.max_table_rows", "2")
def test_limits_come_from_the_config():
    # Bad input: none; the settings must reach the harvest's HTTP client (and so every
    # response it parses) and the inventory import alike.
    from ckanext.hokkaido.outbound import make_client
    from ckanext.hokkaido.settings import limits_from_config

    expected = Limits(max_json_depth=7, max_table_rows=2)
    assert limits_from_config() == expected
    client = make_client()
    try:
        assert client.limits == expected
    finally:
        client.close()


# -- the command, against the portal ---------------------------------------------------

def package_titles():
    result = call_action("package_search", {"q": "*:*", "rows": 100, "include_private": True})
    return sorted(p["title"] for p in result["results"])


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestImportCommand:

    @pytest.mark.parametrize("attack", ["zip-bomb", "dimension", "csv-10mb-cell"])
    def test_hostile_file_exits_2_and_changes_nothing(self, cli, tmp_path, attack):
        # Bad input: the seed imported first, then a zip bomb, an XLSX dimension bomb or a CSV
        # with a 10 MB cell, each carrying the seed's rows changed or more: nothing may change.
        seed = write_csv(seed_rows(), tmp_path / "seed.csv")
        assert cli.invoke(ckan, ["hokkaido", "import-inventory", str(seed)]).exit_code == 0
        before = package_titles()
        path = {"zip-bomb": lambda: hostile.write_zip_bomb_xlsx(tmp_path / "inv.xlsx", 16 * MB),
                "dimension": lambda: dimension_bomb(tmp_path / "inv.xlsx"),
                "csv-10mb-cell": lambda: inventory_csv(tmp_path / "inv.csv", big_title=BIG)}[attack]()
        result = cli.invoke(ckan, ["hokkaido", "import-inventory", str(path)])
        assert result.exit_code == 2, result.output
        assert str(path) in result.output and "/" in result.output
        assert package_titles() == before

    @pytest.mark.ckan_config("ckanext.hokkaido.harvest.max_table_rows", "5")
    def test_the_command_applies_the_configured_limits(self, cli, tmp_path):
        # Bad input: the seed inventory (14 lines) imported with max_table_rows 5.
        path = write_csv(seed_rows(), tmp_path / "seed.csv")
        result = cli.invoke(ckan, ["hokkaido", "import-inventory", str(path)])
        assert result.exit_code == 2, result.output
        assert "line 6: more than 5 lines (max_table_rows); the file is not read" in result.output
        assert package_titles() == []

    @pytest.mark.parametrize("attack", ["zip-bomb-1gib", "dimension", "csv-10mb-cell", "csv-tiny-cells-19mb"])
    def test_hostile_file_keeps_the_command_under_the_memory_ceiling(self, request, tmp_path, attack):
        # Bad input: the attacks above at full size, run by the real `ckan` command in a child
        # process (its own peak RSS, see tests/harvesters/peak_rss.py).
        path = {"zip-bomb-1gib": lambda: hostile.write_zip_bomb_xlsx(tmp_path / "inv.xlsx", hostile.GB),
                "dimension": lambda: dimension_bomb(tmp_path / "inv.xlsx"),
                "csv-10mb-cell": lambda: inventory_csv(tmp_path / "inv.csv", big_title=BIG),
                "csv-tiny-cells-19mb": lambda: tiny_cells_csv(tmp_path / "inv.csv", 19 * MB)}[attack]()
        ini = os.path.abspath(request.config.getoption("ckan_ini"))
        run = run_measured("ckan.cli.cli:ckan", ["-c", ini, "hokkaido", "import-inventory", str(path)])
        print(f"\ninventory {attack}: peak RSS {run.peak_mb:.0f} MB")
        assert run.returncode == 2, run.stderr
        assert str(path) in run.stderr
        assert run.peak_mb < CEILING_MB, f"{attack}: peak RSS {run.peak_mb:.0f} MB, ceiling {CEILING_MB} MB"
