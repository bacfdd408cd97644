"""Run a command in a child Python process and measure its own peak memory.

The peak is the child's ``VmHWM`` (high-water resident set size of its
address space) read from ``/proc/self/status`` as it exits, written to a
file the parent reads. ``wait4``/``getrusage`` are no use here: Linux
carries the parent's high-water mark into a child across ``exec``
(``ru_maxrss`` of a child started by a 200 MB pytest process is at least
200 MB), whereas ``VmHWM`` belongs to the address space ``exec`` created.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["CEILING_MB", "ChildRun", "run_measured"]

ROOT = Path(__file__).resolve().parents[2]

#: peak RSS any attack may cost the harvesting (or importing) process, in MiB
CEILING_MB = 512

_HANG_GUARD_SECONDS = 300  # only against a hung child; the tests assert memory, never time

# Runs ``module`` as ``python -m module`` would (or calls ``module:function``),
# and on exit (normal, sys.exit or an exception) writes VmHWM in KiB to the
# file named by PEAK_RSS_FILE.
_WRAPPER = """
import atexit, os, runpy, sys

def _report():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_RSS_FILE"], "w") as out:
        out.write(kib)

atexit.register(_report)
target, sys.argv = sys.argv[1], sys.argv[1:]
if ":" in target:
    module, function = target.split(":")
    sys.exit(getattr(__import__(module, fromlist=[function]), function)())
runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


@dataclasses.dataclass
class ChildRun:
    """What the child did: exit code, output and peak RSS in MiB."""

    returncode: int
    stdout: str
    stderr: str
    peak_mb: float


def run_measured(target: str, args: list[str], *, executable: str = sys.executable) -> ChildRun:
    """Run ``target`` (a module run as ``-m``, or ``module:function`` like a
    console script) with ``args`` in a child process from the repository root."""
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        result = subprocess.run(
            [executable, "-c", _WRAPPER, target, *args],
            cwd=ROOT, capture_output=True, timeout=_HANG_GUARD_SECONDS,
            env={**os.environ, "PEAK_RSS_FILE": str(peak_file)},
        )
        if not peak_file.exists():
            raise AssertionError(f"the child {target} {args} died without reporting its peak memory "
                                 f"(exit code {result.returncode}):\n{result.stderr.decode('utf-8', 'replace')}")
        return ChildRun(result.returncode, result.stdout.decode("utf-8", "replace"),
                        result.stderr.decode("utf-8", "replace"), int(peak_file.read_text()) / 1024)
