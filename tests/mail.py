"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests that send mail:
the ``inbox`` fixture (tests/conftest.py) listens on :data:`SMTP_PORT`
while a test runs; point ``smtp.server`` at it."""
from __future__ import annotations

import email
import email.policy

from tests.fakes.source_ckan import free_port

__all__ = ["SMTP_PORT", "Inbox"]

SMTP_PORT = free_port()


class Inbox:
    """What the server received: ``messages`` as (recipients, raw bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def parsed(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """The messages parsed (subject and body decoded)."""
        return [(to, email.message_from_bytes(raw, policy=email.policy.default)) for to, raw in self.messages]
