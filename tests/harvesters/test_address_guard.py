"""The SSRF guard, used directly: nothing here opens a connection.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import ipaddress
import socket

import pytest

from harvesters.errors import BlockedAddress, ConfigError, ConnectionFailed
from harvesters.guard import AddressGuard, check_url, classify_address

BLOCKED = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1.2.3:8080/api", "loopback"),
    ("http://localhost/", "loopback"),  # resolved through getaddrinfo
    ("http://2130706433/", "loopback"),  # 127.0.0.1 written as one number
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 wrapping 127.0.0.1
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "private"),  # carrier-grade NAT
    ("http://[fc00::1]/", "private"),
    ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 wrapping 10.0.0.1
    ("http://169.254.1.1/", "link_local"),
    ("http://[fe80::1]/", "link_local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.10/", "reserved"),  # documentation range
]


@pytest.mark.parametrize(("url", "category"), BLOCKED)
def test_non_public_addresses_are_refused_by_default(url, category):
    # Bad input: a URL pointing at a loopback/private/link-local/multicast/
    # reserved/unspecified/metadata address, by number or by name.
    with pytest.raises(BlockedAddress) as caught:
        check_url(url)
    assert caught.value.url == url
    assert f"refusing to connect to {category.replace('_', '-')} address" in str(caught.value)
    assert "許可されていません" in caught.value.message_ja


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5000/", "http://localhost/", "http://[::1]/", "http://[::ffff:127.0.0.1]/"],
)
def test_loopback_allowed_when_configured(url):
    # Bad input: loopback URLs, with loopback explicitly allowed.
    addresses = check_url(url, allow=("loopback",))
    assert addresses and all(classify_address(a) == "loopback" for a in addresses)


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://169.254.169.254/", "http://[fd00:ec2::254]/"])
def test_allowing_loopback_opens_nothing_else(url):
    # Bad input: private and metadata addresses while only loopback is allowed.
    with pytest.raises(BlockedAddress):
        check_url(url, allow=("loopback",))


def test_allowing_link_local_does_not_open_metadata():
    # Bad input: the metadata address, which is also link-local.
    guard = AddressGuard(allow="link-local")
    guard.check_url("http://169.254.1.1/")
    with pytest.raises(BlockedAddress, match="metadata"):
        guard.check_url("http://169.254.169.254/")


@pytest.mark.parametrize("url", ["http://93.184.216.34/", "https://[2606:4700::1111]/dns", "http://8.8.8.8:8080/x"])
def test_public_addresses_pass(url):
    # Bad input: none; public addresses must not be refused.
    assert check_url(url)


def fake_resolver(*addresses):
    def resolve(host, port, family=0, type_=0, *rest):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]
    return resolve


def test_every_resolved_address_is_checked():
    # Bad input: a name resolving to one public and one private address.
    resolver = fake_resolver("93.184.216.34", "10.1.2.3")
    with pytest.raises(BlockedAddress, match="10.1.2.3"):
        check_url("https://data.example.jp/", resolver=resolver)
    assert check_url("https://data.example.jp/", resolver=fake_resolver("93.184.216.34")) == [
        ipaddress.ip_address("93.184.216.34")
    ]


def test_resolved_ipv6_with_zone_is_checked():
    # Bad input: a name resolving to a link-local IPv6 address with a zone id.
    with pytest.raises(BlockedAddress, match="link-local"):
        check_url("http://printer.local/", resolver=fake_resolver("fe80::1%eth0"))


def test_unresolvable_host():
    # Bad input: a host name DNS does not know.
    def failing(*args):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ConnectionFailed, match="cannot resolve host 'nowhere.invalid'"):
        check_url("http://nowhere.invalid/", resolver=failing)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/data.csv", "gopher://127.0.0.1:70/", "javascript:alert(1)", "//example.org/"],
)
def test_only_http_and_https(url):
    # Bad input: a scheme other than http/https (or none at all).
    with pytest.raises(BlockedAddress, match="only http and https"):
        check_url(url, allow=("loopback",))


@pytest.mark.parametrize("url", ["http:///path-only", "http://example.org:99999/"])
def test_malformed_urls(url):
    # Bad input: a URL without host, or with an impossible port.
    with pytest.raises(ConfigError):
        check_url(url)


def test_allow_setting_is_validated_and_parsed():
    # Bad input: an unknown category name, and a comma-separated setting as in test.ini.
    with pytest.raises(ValueError, match="unknown address categories"):
        AddressGuard(allow=("loopbak",))
    assert AddressGuard(allow="loopback, private").allow == {"loopback", "private"}
