"""A real second CKAN instance to harvest from, run as a subprocess.

:class:`SourceCkan` resets the database named in ``source-ckan.ini``
(``ckan db clean`` / ``db init`` / ``db upgrade -p activity`` and a cleared
Solr core), creates a sysadmin with an API token through the ``ckan`` CLI,
starts ``ckan run`` on a free port of 127.0.0.1 and then talks to it only
through its HTTP action API, as a municipal portal would be talked to.

Used by ``tests/harvest/conftest.py`` and by ``bench/harvest_ckan.py``.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

__all__ = ["SOURCE_INI", "SourceCkan", "SourceCkanError", "free_port"]

HERE = Path(__file__).resolve().parent
# HOKKAIDO_SOURCE_INI points a parallel worker at its own second CKAN
SOURCE_INI = Path(os.environ.get("HOKKAIDO_SOURCE_INI") or HERE / "source-ckan.ini")
CKAN_BIN = Path(sys.executable).with_name("ckan")


class SourceCkanError(RuntimeError):
    """The second CKAN could not be prepared or refused an API call."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SourceCkan:
    """The second CKAN: its own database, Solr core and Redis db.

    :param ini: the CKAN config file of the instance.
    :param port: where ``ckan run`` listens (a free port by default).
    """

    SYSADMIN = "source-admin"

    def __init__(self, ini: Path = SOURCE_INI, port: int | None = None) -> None:
        self.ini = Path(ini)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"source-ckan-{self.port}.log"
        self.env = {**os.environ, "CKAN_SITE_URL": self.url}
        for name in ("CKAN_INI", "CKAN_SQLALCHEMY_URL", "CKAN_SOLR_URL", "CKAN_REDIS_URL"):
            self.env.pop(name, None)  # the ini decides, not the caller's environment
        self.session = requests.Session()
        self.session.trust_env = False
        self.created: set[str] = set()  # ids of datasets made through dataset(), purged by empty()

    # -- lifecycle --------------------------------------------------------

    def cli(self, *args: str) -> str:
        """Run ``ckan -c <ini> ARGS`` and return its standard output."""
        done = subprocess.run(
            [str(CKAN_BIN), "-c", str(self.ini), *args],
            env=self.env, capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise SourceCkanError(
                f"`ckan {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def reset_database(self) -> None:
        """Empty database and search index, then a sysadmin with an API token."""
        self.cli("db", "clean", "--yes")
        self.cli("db", "init")
        self.cli("db", "upgrade", "-p", "activity")
        self.cli("search-index", "clear")
        self.cli("user", "add", self.SYSADMIN, "password=Source-Admin-1", "email=source-admin@example.org")
        self.cli("sysadmin", "add", self.SYSADMIN)
        out = self.cli("user", "token", "add", self.SYSADMIN, "harvest-tests")
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        if not lines or "API Token created" not in out:
            raise SourceCkanError(f"no API token in the output of `ckan user token add`: {out!r}")
        self.token = lines[-1]

    def start(self, timeout: float = 90.0) -> SourceCkan:
        """Reset the database, start ``ckan run`` and wait until it answers."""
        self.reset_database()
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(CKAN_BIN), "-c", str(self.ini), "run", "--host", "127.0.0.1", "--port", str(self.port),
             "--disable-reloader", "--threaded"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise SourceCkanError(f"`ckan run` exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.session.get(f"{self.url}/api/3/action/status_show", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SourceCkanError(f"`ckan run` did not answer within {timeout:g} s:\n{self.log_tail()}")
            time.sleep(0.3)

    def stop(self) -> None:
        """Stop the ``ckan run`` process this object started."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        self.session.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no log: {exc})"

    def __enter__(self) -> SourceCkan:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the action API ---------------------------------------------------

    def action(self, action_name: str, /, **data: Any) -> Any:
        """POST ``data`` to action ``action_name`` as the sysadmin; return ``result``."""
        response = self.session.post(f"{self.url}/api/3/action/{action_name}", json=data,
                                     headers={"Authorization": self.token or ""}, timeout=60)
        try:
            payload = response.json()
        except ValueError:
            raise SourceCkanError(f"{action_name}: HTTP {response.status_code}, not JSON: {response.text[:300]!r}") from None
        if not payload.get("success"):
            raise SourceCkanError(f"{action_name} failed (HTTP {response.status_code}): {payload.get('error')}")
        return payload["result"]

    def organization(self, name: str, title: str) -> dict[str, Any]:
        return self.action("organization_create", name=name, title=title)

    def dataset(self, name: str, owner_org: str, **fields: Any) -> dict[str, Any]:
        """Create a public dataset with one CSV resource unless ``resources`` is given."""
        data: dict[str, Any] = {
            "name": name,
            "title": f"{name} のデータ",
            "notes": f"{name} の説明",
            "owner_org": owner_org,
            "license_id": "cc-by",
            "tags": [{"name": "統計"}, {"name": "人口"}],
            "resources": [{"url": f"https://files.example.org/{name}.csv", "name": f"{name}.csv",
                           "format": "CSV", "description": "町丁目別"}],
        }
        data.update(fields)
        dataset = self.action("package_create", **data)
        self.created.add(dataset["id"])
        return dataset

    def patch(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.action("package_patch", id=name, **fields)

    def delete(self, name: str) -> None:
        self.action("package_delete", id=name)

    def empty(self) -> None:
        """Purge every dataset and organization (between tests)."""
        while True:
            found = self.action("package_search", q="*:*", rows=1000, include_private=True,
                                include_drafts=True, fl="id")
            if not found["results"]:
                break
            for dataset in found["results"]:
                self.action("dataset_purge", id=dataset["id"])
        # deleted datasets are out of the search index but still in the database
        for identifier in sorted(self.created):
            try:
                self.action("dataset_purge", id=identifier)
            except SourceCkanError as exc:
                if "Not Found" not in str(exc):
                    raise
        self.created.clear()
        for organization in self.action("organization_list"):
            self.action("organization_purge", id=organization)
