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
    assert field_names(ours) == field_names(stock)
    copies = lambda root: sorted((c.get("source"), c.get("dest"))
                                 for c in root.iter("copyField"))
    assert copies(ours) == copies(stock)
    text = next(t for t in ours.iter("fieldType") if t.get("name") == "text")
    assert text.get("autoGeneratePhraseQueries") == "true"
    for analyzer in text.findall("analyzer"):
        classes = [f.get("class") for f in analyzer.findall("filter")]
        assert "solr.CJKBigramFilterFactory" in classes
        assert "solr.CJKWidthFilterFactory" in classes


def test_refuses_a_file_that_is_not_a_ckan_schema(tmp_path):
    bogus = tmp_path / "other.xml"
    bogus.write_text('<schema name="other" version="1.6"/>')
    proc, out = derive(tmp_path, bogus)
    assert proc.returncode != 0
    assert "not a CKAN Solr schema" in proc.stderr
    assert not out.exists()
