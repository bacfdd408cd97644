"""Fixtures shared by the whole suite.

``clean_db`` is overridden so that after CKAN resets the database the
migrations of the plugins we run with (activity, harvest, hokkaido) are
applied again and the hokkaido tables emptied (``tests/database.py``).
``inbox`` a real SMTP server (aiosmtpd, ``tests/mail.py``).
``portal`` is a fake municipal portal: a real HTTP server on 127.0.0.1
(``tests/fakes/portal_server.py``).
"""
from collections.abc import Iterator

import pytest

from tests.database import reset_portal_db
from tests.fakes.portal_server import PortalServer
from tests.mail import SMTP_PORT, Inbox


@pytest.fixture
def clean_db(reset_db, migrate_db_for, with_plugins):
    reset_portal_db(reset_db, migrate_db_for)


@pytest.fixture
def portal() -> Iterator[PortalServer]:
    """A fresh fake portal; fails the test if one of its handlers raised."""
    with PortalServer() as server:
        yield server
        server.wait_idle()
        assert not server.errors, "a portal handler raised:\n" + "\n".join(server.errors)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1:SMTP_PORT for the test's duration."""
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield handler
    controller.stop()
