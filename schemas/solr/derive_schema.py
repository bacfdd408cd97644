"""Derive the portal's Solr schema from the installed CKAN's schema.xml.

CKAN's stock ``text`` and ``text_general`` field types split on whitespace,
which leaves a Japanese title such as 「地域・年齢別人口」 as one or two long
tokens, so ``q=人口`` finds nothing.  We keep every field, copyField and the
schema name/version of the installed CKAN (so CKAN's schema-version check
passes and the schema always matches the CKAN we run) and only replace the
analyzers of those two types with Japanese-aware chains:

* index time: StandardTokenizer (splits CJK text into single characters and
  tags them as ideographic/hiragana/katakana) → CJKWidth (full-width ASCII
  and half-width katakana normalised) → lower case → CJK bigrams, keeping
  unigrams so that a one-character query still matches;
* query time: the same, but bigrams only, and with
  ``autoGeneratePhraseQueries`` so that ``避難場所`` must match the adjacent
  pairs 避難/難場/場所 in a row rather than any one of them.

Latin text keeps CKAN's English stemming and ASCII folding.

Usage: python derive_schema.py CKAN_SCHEMA_XML OUTPUT_XML
"""
import sys
import xml.etree.ElementTree as ET

#: field types whose analysis we make Japanese-aware
JAPANESE_TYPES = ("text", "text_general")


def _analyzer(kind, field_type):
    analyzer = ET.Element("analyzer", {"type": kind})
    ET.SubElement(analyzer, "tokenizer",
                  {"class": "solr.StandardTokenizerFactory"})
    if kind == "query":
        ET.SubElement(analyzer, "filter", {
            "class": "solr.SynonymGraphFilterFactory",
            "synonyms": "synonyms.txt", "ignoreCase": "true",
            "expand": "true"})
    ET.SubElement(analyzer, "filter", {"class": "solr.CJKWidthFilterFactory"})
    ET.SubElement(analyzer, "filter", {"class": "solr.LowerCaseFilterFactory"})
    ET.SubElement(analyzer, "filter", {
        "class": "solr.CJKBigramFilterFactory",
        "outputUnigrams": "true" if kind == "index" else "false"})
    if field_type == "text":
        ET.SubElement(analyzer, "filter", {
            "class": "solr.SnowballPorterFilterFactory",
            "language": "English", "protected": "protwords.txt"})
        ET.SubElement(analyzer, "filter",
                      {"class": "solr.ASCIIFoldingFilterFactory"})
    return analyzer


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
        field_type.append(_analyzer("index", name))
        field_type.append(_analyzer("query", name))
        changed.append(name)
    missing = set(JAPANESE_TYPES) - set(changed)
    if missing:
        raise ValueError("CKAN schema has no field type(s) %s"
                         % ", ".join(sorted(missing)))
    root.insert(0, ET.Comment(
        " Derived by ckanext-hokkaido schemas/solr/derive_schema.py from "
        "CKAN's schema.xml: Japanese-aware analysis for %s. Do not edit. "
        % ", ".join(changed)))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        derived = derive(f.read())
    with open(argv[2], "wb") as f:
        f.write(derived)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
