"""Fixtures for the pure-Python harvester tests (no database, no CKAN).

Everything talks to a real HTTP server on 127.0.0.1 started per test; the
clients allow the loopback category for that and nothing else.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harvesters.client import HttpClient


@pytest.fixture
def make_client() -> Iterator[Callable[..., HttpClient]]:
    """Build clients for the loopback portal: fast defaults, overridable."""
    clients: list[HttpClient] = []

    def make(**overrides: Any) -> HttpClient:
        settings: dict[str, Any] = {
            "allow": ("loopback",),
            "min_delay": 0.0,
            "max_retries": 2,
            "backoff_factor": 0.01,
            "connect_timeout": 2.0,
            "read_timeout": 5.0,
            "max_parallel_per_host": 4,
        }
        settings.update(overrides)
        client = HttpClient(**settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., HttpClient]) -> HttpClient:
    return make_client()
