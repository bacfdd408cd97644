"""schemas/solr/derive_schema.py: derived from the installed CKAN's schema."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import ckan
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "schemas", "solr", "derive_schema.py")
CKAN_SCHEMA = os.path.join(os.path.dirname(ckan.__file__),
                           "config", "solr", "schema.xml")


def derive(tmp_path, source):
    out = tmp_path / "schema.xml"
    proc = subprocess.run([sys.executable, SCRIPT, str(source), str(out)],
                          capture_output=True, text=True)
    return proc, out


def test_keeps_ckan_fields_and_version_and_changes_text_analysis(tmp_path):
    proc, out = derive(tmp_path, CKAN_SCHEMA)
    assert proc.returncode == 0, proc.stderr
    stock = ET.parse(CKAN_SCHEMA).getroot()
    ours = ET.parse(out).getroot()
    assert ours.get("name") == stock.get("name")
    assert ours.get("version") == stock.get("version")
    field_names = lambda root: sorted(f.get("name") for f in root.iter("field"))
    added = ["municipality_names", "text_chars", "text_synonyms", "text_words", "title_words"]
    assert field_names(ours) == sorted(field_names(stock) + added)
    copies = lambda root: {(c.get("source"), c.get("dest")) for c in root.iter("copyField")}
    assert copies(stock) <= copies(ours)
    # every source of CKAN's catch-all text is read as words and as characters too
    for source, dest in copies(stock):
        if dest == "text":
            assert (source, "text_chars") in copies(ours)
    assert ("title", "title_words") in copies(ours)
    text = next(t for t in ours.iter("fieldType") if t.get("name") == "text")
    assert text.get("autoGeneratePhraseQueries") == "true"
    for analyzer in text.findall("analyzer"):
        char_filters = [f.get("class") for f in analyzer.findall("charFilter")]
        assert char_filters[:2] == ["solr.ICUNormalizer2CharFilterFactory", "solr.MappingCharFilterFactory"]
        classes = [f.get("class") for f in analyzer.findall("filter")]
        assert "solr.CJKBigramFilterFactory" in classes
        assert "solr.CJKWidthFilterFactory" in classes
    words = next(t for t in ours.iter("fieldType") if t.get("name") == "text_ja_synonyms")
    query = next(a for a in words.findall("analyzer") if a.get("type") == "query")
    assert query.find("tokenizer").get("class") == "solr.JapaneseTokenizerFactory"
    assert "solr.SynonymGraphFilterFactory" in [f.get("class") for f in query.findall("filter")]


def test_refuses_a_file_that_is_not_a_ckan_schema(tmp_path):
    bogus = tmp_path / "other.xml"
    bogus.write_text('<schema name="other" version="1.6"/>')
    proc, out = derive(tmp_path, bogus)
    assert proc.returncode != 0
    assert "not a CKAN Solr schema" in proc.stderr
    assert not out.exists()
