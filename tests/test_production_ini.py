"""``scripts/production-ini.sh`` (issue 28, 2, 3, 5): the production ini
refuses the demo's published passwords, lets no registered user make an
organization, and sends cookies SameSite=Lax and Secure. Bad input tried:
the script run with the defaults (the well-known passwords), then with one
address of the three still on the well-known password."""
from __future__ import annotations

import configparser
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "production-ini.sh")
OWN = {"CKAN_DB_URL": "postgresql://ckan_default:own-pass-1@127.0.0.1:5432/ckan_default",
       "CKAN_DATASTORE_WRITE_URL": "postgresql://ckan_default:own-pass-1@127.0.0.1:5432/datastore_default",
       "CKAN_DATASTORE_READ_URL": "postgresql://datastore_ro:own-pass-2@127.0.0.1:5432/datastore_default"}


def run(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CKAN_", "PG_"))}
    environ.update(CKAN_DATA_DIR=str(tmp_path / "data"), CKAN_LOG_DIR=str(tmp_path / "log"), **env)
    return subprocess.run(["bash", SCRIPT, str(tmp_path / "ckan.ini"), "https://opendata.example.lg.jp"],
                          capture_output=True, text=True, env=environ, cwd=ROOT, timeout=300)


def test_the_well_known_passwords_are_refused(tmp_path):
    done = run(tmp_path)
    assert done.returncode != 0 and "well-known password" in done.stdout + done.stderr
    assert not (tmp_path / "ckan.ini").exists()
    done = run(tmp_path, **dict(OWN, CKAN_DATASTORE_READ_URL=OWN["CKAN_DATASTORE_READ_URL"].replace(
        "own-pass-2", "datastore_ro")))
    assert done.returncode != 0 and "datastore_ro" in done.stdout + done.stderr


def test_own_passwords_give_an_ini_without_user_organizations_and_with_strict_cookies(tmp_path):
    done = run(tmp_path, **OWN)
    assert done.returncode == 0, done.stdout + done.stderr
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(tmp_path / "ckan.ini")
    main = parser["app:main"]
    assert main["ckan.auth.user_create_organizations"].strip() == "false"
    assert main["REMEMBER_COOKIE_SAMESITE"].strip() == "Lax" and main["REMEMBER_COOKIE_SECURE"].strip() == "true"
    assert main["SESSION_COOKIE_SECURE"].strip() == "true"
    # browsers keep an anonymous answer no longer than nginx does: a change shows within a minute
    assert int(main["ckan.cache_expires"]) <= 60
    assert "ckan_default@" not in main["sqlalchemy.url"] or "own-pass-1" in main["sqlalchemy.url"]
