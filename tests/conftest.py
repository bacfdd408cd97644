"""Fixtures shared by the whole suite.

``clean_db`` is overridden so that after CKAN resets the database the
migrations of the plugins we run with (activity, harvest, hokkaido) are
applied again and the hokkaido tables emptied (``tests/database.py``).
"""
import pytest

from tests.database import reset_portal_db


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_portal_db(reset_db, migrate_db_for)
