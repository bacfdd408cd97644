"""The portal's outbound HTTP client: the one factory for every request the
portal makes to another site — the harvest's, the tables job's, the CLI's
(``probe``, ``discover``, ``check-links``, ``tables``).

Every client gets the address guard (``ckanext.hokkaido.harvest.
allow_private_addresses``), the read timeout (``.timeout``), the retries
(``.retries``), the size cap (``.max_bytes``, or the caller's smaller one)
and the limits on hostile input (:func:`ckanext.hokkaido.settings.
limits_from_config`), each read once here with the default its declaration
gives (``config_declaration.yaml`` of the ``hokkaido`` plugin) and no other.
The harvest's clients share one throttle per process (``.min_delay``
between two starts on a host, at most 2 requests in flight there); a
harvest job's client refuses to start a request past its time limit
(:class:`TimeLimitExceeded`).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Optional

from ckan.plugins import toolkit

from harvesters.client import HostThrottle, HttpClient
from harvesters.errors import FetchError

from ckanext.hokkaido.settings import allowed_addresses, limits_from_config

__all__ = ["TimeLimitExceeded", "make_client", "shared_throttle"]

class TimeLimitExceeded(FetchError):
    """The run's time limit for this source passed before a request."""

    default_message_ja = "時間制限を超えたため収集を中断しました"
    message_en = "the run's time limit for this source was reached"


_throttles: dict[float, HostThrottle] = {}
_throttles_lock = threading.Lock()


def shared_throttle(min_delay: float) -> HostThrottle:
    """The process's per-host throttle: the sources running at once share
    it, so the portals that serve many municipalities (BODIK, HARP) see at
    most 2 requests in flight and ``min_delay`` seconds between two starts,
    whatever the number of their sources and workers."""
    with _throttles_lock:
        throttle = _throttles.get(min_delay)
        if throttle is None:
            throttle = _throttles[min_delay] = HostThrottle(2, min_delay)
        return throttle


class _DeadlineClient(HttpClient):
    """An :class:`HttpClient` that refuses to start a request after ``deadline``."""

    deadline: float = float("inf")

    def _request(self, method: str, url: str, **kwargs: Any):  # type: ignore[override]
        if time.monotonic() > self.deadline:
            raise TimeLimitExceeded(url, "time limit reached, request not started")
        return super()._request(method, url, **kwargs)


def make_client(api_key: Optional[str] = None, url: Optional[str] = None, *, deadline: Optional[float] = None,
                throttled: bool = True, max_bytes: Optional[int] = None,
                total_timeout: Optional[float] = None) -> HttpClient:
    """A client configured from the portal's settings (module docs).

    :param api_key: sent as the ``Authorization`` header to ``url``'s origin only.
    :param deadline: ``time.monotonic()`` after which no request starts.
    :param throttled: share the harvest's per-host throttle (the tables job
        reads one file a job and does not).
    :param max_bytes: the caller's own cap instead of ``ckanext.hokkaido.harvest.max_bytes``
        (the tables job's ``ckanext.hokkaido.tables.max_bytes``).
    :param total_timeout: seconds for a whole response, body included.
    """
    config = toolkit.config
    settings: dict[str, Any] = dict(
        portal_url=config.get("ckan.site_url") or None,
        read_timeout=float(config.get("ckanext.hokkaido.harvest.timeout")),
        max_retries=int(config.get("ckanext.hokkaido.harvest.retries")),
        max_bytes=max_bytes or int(config.get("ckanext.hokkaido.harvest.max_bytes")),
        limits=limits_from_config(),
        allow=allowed_addresses(),
        authorization=api_key, authorization_url=url if api_key else None,
    )
    if throttled:
        settings["throttle"] = shared_throttle(float(config.get("ckanext.hokkaido.harvest.min_delay")))
    else:
        settings["min_delay"] = 0
    if total_timeout is not None:
        settings["total_timeout"] = total_timeout
    if deadline is None:
        return HttpClient(**settings)
    client = _DeadlineClient(**settings)
    client.deadline = deadline
    return client
