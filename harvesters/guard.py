"""The address guard: which hosts a harvester may fetch (SSRF protection).

Only ``http``/``https`` URLs whose host resolves exclusively to public
addresses are fetched (:class:`AddressGuard`), checked again at every
redirect hop by :class:`harvesters.client.HttpClient` and once more on the
address the socket actually connected to, which defeats DNS rebinding
(:class:`GuardedAdapter`). Private, loopback, link-local … addresses are
refused unless the operator names their category.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Union
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions

from harvesters.errors import BlockedAddress, ConfigError, ConnectionFailed

__all__ = [
    "ADDRESS_CATEGORIES",
    "AddressGuard",
    "GuardedAdapter",
    "Resolver",
    "check_url",
    "classify_address",
]


IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

ADDRESS_CATEGORIES: tuple[str, ...] = (
    "loopback",
    "private",
    "link_local",
    "multicast",
    "reserved",
    "unspecified",
    "metadata",
)
"""Names of the non-public address classes; each can be allowed explicitly."""

_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
    )
)

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "fc00::/7",  # unique local addresses
        "fec0::/10",  # deprecated site-local addresses
    )
)

_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")

_JA_CATEGORY = {
    "loopback": "ループバックアドレス",
    "private": "プライベートアドレス",
    "link_local": "リンクローカルアドレス",
    "multicast": "マルチキャストアドレス",
    "reserved": "予約済みアドレス",
    "unspecified": "未指定アドレス",
    "metadata": "クラウドのメタデータアドレス",
}


def _parse_ip(value: str | IPAddress) -> IPAddress:
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value
    # getaddrinfo may append a zone ("fe80::1%eth0"); the zone does not
    # change what kind of address it is.
    return ipaddress.ip_address(value.split("%", 1)[0])


def classify_address(address: str | IPAddress) -> str | None:
    """Return the non-public category of ``address``, or ``None`` if public.

    IPv6 addresses that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
    6to4 ``2002::/16`` and NAT64 ``64:ff9b::/96``) are judged by the embedded
    address, so ``::ffff:127.0.0.1`` is ``"loopback"``. Cloud metadata
    addresses are their own category, so allowing ``"link_local"`` does not
    open ``169.254.169.254``.

    :raises ValueError: if ``address`` is not an IP address.
    """
    ip = _parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return classify_address(embedded)
    if ip in _METADATA_ADDRESSES:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in network for network in _PRIVATE_NETWORKS):
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


Resolver = Callable[..., list]


class AddressGuard:
    """Decides whether a URL may be fetched.

    :param allow: categories from :data:`ADDRESS_CATEGORIES` that are
        allowed in addition to public addresses, as an iterable or a string
        separated by commas or spaces (``"loopback"``, ``("loopback",
        "private")``). ``"link-local"`` is accepted for ``"link_local"``.
    :param resolver: a function with the signature of
        :func:`socket.getaddrinfo`, replaceable in tests.
    """

    schemes: ClassVar[frozenset[str]] = frozenset({"http", "https"})

    def __init__(self, allow: str | Iterable[str] = (), resolver: Resolver = socket.getaddrinfo) -> None:
        self.allow = self.parse_allow(allow)
        self.resolver = resolver

    @staticmethod
    def parse_allow(allow: str | Iterable[str]) -> frozenset[str]:
        """Normalise an ``allow`` setting; raise ValueError on unknown names."""
        if isinstance(allow, str):
            allow = re.split(r"[\s,]+", allow)
        names = {a.strip().lower().replace("-", "_") for a in allow if a and a.strip()}
        unknown = names - set(ADDRESS_CATEGORIES)
        if unknown:
            raise ValueError(
                f"unknown address categories {sorted(unknown)}; "
                f"choose from {', '.join(ADDRESS_CATEGORIES)}"
            )
        return frozenset(names)

    def check_address(self, address: str | IPAddress, *, url: str) -> None:
        """Raise :class:`BlockedAddress` unless ``address`` may be contacted."""
        category = classify_address(address)
        if category is not None and category not in self.allow:
            raise BlockedAddress(
                url,
                f"refusing to connect to {category.replace('_', '-')} address {address} "
                f"(add {category!r} to the allowed address categories if this is intended)",
                message_ja=f"{_JA_CATEGORY[category]} ({address}) への接続は許可されていません",
            )

    def check_url(self, url: str) -> list[IPAddress]:
        """Check the scheme and every address the host resolves to.

        :returns: the resolved addresses.
        :raises BlockedAddress: for a scheme other than http/https or any
            resolved address that is not allowed.
        :raises ConnectionFailed: if the host cannot be resolved.
        :raises ConfigError: if the URL has no host or a malformed port.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ConfigError(url, f"malformed URL ({exc})", message_ja="URLの形式が正しくありません") from exc
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            raise BlockedAddress(
                url,
                f"only http and https URLs may be fetched, not {scheme or 'a URL without scheme'!r}",
                message_ja="http または https 以外のURLは取得できません",
            )
        host = parts.hostname
        if not host:
            raise ConfigError(url, "URL has no host name", message_ja="URLにホスト名がありません")
        try:
            addresses: list[IPAddress] = [_parse_ip(host)]
        except ValueError:
            addresses = self._resolve(url, host, port or (443 if scheme == "https" else 80))
        for address in addresses:
            self.check_address(address, url=url)
        return addresses

    def _resolve(self, url: str, host: str, port: int) -> list[IPAddress]:
        try:
            infos = self.resolver(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise ConnectionFailed(
                url, f"cannot resolve host {host!r} ({exc})", message_ja="ホスト名を解決できませんでした"
            ) from exc
        addresses: list[IPAddress] = []
        for info in infos:
            address = _parse_ip(info[4][0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise ConnectionFailed(url, f"host {host!r} resolved to no address",
                                   message_ja="ホスト名を解決できませんでした")
        return addresses


def check_url(url: str, allow: str | Iterable[str] = (), resolver: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    """Shortcut for ``AddressGuard(allow, resolver).check_url(url)``."""
    return AddressGuard(allow, resolver).check_url(url)


class PeerCheckingConnection:
    """Mixin for urllib3 connections: vet the address actually connected to.

    The guard resolves host names before each request, but the connection
    resolves them again; a hostile DNS server could answer differently the
    second time (DNS rebinding). Checking the socket's peer closes that gap.
    """

    address_guard: ClassVar[AddressGuard | None] = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        guard = self.address_guard
        if guard is not None:
            peer = sock.getpeername()[0]
            try:
                guard.check_address(peer, url=f"//{self.host}:{self.port}")  # type: ignore[attr-defined]
            except BlockedAddress:
                sock.close()
                raise
        return sock


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """A requests transport whose connections check their peer address."""

    def __init__(self, guard: AddressGuard, **kwargs: Any) -> None:
        self._guard = guard
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        attrs = {"address_guard": self._guard}
        http_conn = type("GuardedHTTPConnection", (PeerCheckingConnection, urllib3.connection.HTTPConnection), attrs)
        https_conn = type("GuardedHTTPSConnection", (PeerCheckingConnection, urllib3.connection.HTTPSConnection), attrs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPConnectionPool", (urllib3.connectionpool.HTTPConnectionPool,),
                         {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSConnectionPool", (urllib3.connectionpool.HTTPSConnectionPool,),
                          {"ConnectionCls": https_conn}),
        }
