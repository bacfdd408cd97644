"""Realistic inventory rows for tests and benchmarks.

The seed's 13 published rows, then synthetic rows in the same style:
Japanese titles and descriptions, empty cells, URLs, every update frequency,
and cells that start with ``=``, ``+``, ``-`` or ``@`` (which must neither
run as formulas in Excel nor change on a round trip).
"""
import csv
import os
import random

from ckanext.hokkaido import registry
from ckanext.hokkaido.inventory import file as inventory

SEED_CSV = os.path.join(registry.DATA_DIR, "seed_inventory.csv")

DEPARTMENTS = [
    ("012100", "環境生活部", "環境政策課"), ("013100", "保健福祉部", "地域医療課"),
    ("014200", "経済部", "産業振興課"), ("015300", "農政部", "農業経営課"),
    ("016100", "水産林務部", "林務局治山課"), ("017200", "建設部", "道路課"),
    ("018100", "教育庁", "学校教育局義務教育課"), ("019300", "総合政策部", "情報政策課"),
]
CATEGORIES = ["財政", "環境", "行政", "公務員", "防災", "観光", "医療", "教育"]
SUBJECTS = ["道有施設", "河川濁度", "避難場所", "観光入込客数", "医療機関",
            "道路除雪", "林道", "漁獲量", "学校給食", "エネルギー使用量"]
TRICKY = ["=SUM(A1:A3)", "+81-11-231-4111", "-0.5℃の観測値", "@北海道",
          "=HYPERLINK(\"http://example.invalid\",\"x\")", "'=既に引用符付き"]


def seed_rows():
    """The seed's rows as dicts of inventory fields."""
    with open(SEED_CSV, encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    return [dict(zip(inventory.FIELDS, line)) for line in lines[1:]]


def synthetic_rows(count, seed=2024):
    rng = random.Random(seed)
    rows = []
    serials = {}
    for i in range(count):
        agency, department, section = DEPARTMENTS[i % len(DEPARTMENTS)]
        serials[agency] = serials.get(agency, 0) + 1
        subject = rng.choice(SUBJECTS)
        notes = rng.choice([
            "", f"{subject}に関する{rng.randint(2000, 2024)}年度の集計",
            "道内179市町村別の一覧（CSV・Excel）", rng.choice(TRICKY)])
        rows.append({
            "agency_code": agency,
            "serial_no": str(serials[agency]),
            "department": department,
            "section": section,
            "category": rng.choice(CATEGORIES),
            "title": (rng.choice(TRICKY) if i % 37 == 5 else
                      f"{subject}一覧（{i + 1}）"),
            "notes": notes,
            "record_count": rng.choice(["1-100", "101-500", "501-1000", ""]),
            "update_frequency": rng.choice(inventory.UPDATE_FREQUENCIES + [""]),
            "file_format": rng.choice(["CSV", "PDF", "HTML", "XLSX", ""]),
            "file_format_2": rng.choice(["", "", "CSV", "GeoJSON"]),
            "fee": rng.choice(["有", "無", ""]),
            "publishable": rng.choice(["可", "不可", ""]),
            "homepage_url": rng.choice([
                "", f"https://www.pref.hokkaido.lg.jp/ks/{i:04d}.html",
                f"https://www.pref.hokkaido.lg.jp/sm/jnj/a{i:04d}/?q=1&r=2"]),
        })
    return rows


def realistic_rows(count):
    """The seed's rows followed by synthetic ones, ``count`` in all."""
    seed = seed_rows()
    return seed + synthetic_rows(count - len(seed))


def write_csv(rows, path, encoding="utf-8", header=None):
    header = header or inventory.header_row()
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in inventory.FIELDS])
    return path
