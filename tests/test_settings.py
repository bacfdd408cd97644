"""One place per setting (issue 33, 3): each option of ours is declared
once, by the plugin whose code reads it, read without a fallback of its own
that contradicts the declared default, and printed with its effective value
by ``ckan hokkaido settings``.

Bad input tried: an option read outside the room of the plugin that declares
it (the tables job reading the harvest plugin's timeout was one), a numeric
fallback in code (``int(config.get("…retries") or 0)`` beside a declared
default of 3), the limits' declared defaults drifting from
:class:`harvesters.client.Limits`, a value the configuration file sets
(``--changed`` lists it, not the others).
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from ckan.cli.cli import ckan

from harvesters.client import Limits

from ckanext.hokkaido.settings import DECLARATIONS, declared

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ckanext" / "hokkaido"
#: the folder of the code each plugin loads (the main plugin's is all of the package)
ROOMS = {"hokkaido": PACKAGE, "hokkaido_harvest": PACKAGE / "harvest"}


def readers(key: str) -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if f'"{key}"' in path.read_text(encoding="utf-8")]


def test_each_option_is_declared_once_by_the_plugin_that_reads_it():
    options = declared()
    counts = Counter(option["key"] for _, option in options)
    assert [key for key, n in counts.items() if n > 1] == []
    assert set(DECLARATIONS) == set(ROOMS)
    misplaced = []
    for plugin, option in options:
        for path in readers(option["key"]):
            if not path.is_relative_to(ROOMS[plugin]):
                misplaced.append(f"{option['key']} (declared by {plugin}) read in {path.relative_to(ROOT)}")
    assert misplaced == []


def test_no_code_falls_back_to_a_number_of_its_own():
    fallback = re.compile(r'config\.get\("ckanext\.hokkaido\.[a-z_.0-9]+"\)\s*or\s*[0-9]')
    offenders = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in PACKAGE.rglob("*.py")
                 for match in fallback.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_limits_are_declared_with_the_defaults_the_client_has():
    defaults = {option["key"]: option.get("default") for _, option in declared()}
    for item in dataclasses.fields(Limits):
        assert int(defaults[f"ckanext.hokkaido.harvest.{item.name}"]) == item.default, item.name


@pytest.mark.ckan_config("ckanext.hokkaido.harvest.retries", "5")
def test_the_settings_command_prints_every_option_and_what_the_file_sets(cli):
    shown = cli.invoke(ckan, ["hokkaido", "settings"])
    assert shown.exit_code == 0, shown.output
    lines = {line.split(" = ", 1)[0]: line for line in shown.output.splitlines() if " = " in line}
    assert set(lines) == {option["key"] for _, option in declared()}
    assert lines["ckanext.hokkaido.harvest.retries"].startswith("ckanext.hokkaido.harvest.retries = 5 ")
    assert "default 3" in lines["ckanext.hokkaido.harvest.retries"]
    changed = cli.invoke(ckan, ["hokkaido", "settings", "--changed"])
    assert changed.exit_code == 0, changed.output
    assert "ckanext.hokkaido.harvest.allow_private_addresses = " in changed.output  # test.ini sets it
    assert "ckanext.hokkaido.sitemap.page_size" not in changed.output  # it does not
