"""Write the search-quality benchmark's corpus and queries (run once; the
CSV files are kept in the repo and read by ``bench/search_quality.py``).

    .venv/bin/python bench/search/make_corpus.py

The corpus is what Hokkaido's portals hold, written the ways municipalities
write it: the national standard datasets' names (自治体標準オープンデータセット),
the prefecture's sample inventory (../shared/seed), and typical municipal
titles on about twenty subjects, each subject titled several ways (ゴミ and
ごみ, 保育所 and 保育園, AED and ＡＥＤ, Wi-Fi and 無線LAN, a full-width
dash for the long-vowel mark, variant kanji in names) across a dozen
municipalities. Every dataset carries the subjects it is about; a query
names the subjects it asks for, and a dataset is relevant when it has
them all (and the municipality, when the query names one). The judgments
come from how the corpus is built, never from matching text, so a schema
cannot score itself.

Written: ``corpus.csv`` (name, title, notes, municipality_code, subjects)
and ``queries.csv`` (query, subjects, municipality_code, kind).
"""
from __future__ import annotations

import csv
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from harvesters.municipalities import municipalities  # noqa: E402

#: subject → (titles as municipalities write them, a description)
SUBJECTS: dict[str, tuple[list[str], str]] = {
    "garbage": (["ゴミの分別方法一覧#bunbetsu", "ごみ収集カレンダー", "ゴミ集積場所一覧", "家庭ごみの出し方#dashikata",
                 "粗大ゴミ収集の申込み", "ごみステーション位置情報", "廃棄物処理施設一覧"],
                "{town}の家庭から出るごみの収集日、分別区分、出し方をまとめたデータです。"),
    "shelter": (["指定緊急避難場所一覧#shitei", "避難所一覧", "指定避難所の収容人数", "避難施設の位置情報",
                 "福祉避難所一覧"],
                "災害時に開設する避難場所の名称、所在地、収容人数、対象とする災害の種別。"),
    "aed": (["AED設置箇所一覧", "ＡＥＤ設置場所", "自動体外式除細動器の設置施設#full", "AED（自動体外式除細動器）設置状況#full"],
            "{town}内の公共施設等に設置している AED の設置場所と利用可能時間。"),
    "wifi": (["公衆無線LANアクセスポイント一覧", "フリーWi-Fiスポット一覧", "公衆Wi‐Fi設置場所",
              "無線ＬＡＮ（Ｗｉ－Ｆｉ）利用可能施設"],
             "観光客や市民が無料で使える公衆無線LANのアクセスポイントとSSID。"),
    "bear": (["ヒグマ出没情報", "クマ目撃情報", "熊の出没マップ", "ひぐま出没件数の推移"],
             "{town}に寄せられたヒグマの出没・目撃の通報を日付と場所ごとに記録したもの。"),
    "childcare": (["保育所一覧#hoiku", "保育園の空き状況#hoiku", "認可保育所の定員#hoiku",
                   "子育て支援センター一覧#shien", "放課後児童クラブ一覧#gakudo", "子育て施設一覧"],
                  "乳幼児を預けられる施設と子育ての相談窓口の所在地、定員、開所時間。"),
    "toilet": (["公衆トイレ一覧", "公衆便所の位置", "多目的トイレ設置施設", "公衆トイレ（バリアフリー対応）"],
               "公園や駅前にある公衆トイレの場所と、車椅子対応の有無。"),
    "parking": (["公営駐車場一覧", "市営パーキングの料金", "駐車場の満空情報", "観光駐車場一覧"],
                "公営の駐車場の所在地、収容台数、料金、営業時間。"),
    "bicycle": (["公営駐輪場一覧", "自転車駐車場の位置", "駐輪場の収容台数"],
                "駅周辺の駐輪場の所在地と収容台数。"),
    "bus": (["バス停留所一覧#stop", "コミュニティバス時刻表#timetable", "バス停の位置情報#stop", "路線バス運行経路"],
            "{town}内を走るバスの停留所、経路、時刻表。"),
    "medical": (["医療機関一覧", "病院・診療所一覧", "休日当番医の案内#toban", "救急医療機関の所在地"],
                "病院と診療所の名称、診療科目、所在地、電話番号。"),
    "library": (["図書館の蔵書数", "図書館・図書室一覧", "図書貸出冊数の推移"],
                "図書館の蔵書数、貸出冊数、利用者数の統計。"),
    "population": (["地域・年齢別人口#nenrei", "住民基本台帳人口", "世帯数と人口の推移", "町丁別人口", "人口動態統計"],
                   "住民基本台帳に基づく男女別・年齢別の人口と世帯数。"),
    "tourism": (["観光施設一覧#spot", "観光スポット一覧#spot", "観光入込客数", "観光ポイント一覧#spot"],
                "{town}を訪れる人に向けた観光名所、宿泊施設、入込客数。"),
    "heritage": (["文化財一覧", "指定文化財の所在地", "史跡・名勝一覧", "登録有形文化財"],
                 "国・道・{town}が指定した文化財の名称、種別、所在地。"),
    "event": (["イベント一覧", "行事カレンダー", "催し物情報", "まつり・イベント開催情報"],
              "{town}で開かれる祭り、講座、催しの日時と会場。"),
    "budget": (["予算書", "決算状況", "財政状況資料集", "当初予算の概要"],
               "一般会計と特別会計の歳入・歳出、財政指標。"),
    "community": (["公民館一覧#kominkan", "コミュニティセンター一覧#kominkan", "コミュニティーセンターの利用案内#kominkan",
                   "集会所一覧#shukai"],
                  "地域の集会・学習に使える施設の所在地、部屋、利用料金。"),
    "hydrant": (["消火栓位置情報", "消防水利施設一覧", "防火水槽の位置"],
                "消火栓と防火水槽の位置と種別。"),
    "hazard": (["ハザードマップ#map", "洪水浸水想定区域図#shinsui", "土砂災害警戒区域一覧", "防災マップ#map"],
               "洪水、土砂災害、津波の想定区域と避難経路を示した地図データ。"),
    "lunch": (["学校給食献立情報", "給食の献立表", "学校給食のアレルギー情報"],
              "小中学校の給食の献立、使用食材、アレルギー物質。"),
    "care": (["介護サービス事業所一覧#service", "介護保険施設の空き状況", "高齢者福祉施設一覧#korei"],
             "介護保険のサービスを提供する事業所と施設。"),
    "voting": (["投票所一覧", "期日前投票所の場所", "選挙結果"],
               "選挙の投票所、期日前投票所、開票結果。"),
    "school": (["小中学校通学区域情報", "教育機関一覧", "学校一覧"],
               "市内の小学校、中学校の所在地と通学区域。"),
    "center": (["市民活動センタ－一覧#centa", "公共施設一覧", "市有施設の一覧"],
               "庁舎、体育館、センター等の公共施設の所在地と開館時間。"),
}

#: names with variant kanji, as titles: (title, query that must find it, subject)
VARIANTS = [
    ("髙橋家住宅（登録有形文化財）", "高橋家住宅", "takahashi"),
    ("渡邊記念館の収蔵品目録", "渡辺記念館", "watanabe"),
    ("渡邉公園の遊具点検結果", "渡辺公園", "watanabe-park"),
    ("齋藤牧場跡地の活用計画", "斉藤牧場", "saito"),
    ("濵中漁港の水揚げ量", "浜中漁港", "hamanaka"),
    ("山﨑川の水位観測", "山崎川", "yamazaki"),
    ("大和地区集会所一覧", "大和", "yamato"),
    ("大和町内会の防犯灯", "大和", "yamato"),
]
#: titles holding a query's characters straddling two words: found, never relevant
STRADDLERS = ["東大和通りの除雪計画", "東大和橋の補修記録"]

#: the municipalities datasets belong to (codes of the registry)
TOWNS = ["011002", "012025", "012033", "012041", "012050", "012068", "012076", "012084",
         "012092", "012106", "012114", "012131", "013455", "016365", "016446"]

#: queries: text → (subjects all required, kind), as residents type them
QUERIES: list[tuple[str, str, str]] = [
    # ごみ
    ("ごみ", "garbage", "hiragana"), ("ゴミ", "garbage", "katakana"), ("廃棄物", "garbage", "synonym"),
    ("ｺﾞﾐ", "garbage", "half-width"), ("ごみ 収集", "garbage", "two words"), ("ごみ分別", "garbage:bunbetsu", "compound"),
    ("ごみの出し方", "garbage:dashikata", "phrase"),
    # 避難
    ("避難所", "shelter", "word"), ("避難場所", "shelter", "synonym"),
    ("避難施設", "shelter", "synonym"), ("指定緊急避難場所", "shelter:shitei", "official"), ("避難", "shelter", "word"),
    # AED
    ("AED", "aed", "latin"), ("aed", "aed", "lower case"), ("ＡＥＤ", "aed", "full-width"),
    ("自動体外式除細動器", "aed", "synonym"), ("AED 設置", "aed", "two words"), ("除細動器", "aed:full", "part"),
    # Wi-Fi
    ("無線LAN", "wifi", "kanji+latin"), ("公衆無線LAN", "wifi", "kanji+latin"), ("Wi-Fi", "wifi", "hyphen"),
    ("WiFi", "wifi", "no hyphen"), ("wifi", "wifi", "lower case"), ("ワイファイ", "wifi", "katakana reading"),
    ("無線ＬＡＮ", "wifi", "full-width"), ("フリーWiFi", "wifi", "synonym"),
    # ヒグマ
    ("ヒグマ", "bear", "katakana"), ("ひぐま", "bear", "hiragana"), ("クマ", "bear", "katakana"),
    ("熊", "bear", "kanji"), ("くま 出没", "bear", "two words"), ("ﾋｸﾞﾏ", "bear", "half-width"),
    ("ヒグマ出没", "bear", "compound"),
    # 子育て
    ("保育所", "childcare:hoiku", "word"), ("保育園", "childcare:hoiku", "synonym"),
    ("子育て", "childcare", "word"), ("子育て支援", "childcare:shien", "compound"),
    ("学童保育", "childcare:gakudo", "synonym"), ("放課後児童クラブ", "childcare:gakudo", "official"),
    # トイレ
    ("トイレ", "toilet", "katakana"), ("といれ", "toilet", "hiragana"), ("公衆便所", "toilet", "synonym"),
    ("公衆トイレ", "toilet", "word"), ("ﾄｲﾚ", "toilet", "half-width"), ("便所", "toilet", "synonym"),
    # 駐車場・駐輪場
    ("駐車場", "parking", "word"), ("パーキング", "parking", "synonym"), ("ぱーきんぐ", "parking", "hiragana"),
    ("駐輪場", "bicycle", "word"), ("自転車駐車場", "bicycle", "synonym"),
    # バス
    ("バス停", "bus:stop", "word"), ("バス停留所", "bus:stop", "synonym"), ("ばす", "bus", "hiragana"),
    ("時刻表", "bus:timetable", "word"), ("コミュニティバス", "bus:timetable", "word"),
    # 医療
    ("病院", "medical", "synonym"), ("診療所", "medical", "synonym"), ("医療機関", "medical", "word"),
    ("クリニック", "medical", "synonym"), ("当番医", "medical:toban", "word"),
    # 図書館
    ("図書館", "library", "word"), ("図書室", "library", "synonym"),
    ("蔵書", "library", "word"),
    # 人口
    ("人口", "population", "word"), ("年齢別人口", "population:nenrei", "compound"),
    ("世帯数", "population", "word"), ("住民基本台帳", "population", "official"),
    # 観光
    ("観光", "tourism", "word"), ("観光スポット", "tourism:spot", "synonym"),
    ("観光施設", "tourism:spot", "word"), ("入込客数", "tourism", "word"),
    # 文化財
    ("文化財", "heritage", "word"), ("史跡", "heritage", "synonym"), ("名勝", "heritage", "synonym"),
    # イベント
    ("イベント", "event", "katakana"), ("いべんと", "event", "hiragana"), ("催し", "event", "synonym"),
    ("行事", "event", "synonym"), ("ｲﾍﾞﾝﾄ", "event", "half-width"),
    # 財政
    ("予算", "budget", "word"), ("決算", "budget", "synonym"), ("財政", "budget", "word"),
    # 公民館
    ("公民館", "community:kominkan", "word"), ("コミュニティセンター", "community:kominkan", "synonym"),
    ("コミュニティーセンター", "community:kominkan", "long vowel"), ("集会所", "community:shukai", "word"),
    # 消火栓
    ("消火栓", "hydrant", "word"), ("防火水槽", "hydrant", "word"), ("消防水利", "hydrant", "official"),
    # ハザードマップ
    ("ハザードマップ", "hazard:map", "katakana"), ("はざーどまっぷ", "hazard:map", "hiragana"),
    ("ハザ－ドマップ", "hazard:map", "full-width dash"), ("ハザ-ドマップ", "hazard:map", "ascii dash"),
    ("防災マップ", "hazard:map", "synonym"), ("浸水想定", "hazard:shinsui", "word"),
    # 給食
    ("給食", "lunch", "word"), ("献立", "lunch", "word"),
    ("学校給食", "lunch", "synonym"),
    # 介護
    ("介護", "care", "word"), ("介護サービス", "care:service", "word"), ("高齢者福祉", "care:korei", "word"),
    # 投票
    ("投票所", "voting", "word"), ("期日前投票", "voting", "word"),
    # 学校
    ("通学区域", "school", "word"),
    # センター (a full-width dash in the title)
    ("市民活動センター", "center:centa", "long vowel mark"), ("市民活動センタ-", "center:centa", "ascii dash"),
]
#: queries for a subject in one municipality: (query, subject, code)
TOWN_QUERIES = [
    ("札幌 ごみ", "garbage", "011002"), ("さっぽろ ゴミ", "garbage", "011002"),
    ("函館 避難所", "shelter", "012025"), 
    ("小樽 観光", "tourism", "012033"), 
    ("旭川 保育所", "childcare", "012041"), ("アサヒカワ 保育園", "childcare", "012041"),
    ("室蘭 AED", "aed", "012050"), ("釧路 ヒグマ", "bear", "012068"), ("くしろ ひぐま", "bear", "012068"),
    ("帯広 駐車場", "parking", "012076"), ("北見 人口", "population", "012084"),
    ("夕張 図書館", "library", "012092"), ("岩見沢 バス停", "bus", "012106"),
    ("網走 文化財", "heritage", "012114"), ("苫小牧 イベント", "event", "012131"),
    ("森町 公衆トイレ", "toilet", "013455"), ("もりまち トイレ", "toilet", "013455"),
    
]

#: the subjects of the standard datasets (by number) that the municipal titles share
STANDARD_SUBJECTS = {
    "01": "center", "02": "heritage", "03": "shelter shelter:shitei", "04": "population population:nenrei",
    "05": "childcare", "07": "wifi", "08": "aed", "09": "care care:service", "10": "medical",
    "11": "tourism tourism:spot", "12": "event", "13": "toilet", "14": "hydrant", "16": "lunch",
    "17": "school", "24": "school", "25": "parking", "26": "bicycle", "27": "voting",
    "28": "garbage garbage:bunbetsu", "30": "garbage", "31": "tourism tourism:spot",
}

#: the subjects of the sample inventory's rows that the municipal titles share
INVENTORY_SUBJECTS = {"予算編成過程": "budget"}

#: (typed, the title meant, how it differs)
TYPED_TITLES = [
    ("ごみ集積場所一覧", "ゴミ集積場所一覧", "hiragana"), ("ごみの分別方法一覧", "ゴミの分別方法一覧", "hiragana"),
    ("ゴミ収集カレンダー", "ごみ収集カレンダー", "katakana"), 
    ("ひぐま出没情報", "ヒグマ出没情報", "hiragana"), ("ﾋｸﾞﾏ出没情報", "ヒグマ出没情報", "half-width"),
    ("ＡＥＤ設置箇所一覧", "AED設置箇所一覧", "full-width"), ("aed設置場所", "ＡＥＤ設置場所", "half-width lower"),
    ("公衆無線ＬＡＮアクセスポイント一覧", "公衆無線LANアクセスポイント一覧", "full-width"),
    ("公衆無線LAN アクセスポイント 一覧", "公衆無線LANアクセスポイント一覧", "spaces"),
    ("フリーWiFiスポット一覧", "フリーWi-Fiスポット一覧", "no hyphen"), ("公衆WiFi設置場所", "公衆Wi‐Fi設置場所", "no hyphen"),
    ("公衆Wi-Fi設置場所", "公衆Wi‐Fi設置場所", "ascii hyphen"),
    ("子育て 支援センター", "子育て支援センター一覧", "space"), ("公衆といれ一覧", "公衆トイレ一覧", "hiragana"),
    ("ﾊﾞｽ停留所一覧", "バス停留所一覧", "half-width"), ("コミュニティ バス 時刻表", "コミュニティバス時刻表", "spaces"),
    ("病院 診療所 一覧", "病院・診療所一覧", "spaces for the dot"), ("病院診療所一覧", "病院・診療所一覧", "no dot"),
    ("地域年齢別人口", "地域・年齢別人口", "no dot"), ("地域･年齢別人口", "地域・年齢別人口", "half-width dot"),
    ("観光入込客数", "観光入込客数", "as written"), ("史跡名勝一覧", "史跡・名勝一覧", "no dot"),
    ("まつりイベント開催情報", "まつり・イベント開催情報", "no dot"), ("ハザード・マップ", "ハザードマップ", "dot"),
    ("土砂災害警戒区域", "土砂災害警戒区域一覧", "part"),
    ("介護サービス事業所", "介護サービス事業所一覧", "part"), ("期日前投票所", "期日前投票所の場所", "part"),
    ("小中学校 通学区域", "小中学校通学区域情報", "space"), ("赤ちゃんの駅", "赤ちゃんの駅一覧", "part"),
    ("ｺﾐｭﾆﾃｨｾﾝﾀｰ一覧", "コミュニティセンター一覧", "half-width"), ("髙橋家住宅", "髙橋家住宅（登録有形文化財）", "itaiji as written"),
    ("渡邉記念館", "渡邊記念館の収蔵品目録", "another itaiji"), ("濱中漁港", "濵中漁港の水揚げ量", "another itaiji"),
    ("齊藤牧場", "齋藤牧場跡地の活用計画", "another itaiji"), ("山嵜川", "山﨑川の水位観測", "another itaiji"),
    ("センタ-一覧", "市民活動センタ－一覧", "ascii dash"),
]


def main() -> int:
    rng = random.Random(20261130)
    towns = {m.code: m for m in municipalities()}
    corpus: list[dict[str, str]] = []

    def add(title: str, notes: str, code: str, subjects: str) -> None:
        # every dataset is also about its own title: a query typing a title finds those
        corpus.append({"name": f"ds-{len(corpus):04d}", "title": title, "notes": notes,
                       "municipality_code": code, "subjects": f"{subjects} title:{title}"})

    for subject, (titles, notes) in SUBJECTS.items():
        for written in titles:
            title, *tags = written.split("#")
            subjects = " ".join([subject] + [f"{subject}:{tag}" for tag in tags])
            for code in rng.sample(TOWNS, 3):
                add(title, notes.format(town=towns[code].name), code, subjects)
    # each municipality a query names holds the subject asked for
    for _q, subject, code in TOWN_QUERIES:
        if not any(d["municipality_code"] == code and subject in d["subjects"].split() for d in corpus):
            titles, notes = SUBJECTS[subject]
            title, *tags = titles[0].split("#")
            add(title, notes.format(town=towns[code].name), code,
                " ".join([subject] + [f"{subject}:{tag}" for tag in tags]))
    for title, _query, subject in VARIANTS:
        add(title, "", rng.choice(TOWNS), subject)
    for title in STRADDLERS:
        add(title, "冬期の除雪と補修の記録。", rng.choice(TOWNS), "straddler")
    with open(os.path.join(ROOT, "ckanext", "hokkaido", "data", "standard_datasets.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["no"].isdigit():
                subjects = STANDARD_SUBJECTS.get(row["no"], "")
                notes = (SUBJECTS[subjects.split()[0]][1].format(town="北海道") if subjects
                         else "自治体標準オープンデータセットの項目に沿ったデータ。")
                add(row["name"], notes, "010006", " ".join([f"std-{row['no']}", *subjects.split()]))
    with open(os.path.join(ROOT, "ckanext", "hokkaido", "data", "seed_inventory.csv"), encoding="utf-8") as f:
        for number, row in enumerate(csv.reader(f)):
            if number:
                add(row[5], row[6], "010006", " ".join([f"inventory-{number}", INVENTORY_SUBJECTS.get(row[5], "")]))
    # descriptions that mention another subject: found, never relevant
    mentions = [("都市公園一覧", "園内の駐車場、公衆トイレ、AEDの有無を記載。"),
                ("道の駅一覧", "駐車場の台数、トイレ、観光案内所の有無。"),
                ("市民会館の利用案内", "イベントの予約、駐車場、図書室の案内。"),
                ("除雪計画", "ごみ収集日の変更と避難所への道路の除雪順位。"),
                ("スポーツ施設一覧", "体育館、プール、駐車場の台数と利用料金。")]
    for title, notes in mentions:
        for code in rng.sample(TOWNS, 4):
            add(title, notes, code, "mention")
    # fill with the inventory's kind of titles (人事, 統計) to a realistic size
    offices = ["総務課", "企画課", "税務課", "建設課", "農林課", "水産課", "商工課", "教育委員会"]
    kinds = ["の事務事業評価", "の業務統計", "の所管施設一覧", "の入札結果", "の補助金交付実績"]
    while len(corpus) < 560:
        code = rng.choice(TOWNS)
        add(f"{towns[code].name}{rng.choice(offices)}{rng.choice(kinds)}", "年度ごとの実績。", code, "office")

    queries = [(q, subject, "", kind) for q, subject, kind in QUERIES]
    queries += [(q, subject, "", "variant kanji") for _title, q, subject in VARIANTS if q != "大和"]
    queries += [("大和", "yamato", "", "two characters, straddling elsewhere")]
    queries += [(q, subject, code, "municipality") for q, subject, code in TOWN_QUERIES]
    # a dataset's title as a resident types it: the standard datasets' names,
    # and titles in another kana, width or dash
    with open(os.path.join(ROOT, "ckanext", "hokkaido", "data", "standard_datasets.csv"), encoding="utf-8") as f:
        queries += [(row["name"], f"title:{row['name']}", "", "standard dataset name")
                    for row in csv.DictReader(f) if row["no"].isdigit()]
    queries += [(typed, f"title:{title}", "", kind) for typed, title, kind in TYPED_TITLES]
    for code in TOWNS:  # a municipality's name alone, three ways
        town = towns[code]
        stem = town.name[:-1] if town.name.endswith("市") else town.name  # 札幌, 森町
        for q, kind in ((stem, "municipality kanji"), (town.name_hiragana[:-1] if town.name.endswith("市")
                        else town.name_hiragana, "municipality hiragana"), (town.name_kana, "municipality katakana")):
            queries.append((q, "", code, kind))

    with open(os.path.join(HERE, "corpus.csv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["name", "title", "notes", "municipality_code", "subjects"])
        writer.writeheader()
        writer.writerows(corpus)
    with open(os.path.join(HERE, "queries.csv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["query", "subjects", "municipality_code", "kind"])
        writer.writerows(queries)
    print(f"corpus.csv: {len(corpus)} datasets; queries.csv: {len(queries)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
