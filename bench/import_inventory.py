"""Benchmark: import 1,000 inventory rows, then re-import them unchanged.

Runs the real command (`ckan -c test.ini hokkaido import-inventory`) against
the test database and Solr core, which it empties first: run it with the
services up (`make services`), never against a portal you care about.

    .venv/bin/python bench/import_inventory.py [ROWS]

Prints wall time and rows per second for: a first import (every row
created), a dry run over the imported rows, a second import (every row
unchanged) and an export; then the ratios between them, measured in the
same run.
"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
CKAN = [os.path.join(ROOT, ".venv", "bin", "ckan"), "-c",
        os.path.join(ROOT, "test.ini")]


def ckan(*args, check=True):
    proc = subprocess.run(CKAN + list(args), capture_output=True, text=True,
                          cwd=ROOT)
    if check and proc.returncode not in (0,):
        sys.exit(f"ckan {' '.join(args)} failed ({proc.returncode}):\n"
                 f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc


def timed(label, *args):
    start = time.perf_counter()
    proc = ckan(*args)
    elapsed = time.perf_counter() - start
    summary = [line for line in proc.stdout.splitlines()
               if line.startswith(("created", "(dry run)", "exported"))]
    print(f"{label:<28} {elapsed:8.2f} s   {summary[-1] if summary else ''}",
          flush=True)
    return elapsed


def main():
    from tests.fakes.inventory_rows import realistic_rows, write_csv

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    ckan("db", "clean", "--yes")
    ckan("db", "init")
    ckan("db", "upgrade")
    ckan("search-index", "clear")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(realistic_rows(rows), os.path.join(tmp, "inv.csv"),
                         encoding="cp932")
        print(f"inventory: {rows} rows, CP932 CSV, {os.path.getsize(path)} bytes")
        first = timed("first import (create)", "hokkaido", "import-inventory", path)
        dry = timed("dry run (all unchanged)", "hokkaido", "import-inventory",
                    "--dry-run", path)
        second = timed("second import (unchanged)", "hokkaido",
                       "import-inventory", path)
        export = timed("export CSV", "hokkaido", "export-inventory",
                       os.path.join(tmp, "out.csv"))
    print(f"first import: {rows / first:.1f} rows/s")
    print(f"ratio second/first import: {second / first:.2f}")
    print(f"ratio dry run/first import: {dry / first:.2f}")
    print(f"ratio export/first import: {export / first:.2f}")


if __name__ == "__main__":
    main()
