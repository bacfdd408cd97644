"""オープンデータ一覧 catalog files as municipalities publish them: the
自治体標準オープンデータセット template (one row per file) and the older
推奨データセット template (one row per dataset), as CSV or XLSX."""
from __future__ import annotations

import csv
import io

import openpyxl

NEW_HEADER = [
    "全国地方公共団体コード", "ID", "地方公共団体名", "データセット_ID", "データセット_タイトル", "データセット_概要",
    "データセット_キーワード", "データセット_公開日", "データセット_最終更新日", "データセット_URL", "データセット_更新頻度",
    "ファイル_ID", "ファイル_タイトル", "ファイル_説明", "ファイル_アクセスURL", "ファイル_ダウンロードURL", "ファイル_形式",
    "ファイル_ライセンス",
]
OLD_HEADER = ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "データ名称", "データ概要", "データ形式",
              "分類", "更新頻度", "URL", "API対応有無", "ライセンス", "登録日", "最終更新日", "備考"]

H = "https://www.town.example.hokkaido.jp/opendata"


def new_row(code, number, dataset_id, title, file_title, url, fmt="CSV", modified="2024/4/1"):
    return [code, str(number), {"014257": "上砂川町", "012025": "函館市", "016616": "釧路町"}.get(code, ""),
            dataset_id, title, f"{title}の一覧です。", "公共施設;施設", "2020/4/1", modified, f"{H}/{dataset_id}.html",
            "随時", f"{dataset_id}-{number}", file_title, "", "", url, fmt, "CC BY 4.0"]


NEW_ROWS = [
    new_row("014257", 1, "shisetsu", "公共施設一覧", "公共施設一覧（CSV）", f"{H}/shisetsu.csv"),
    new_row("014257", 2, "shisetsu", "公共施設一覧", "公共施設一覧（Excel）", f"{H}/shisetsu.xlsx", "XLSX"),
    new_row("014257", 3, "aed", "AED設置箇所一覧", "AED設置箇所", f"{H}/aed.csv", modified="令和6年5月1日"),
    new_row("012025", 1, "aed", "AED設置箇所一覧", "AED設置箇所（函館市）", "https://www.city.hakodate.hokkaido.jp/aed.csv"),
]

OLD_ROWS = [
    ["016616", "1", "北海道", "釧路町", "人口統計", "住民基本台帳人口", "CSV", "人口", "毎月", f"{H}/jinko.csv", "無",
     "CC BY 4.0", "2019/4/1", "2024/3/31", ""],
    ["016616", "2", "北海道", "釧路町", "指定緊急避難場所一覧", "", "XLSX", "防災", "随時", f"{H}/hinan.xlsx", "無",
     "CC BY 4.0", "2019/4/1", "R6.2.1", ""],
]


def to_csv(header, rows, *, preamble=()) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in preamble:
        writer.writerow(line)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def to_xlsx(header, rows, *, sheet="オープンデータ一覧", numeric_codes=False) -> bytes:
    workbook = openpyxl.Workbook()
    cover = workbook.active
    cover.title = "説明"
    cover.append(["この表は記入例です"])
    table = workbook.create_sheet(sheet)
    table.append(["オープンデータ一覧（令和6年4月1日現在）"])
    table.append(header)
    for row in rows:
        row = list(row)
        if numeric_codes:
            row[0] = int(row[0])  # Excel drops the leading zero: 14257
        table.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
