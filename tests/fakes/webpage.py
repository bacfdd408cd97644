"""A municipal web page that lists data files (函館市's is the model), served
in the encoding the town uses."""
from __future__ import annotations

from tests.fakes.portal_server import text_response

# A page in the style of 函館市's オープンデータ page: site navigation, headings per
# dataset, links with "(CSV：5KB)" notes, a table with a caption, a definition list.
HAKODATE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">
<title>オープンデータ一覧｜函館市</title>
</head>
<body>
<div id="header"><a href="/">函館市トップ</a> <a href="/docs/kurashi.html">くらし</a>
<a href="/docs/sitemap.html">サイトマップ</a> <a href="mailto:info@city.hakodate.hokkaido.jp">お問合せ</a></div>
<p>本市のオープンデータを掲載しています。利用規約は<a href="/docs/riyoukiyaku.pdf">利用規約（PDF：120KB）</a>をご覧ください。</p>
<h2 id="aed">AED設置箇所一覧</h2>
<ul>
  <li><a href="/docs/2014/aed.csv">AED設置箇所一覧（CSV：5KB）</a></li>
  <li><a href="files/aed.xlsx">AED設置箇所一覧（エクセル：15KB）</a></li>
  <li><a href="/docs/2014/aed.csv#top">同じファイル（重複）</a></li>
</ul>
<h2>指定避難所一覧</h2>
<h3>令和6年度</h3>
<p><a href="/uploaded/attachment/12345.zip">避難所データ一式 [ZIPファイル／1.2MB]</a>
<a href="https://www.city.hakodate.hokkaido.jp/download.php?id=77">避難所一覧 (CSV形式)</a>
<a href="/docs/hinanjo/map.html">避難所マップ（地図ページ）</a></p>
<h2>人口・世帯数</h2>
<table>
  <caption>町丁別人口</caption>
  <tr><td>令和6年3月末</td><td><a href="/docs/jinko/202403.csv"><img src="/img/csv.png" alt="町丁別人口 令和6年3月末"></a></td></tr>
  <tr><td>GeoJSON</td><td><a href="/docs/jinko/chocho.geojson">町丁界</a></td></tr>
</table>
</body>
</html>
"""


def serve_page(portal, path, html, encoding="utf-8", content_type="text/html"):
    portal.respond(path, text_response(html, encoding=encoding, content_type=content_type))
    return portal.url + path
