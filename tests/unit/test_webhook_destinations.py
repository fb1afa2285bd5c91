"""Which addresses webhooks may not reach (server-side request forgery), decided without the network."""

from __future__ import annotations

import ipaddress
import socket

import httpcore
import httpx
import pytest
from pydantic import ValidationError

from service.config import Settings
from service.webhooks.destinations import (
    DEFAULT_BLOCKED,
    BlockedDestination,
    Destinations,
    connect_first,
    delivery_client,
)

DEFAULT = Destinations.parse(DEFAULT_BLOCKED)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "169.254.169.254",  # a cloud's metadata service
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",  # AWS's metadata service over IPv6
        "::ffff:127.0.0.1",  # IPv4-mapped: the same loopback
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "::127.0.0.1",  # IPv4-compatible (deprecated, RFC 4291 2.5.5.1): the same loopback
        "::7f00:1",  # the same, written in hexadecimal
        "::169.254.169.254",
    ],
)
def test_this_host_and_its_link_local_neighbours_are_refused_by_default(address: str) -> None:
    assert DEFAULT.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "172.16.0.9", "192.168.1.20", "fd12::1", "93.184.215.14", "2606::1", "::10.1.2.3"]
)
def test_private_networks_and_the_internet_are_open_by_default(address: str) -> None:
    assert DEFAULT.refusal(ipaddress.ip_address(address)) is None


def test_an_allowed_network_is_an_exception_within_the_blocked_ones() -> None:
    company = Destinations.parse(DEFAULT_BLOCKED + " 10.0.0.0/8", allowed="10.20.0.5 127.0.0.1/32")
    assert company.refusal(ipaddress.ip_address("10.9.9.9")) == (
        "10.9.9.9 is in the blocked network 10.0.0.0/8 (KAMPLAN_WEBHOOK_BLOCKED_NETWORKS)"
    )
    assert company.refusal(ipaddress.ip_address("10.20.0.5")) is None
    assert company.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert company.refusal(ipaddress.ip_address("127.0.0.2")) is not None
    assert company.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is None  # the allowance holds for its IPv6 form
    assert company.refusal(ipaddress.ip_address("::ffff:10.9.9.9")) == (
        "::ffff:a09:909 (10.9.9.9) is in the blocked network 10.0.0.0/8 (KAMPLAN_WEBHOOK_BLOCKED_NETWORKS)"
    )
    assert company.refusal(ipaddress.ip_address("::127.0.0.1")) is None  # and for its IPv4-compatible form
    assert company.refusal(ipaddress.ip_address("::10.9.9.9")) == (
        "::a09:909 (10.9.9.9) is in the blocked network 10.0.0.0/8 (KAMPLAN_WEBHOOK_BLOCKED_NETWORKS)"
    )
    loopback = Destinations.parse(DEFAULT_BLOCKED, allowed="127.0.0.0/8 ::1/128")
    assert loopback.refusal(ipaddress.ip_address("::1")) is None  # ::1 is loopback itself, not 0.0.0.1 in disguise


@pytest.mark.parametrize(
    ("prefix", "address"),  # RFC 6052's own examples of 192.0.2.33 under each prefix length, and loopback
    [
        ("2001:db8::/32", "2001:db8:c000:221::"),
        ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
        ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
        ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
        ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
        ("2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"),
    ],
)
def test_a_translators_own_nat64_prefix_is_read_as_rfc_6052_places_the_ipv4_address(prefix: str, address: str) -> None:
    translated = Destinations.parse(DEFAULT_BLOCKED + " 192.0.2.0/24", nat64=prefix)
    reason = translated.refusal(ipaddress.ip_address(address))
    assert reason == f"{ipaddress.ip_address(address)} (192.0.2.33) is in the blocked network 192.0.2.0/24 " + (
        "(KAMPLAN_WEBHOOK_BLOCKED_NETWORKS)"
    )
    assert DEFAULT.refusal(ipaddress.ip_address(address)) is None  # unknown prefix: an IPv6 address like any


def test_a_setting_that_is_not_a_nat64_prefix_stops_the_start_naming_it() -> None:
    for wrong in ("64:ff9b::/80", "10.0.0.0/8"):
        with pytest.raises(ValidationError, match="webhook_nat64_prefixes") as refused:
            Settings(webhook_nat64_prefixes=wrong)
        assert "is not a NAT64 prefix" in str(refused.value)
    local = Settings(webhook_nat64_prefixes="64:ff9b::/96 64:ff9b:1:abcd::/64").webhook_destinations
    assert local.refusal(ipaddress.ip_address("64:ff9b:1:abcd:a9:fea9:fe00:0")) is not None  # 169.254.169.254


def test_nothing_is_refused_when_nothing_is_blocked() -> None:
    assert Destinations.parse("").refusal(ipaddress.ip_address("127.0.0.1")) is None


async def test_a_name_is_refused_for_what_it_resolves_to() -> None:
    with pytest.raises(BlockedDestination, match=r"^localhost: 127\.0\.0\.1 is in the blocked network 127\.0\.0\.0/8"):
        await DEFAULT.vetted("localhost", 80)
    assert await DEFAULT.url_refusal("http://localhost:8080/hook") is not None
    assert await DEFAULT.url_refusal("http://[::ffff:7f00:1]/hook") is not None
    assert await DEFAULT.url_refusal("http://[::127.0.0.1]/hook") is not None
    assert await DEFAULT.url_refusal("https://10.1.2.3/hook") is None
    # a name that does not resolve now is taken: delivery checks it again when it connects
    assert await DEFAULT.url_refusal("https://erp.invalid/hook") is None


def test_a_setting_that_is_not_a_network_stops_the_start_naming_it() -> None:
    with pytest.raises(ValidationError, match="webhook_blocked_networks") as refused:
        Settings(webhook_blocked_networks="127.0.0.0/8 10.0.0.0/33")
    assert "'10.0.0.0/33' is not a network" in str(refused.value)
    assert Settings(webhook_allowed_networks="10.0.0.1, 10.0.0.2").webhook_destinations.allowed == (
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("10.0.0.2/32"),
    )


async def test_an_address_that_does_not_answer_leaves_time_for_the_next() -> None:
    with socket.socket() as live, socket.socket() as silent:
        live.bind(("127.0.0.1", 0))
        live.listen(8)
        port = live.getsockname()[1]
        silent.bind(("127.0.0.2", port))  # the same port on another loopback address, its queue kept full:
        silent.listen(0)  # the kernel drops further handshakes, as a dead address would
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.2", port))
        try:
            first_silent = [ipaddress.ip_address("127.0.0.2"), ipaddress.ip_address("127.0.0.1")]
            stream = await connect_first(httpcore.AnyIOBackend(), first_silent, port, timeout=2.0)
            assert stream.get_extra_info("server_addr")[0] == "127.0.0.1"
            await stream.aclose()
            with pytest.raises(httpcore.ConnectTimeout):
                await connect_first(httpcore.AnyIOBackend(), first_silent[:1], port, timeout=0.5)
        finally:
            for filler in fillers:
                filler.close()


async def test_the_delivery_client_refuses_an_address_by_the_ipv4_address_it_carries() -> None:
    """An IPv4-compatible (::7f00:1), NAT64 or 6to4 literal, or a name whose DNS answers with one, reaches the
    check where the connection is made as any address does: it is refused for the IPv4 address inside."""
    async with delivery_client(DEFAULT, httpx.Timeout(2.0)) as client:
        for url in ("http://[::7f00:1]:9/hook", "http://[64:ff9b::7f00:1]:9/hook", "http://[2002:7f00:1::]:9/hook"):
            with pytest.raises(httpx.ConnectError, match=r"\(127\.0\.0\.1\) is in the blocked network 127\.0\.0\.0/8"):
                await client.post(url, content=b"{}")
