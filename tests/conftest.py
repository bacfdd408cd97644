"""Fixtures shared by the whole suite.

``clean_db`` is overridden so that after CKAN resets the database the
migrations of the plugins we run with (activity, harvest) are applied again.
"""
import pytest


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("harvest")
    migrate_db_for("hokkaido")
