"""The layout rules of the project, checked on the source (no CKAN needed):
test modules never import each other or a conftest (what they share lives
in ``tests/fakes/`` and helper modules), ``bench/`` imports only the fakes
from ``tests/``, and no module of ours is named after a standard-library
module."""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_no_test_module_imports_another_or_a_conftest():
    # Bad input: `from tests.harvest.test_nightly import run`, `from tests.harvest.conftest import X`.
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").glob("*.py")):
        for name in imported_modules(path):
            last = name.split(".")[-1]
            if name.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_bench_takes_only_the_fakes_from_tests():
    offenders = [f"{path.name} imports {name}" for path in sorted((ROOT / "bench").glob("*.py"))
                 for name in imported_modules(path)
                 if name.startswith("tests.") and not name.startswith("tests.fakes")]
    assert offenders == []


def test_no_module_is_named_after_the_standard_library():
    # Bad input: harvest/secrets.py (it shadowed `secrets` for a bare import in its folder).
    ours = [path for folder in ("ckanext", "harvesters", "tests", "bench")
            for path in (ROOT / folder).rglob("*.py")]
    clashes = [str(path.relative_to(ROOT)) for path in ours
               if path.stem in sys.stdlib_module_names and path.stem != "__init__"]
    assert clashes == []


def test_imports_follow_the_flow_of_data():
    # Bad input: the nightly run importing the tracker to take its snapshot (a cycle
    # between harvest/ and tracker/; the command now gets the snapshot handed down by
    # cli.py); an adapter importing CKAN.
    offenders = []
    for path in sorted((ROOT / "harvesters").rglob("*.py")):
        offenders += [f"{path.relative_to(ROOT)} imports {name}" for name in imported_modules(path)
                      if name.split(".")[0] in ("ckan", "ckanext")]
    harvest = ROOT / "ckanext" / "hokkaido" / "harvest"
    for path in sorted(harvest.rglob("*.py")):
        offenders += [f"{path.relative_to(ROOT)} imports {name}" for name in imported_modules(path)
                      if name.startswith("ckanext.hokkaido.tracker")]
    assert offenders == []


#: the modules above the rooms: the plugin, its CLI, its views and helpers, and
#: the hokkaido plugin's own actions (``logic``); a room imports none of them
ABOVE = ("ckanext.hokkaido.plugin", "ckanext.hokkaido.cli", "ckanext.hokkaido.views",
         "ckanext.hokkaido.helpers", "ckanext.hokkaido.front_page", "ckanext.hokkaido.logic")


def test_no_arrow_runs_back_up_from_a_room():
    # Bad input (each was in the code): harvest/plugin.py importing helpers.py for a
    # harvester's title, community/action.py (and standard/, logic/) importing the
    # validation helper from logic/__init__.py, front_page.py importing views.py.
    package = ROOT / "ckanext" / "hokkaido"
    rooms = [d for d in sorted(package.iterdir()) if (d / "__init__.py").exists()]
    offenders = []
    for room in rooms:
        for path in sorted(room.rglob("*.py")):
            for name in imported_modules(path):
                above = next((a for a in ABOVE if name == a or name.startswith(a + ".")), None)
                if above and not name.startswith(f"ckanext.hokkaido.{room.name}"):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    front = package / "front_page.py"
    offenders += [f"front_page.py imports {name}" for name in imported_modules(front)
                  if name.startswith("ckanext.hokkaido.views")]
    assert offenders == []


def test_no_module_takes_another_s_private_names():
    # Bad input (each was in the code): the import processes taking jobs._fetch_and_import
    # and jobs._harvesters, the run taking jobs._run_job and summary._label, the probe
    # taking dcat._is_dcat_us.
    offenders = []
    for folder in ("ckanext", "harvesters"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                        and node.module.split(".")[0] in ("ckanext", "harvesters") \
                        and node.module.startswith(("ckanext.hokkaido", "harvesters")):
                    offenders += [f"{path.relative_to(ROOT)}: {node.module}.{alias.name}" for alias in node.names
                                  if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert offenders == []
