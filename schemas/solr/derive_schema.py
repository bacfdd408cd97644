"""Derive the portal's Solr schema from the installed CKAN's schema.xml.

CKAN's stock ``text`` and ``text_general`` field types split on whitespace,
which leaves a Japanese title such as 「地域・年齢別人口」 as one or two long
tokens, so ``q=人口`` finds nothing. We keep every field, copyField and the
schema name/version of the installed CKAN (so CKAN's schema-version check
passes and the schema always matches the CKAN we run), re-analyse those two
types and add three ways of reading Japanese, each a field the portal's
``qf`` searches with its own weight (README, "Search"):

* **characters in pairs** (CKAN's ``text`` and ``text_general``, so
  ``title``, ``notes`` and the catch-all ``text``): Solr's StandardTokenizer
  splits CJK text into characters and CJKBigramFilter pairs them, at index
  and query time alike (bigrams only: a query word is a phrase of adjacent
  pairs, and 「無線LAN」 is 無線 followed by lan on both sides);
* **words** (``title_words``, ``text_words``: kuromoji): a query's words
  in a row, one other word allowed between (solrconfig.xml's ``qs``:
  ごみ分別 finds 「ゴミの分別」), and a word matches a whole word, so 大和
  ranks 大和町 above 東大和;
* **synonyms** (``text_synonyms``: kuromoji in search mode, as Solr parses
  the rules): the query side expands the stewards' synonyms
  (``synonyms-ja.txt``: ごみ finds 廃棄物, 公民館 finds コミュニティセンター);
* **single characters** (``text_chars``): a one-character query (森, 水)
  still finds something;
* **names** (``municipality_names``): each of a municipality's names,
  readings and romanised names is one whole word (札幌市, 札幌, サッポロ,
  sapporo), so a query finds a municipality by a whole name, never by the
  start of another one's reading (シカ is not 鹿追町, シカオイ).

Every chain first folds what residents type differently (the same three
character filters, index and query): ICU NFKC with case folding (full- and
half-width, ①, ㈱), ``mapping-ja.txt`` (dash variants, common itaiji such
as 﨑→崎 and 邊→辺), ``mapping-kana.txt`` (hiragana to katakana; the word
analysis folds its words after reading them), a dash after katakana read as the
long-vowel mark (センタ－ → センター), and the joiners dropped: a middle dot
between letters, a hyphen between letters (Wi-Fi = WiFi), a space between
kanji or kana (子育て 支援 = 子育て支援).

Solr parses synonym rules with the tokenizer only, without character
filters: the rules are folded here with ``mapping-ja.txt`` and NFKC case
folding, and a kana word is given in both kana forms, so that a steward may
write ごみ,廃棄物 as residents type it and ゴミ finds 廃棄物 too.

Usage: python derive_schema.py CKAN_SCHEMA_XML OUTPUT_XML [SYNONYMS_IN SYNONYMS_OUT]
"""
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MAPPING = "mapping-ja.txt"        # dashes, itaiji: every analysis
KANA = "mapping-kana.txt"          # hiragana to katakana: characters only
SYNONYMS = "synonyms-ja.txt"

#: CKAN's field types whose analysis we replace with characters in pairs
JAPANESE_TYPES = ("text", "text_general")
WORDS_TYPE = "text_ja_words"
SYNONYMS_TYPE = "text_ja_synonyms"
CHARS_TYPE = "text_ja_chars"
NAMES_TYPE = "text_ja_names"

#: fields added to CKAN's: name → type
ADDED_FIELDS = {
    "title_words": WORDS_TYPE,
    "text_words": WORDS_TYPE,
    "text_synonyms": SYNONYMS_TYPE,
    "text_chars": CHARS_TYPE,
    # the municipality's names, readings and romanised names, each a whole
    # word (set by the hokkaido plugin): シカ is not 鹿追町 (シカオイチョウ)
    "municipality_names": NAMES_TYPE,
}
#: CKAN's copyField sources into ``text`` that are not read as words
NOT_WORDS = ("urls", "extras_*", "res_extras_*")

KATAKANA = r"\p{InKatakana}"
CJK = r"\p{IsHan}\p{InHiragana}\p{InKatakana}"
#: (pattern, replacement) of the PatternReplaceCharFilters, in order
PATTERNS = (
    # a dash after katakana is the long-vowel mark (mapping-ja.txt made every
    # dash variant "-"; NFKC made the full-width ones ASCII)
    (r"(?<=%s)-" % KATAKANA, "ー"),
    # joiners between letters dropped: 地域・年齢, Wi-Fi, 子育て 支援
    (r"(?<=[\p{L}\p{N}])[・·](?=[\p{L}\p{N}])|(?<=\p{L})-(?=\p{L})|(?<=[%s])\s+(?=[%s])" % (CJK, CJK), ""),
)


def _char_filters(analyzer, kana_to_katakana=True):
    ET.SubElement(analyzer, "charFilter", {
        "class": "solr.ICUNormalizer2CharFilterFactory", "form": "nfkc_cf", "mode": "compose"})
    mappings = "%s,%s" % (MAPPING, KANA) if kana_to_katakana else MAPPING
    ET.SubElement(analyzer, "charFilter", {"class": "solr.MappingCharFilterFactory", "mapping": mappings})
    for pattern, replacement in PATTERNS:
        ET.SubElement(analyzer, "charFilter", {
            "class": "solr.PatternReplaceCharFilterFactory", "pattern": pattern, "replacement": replacement})


def _pairs(kind, field_type):
    analyzer = ET.Element("analyzer", {"type": kind})
    _char_filters(analyzer)
    ET.SubElement(analyzer, "tokenizer", {"class": "solr.StandardTokenizerFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.CJKWidthFilterFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.LowerCaseFilterFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.CJKBigramFilterFactory", "outputUnigrams": "false"})
    if field_type == "text":
        ET.SubElement(analyzer, "filter", {
            "class": "solr.SnowballPorterFilterFactory",
            "language": "English", "protected": "protwords.txt"})
        ET.SubElement(analyzer, "filter", {"class": "solr.ASCIIFoldingFilterFactory"})
    return analyzer


def _words(kind, synonyms=False):
    # kuromoji reads hiragana as written (particles and okurigana find the
    # words), then each word is folded to katakana. The words fields read in
    # normal mode: search mode would split 東大和 into 東 and 大和 (a query
    # for 大和 would take it for the word). The synonyms field reads in
    # search mode on both sides, as Solr parses the rules (its synonym filter
    # does not take the tokenizer's mode), and expands the rules before
    # folding, as they are written (fold_synonyms gives both kana forms).
    analyzer = ET.Element("analyzer", {"type": kind})
    _char_filters(analyzer, kana_to_katakana=False)
    ET.SubElement(analyzer, "tokenizer", {
        "class": "solr.JapaneseTokenizerFactory", "mode": "search" if synonyms else "normal",
        "discardPunctuation": "true"})
    if synonyms and kind == "query":
        ET.SubElement(analyzer, "filter", {
            "class": "solr.SynonymGraphFilterFactory", "synonyms": SYNONYMS, "ignoreCase": "true",
            "expand": "true", "tokenizerFactory": "solr.JapaneseTokenizerFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.JapaneseBaseFormFilterFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.ICUTransformFilterFactory", "id": "Hiragana-Katakana"})
    ET.SubElement(analyzer, "filter", {"class": "solr.LowerCaseFilterFactory"})
    return analyzer


def _chars(kind):
    analyzer = ET.Element("analyzer", {"type": kind})
    _char_filters(analyzer)
    ET.SubElement(analyzer, "tokenizer", {"class": "solr.StandardTokenizerFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.LowerCaseFilterFactory"})
    return analyzer


def _names(kind):
    # one value is one name (the plugin gives a list of them): folded as
    # everything else, split at spaces only, never into pairs or words, and
    # without the joiner filters (札幌 ごみ stays two words, 札幌 and ゴミ)
    analyzer = ET.Element("analyzer", {"type": kind})
    ET.SubElement(analyzer, "charFilter", {
        "class": "solr.ICUNormalizer2CharFilterFactory", "form": "nfkc_cf", "mode": "compose"})
    ET.SubElement(analyzer, "charFilter", {"class": "solr.MappingCharFilterFactory",
                                           "mapping": "%s,%s" % (MAPPING, KANA)})
    ET.SubElement(analyzer, "tokenizer", {"class": "solr.WhitespaceTokenizerFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.LowerCaseFilterFactory"})
    return analyzer


def _field_type(name, analyzers, phrases):
    field_type = ET.Element("fieldType", {
        "name": name, "class": "solr.TextField", "positionIncrementGap": "100",
        "autoGeneratePhraseQueries": "true" if phrases else "false"})
    field_type.extend(analyzers)
    return field_type


def derive(source_xml):
    """Return the derived schema as bytes, given CKAN's schema.xml bytes."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(source_xml, parser=parser)
    if root.tag != "schema" or not root.get("name", "").startswith("ckan"):
        raise ValueError("not a CKAN Solr schema: root is <%s name=%r>"
                         % (root.tag, root.get("name")))
    types = root.find("types")
    if types is None:
        types = root
    changed = []
    for field_type in types.iter("fieldType"):
        name = field_type.get("name")
        if name not in JAPANESE_TYPES:
            continue
        # A query word that analysis splits into several tokens (避難場所 →
        # 避難 難場 場所) must match them as a phrase, not as any one of them.
        field_type.set("autoGeneratePhraseQueries", "true")
        for child in list(field_type):
            if child.tag == "analyzer":
                field_type.remove(child)
        field_type.append(_pairs("index", name))
        field_type.append(_pairs("query", name))
        changed.append(name)
    missing = set(JAPANESE_TYPES) - set(changed)
    if missing:
        raise ValueError("CKAN schema has no field type(s) %s"
                         % ", ".join(sorted(missing)))
    # a query word read as several words or characters is a phrase of them
    # (with the slop of solrconfig.xml's qs: ごみ分別 finds ゴミの分別)
    types.append(_field_type(WORDS_TYPE, [_words("index"), _words("query")], phrases=True))
    types.append(_field_type(SYNONYMS_TYPE, [_words("index", synonyms=True), _words("query", synonyms=True)],
                             phrases=True))
    types.append(_field_type(CHARS_TYPE, [_chars("index"), _chars("query")], phrases=True))
    types.append(_field_type(NAMES_TYPE, [_names("index"), _names("query")], phrases=False))

    fields = root.find("fields")
    if fields is None:
        fields = root
    known = {f.get("name") for f in root.iter("field")}
    clash = known & set(ADDED_FIELDS)
    if clash:
        raise ValueError("CKAN schema already has field(s) %s" % ", ".join(sorted(clash)))
    for name, type_name in ADDED_FIELDS.items():
        ET.SubElement(fields, "field", {"name": name, "type": type_name, "indexed": "true",
                                        "stored": str(name == "municipality_names").lower(),
                                        "multiValued": "true"})
    copies = [("title", "title_words")]
    for copy in list(root.iter("copyField")):
        if copy.get("dest") == "text":
            copies.append((copy.get("source"), "text_chars"))
            if copy.get("source") not in NOT_WORDS:
                copies.append((copy.get("source"), "text_words"))
                copies.append((copy.get("source"), "text_synonyms"))
    for source, dest in copies:
        ET.SubElement(root, "copyField", {"source": source, "dest": dest})

    root.insert(0, ET.Comment(
        " Derived by ckanext-hokkaido schemas/solr/derive_schema.py from "
        "CKAN's schema.xml: Japanese analysis for %s, and fields %s. Do not edit. "
        % (", ".join(changed), ", ".join(ADDED_FIELDS))))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_mapping(text):
    """``mapping-ja.txt`` as {from: to} (MappingCharFilter's format)."""
    mapping = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r'"(.+?)"\s*=>\s*"(.*?)"', line)
        if not match:
            raise ValueError("%s line %d: not a mapping (\"from\" => \"to\"): %s" % (MAPPING, number, line))
        mapping[match.group(1)] = match.group(2)
    return mapping


#: PATTERNS' joiners in Python's regular expressions (no \\p{In...} blocks)
_JOINERS = re.compile("(?<=[^\\W_])[・·](?=[^\\W_])|(?<=[^\\W\\d_])-(?=[^\\W\\d_])"
                      "|(?<=[\u3041-\u30ff\u4e00-\u9fff])\\s+(?=[\u3041-\u30ff\u4e00-\u9fff])")


def fold(text, mapping):
    """``text`` folded as the word analysis folds it before reading words
    (NFKC, case folding, ``mapping-ja.txt``, the joiners dropped)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    longest = max(map(len, mapping), default=1)
    out, i = [], 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i:i + size] in mapping:
                out.append(mapping[text[i:i + size]])
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return _JOINERS.sub("", "".join(out))


def kana_forms(term):
    """``term`` and, when it is all kana, its katakana and hiragana forms
    (ごみ → ごみ, ゴミ)."""
    if not term or not all("\u3041" <= c <= "\u30fe" for c in term):
        return [term]
    katakana = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in term)
    hiragana = "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in term)
    return list(dict.fromkeys([term, katakana, hiragana]))


def fold_synonyms(text, mapping):
    """The stewards' synonyms file with every rule folded and each kana word
    in both kana forms (comments kept); a line that is not a rule is
    refused, naming it."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            lines.append(line)
            continue
        sides = stripped.split("=>")
        if len(sides) > 2 or any(not term.strip() for side in sides for term in side.split(",")):
            raise ValueError("%s line %d: not a synonym rule (a,b,c or a,b => c): %s"
                             % (SYNONYMS, number, stripped))
        folded = []
        for side in sides:
            terms = []
            for term in side.split(","):
                for form in kana_forms(fold(term.strip(), mapping)):
                    if form not in terms:
                        terms.append(form)
            folded.append(",".join(terms))
        lines.append(" => ".join(folded))
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) not in (3, 5):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        derived = derive(f.read())
    if len(argv) == 5:
        with open(os.path.join(HERE, MAPPING), encoding="utf-8") as f:
            mapping = read_mapping(f.read())
        with open(argv[3], encoding="utf-8") as f:
            folded = fold_synonyms(f.read(), mapping)
        with open(argv[4], "w", encoding="utf-8") as f:
            f.write(folded)
    with open(argv[2], "wb") as f:
        f.write(derived)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ValueError as exc:
        sys.stderr.write("derive_schema: %s\n" % exc)
        sys.exit(1)
