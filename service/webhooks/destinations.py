"""Where webhooks may not go (server-side request forgery): loopback, the link-local neighbours (a cloud's
metadata service lives there), multicast and reserved ranges, or whatever `KAMPLAN_WEBHOOK_BLOCKED_NETWORKS`
lists instead. The company's private networks are open by default: the ERP, the first subscriber, lives there;
so are this host's own interface addresses, which an operator who wants them closed adds to the list.

The check that counts is made where the connection is made: the dispatcher's client resolves a host name
itself, refuses it when any of its addresses is blocked, and connects to an address it checked, so a name
that resolves elsewhere a moment later (DNS rebinding) gets nowhere. The API checks a URL when it is given,
for an early 422; a name that does not resolve then is taken, since it may resolve by the time of delivery.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_BLOCKED = (
    "0.0.0.0/8 127.0.0.0/8 169.254.0.0/16 224.0.0.0/4 240.0.0.0/4 ::/128 ::1/128 fe80::/10 ff00::/8 fd00:ec2::254/128"
)
# NAT64 puts an IPv4 address in IPv6 clothes under a prefix: the well-known one, or a translator's own (RFC 6052)
DEFAULT_NAT64 = "64:ff9b::/96"
_NAT64_LENGTHS = (32, 40, 48, 56, 64, 96)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
RESOLVE_SECONDS = 2.0  # how long the API waits for a name to resolve before taking it unchecked


def networks(text: str) -> tuple[Network, ...]:
    """Networks (CIDR, or a bare address) separated by spaces or commas; ValueError names one that is not."""
    found = []
    for item in text.replace(",", " ").split():
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(f"{item!r} is not a network: {error}") from None
    return tuple(found)


def nat64_prefixes(text: str) -> tuple[ipaddress.IPv6Network, ...]:
    """NAT64 prefixes, as `networks`; ValueError names one that RFC 6052 does not allow."""
    found = []
    for prefix in networks(text):
        if not isinstance(prefix, ipaddress.IPv6Network) or prefix.prefixlen not in _NAT64_LENGTHS:
            raise ValueError(f"{str(prefix)!r} is not a NAT64 prefix: an IPv6 /32, /40, /48, /56, /64 or /96")
        found.append(prefix)
    return tuple(found)


class BlockedDestination(httpcore.ConnectError):
    """A connection refused before it was made; httpx reports it as a ConnectError with this message."""


@dataclass(frozen=True, slots=True)
class Destinations:
    """The blocked networks, and the exceptions within them (`allowed` wins)."""

    blocked: tuple[Network, ...]
    allowed: tuple[Network, ...] = ()
    nat64: tuple[ipaddress.IPv6Network, ...] = nat64_prefixes(DEFAULT_NAT64)

    @classmethod
    def parse(cls, blocked: str, allowed: str = "", nat64: str = DEFAULT_NAT64) -> Destinations:
        return cls(networks(blocked), networks(allowed), nat64_prefixes(nat64))

    def refusal(self, address: Address) -> str | None:
        """Why a connection to `address` is refused, or None when it may be made."""
        for meaning in self._meanings(address):
            network = next((n for n in self.blocked if meaning in n), None)
            if network is not None and not any(meaning in n for n in self.allowed):
                named = str(address) if meaning == address else f"{address} ({meaning})"
                return f"{named} is in the blocked network {network} (KAMPLAN_WEBHOOK_BLOCKED_NETWORKS)"
        return None

    async def vetted(self, host: str, port: int) -> list[Address]:
        """The addresses of `host`, once none of them is blocked (BlockedDestination otherwise)."""
        addresses = await _resolve(host, port)
        for address in addresses:
            if (reason := self.refusal(address)) is not None:
                raise BlockedDestination(reason if address == _literal(host) else f"{host}: {reason}")
        return addresses

    async def url_refusal(self, url: str) -> str | None:
        """Why a subscription to `url` would never be delivered, as far as can be told now; None when it may be."""
        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            async with asyncio.timeout(RESOLVE_SECONDS):
                await self.vetted(parsed.raw_host.decode("ascii"), port)
        except BlockedDestination as refused:
            return str(refused)
        except (OSError, httpcore.ConnectError, TimeoutError, UnicodeError):
            return None  # not resolvable now; delivery checks again
        return None

    def _meanings(self, address: Address) -> Iterable[Address]:
        """The address, and the IPv4 address it carries when it is IPv4-mapped, IPv4-compatible, 6to4 or under a
        NAT64 prefix (::ffff:127.0.0.1, ::127.0.0.1, 2002:7f00:1:: and 64:ff9b::7f00:1 are all 127.0.0.1)."""
        yield address
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                yield address.ipv4_mapped
            elif address.sixtofour is not None:
                yield address.sixtofour
            elif (compatible := _ipv4_compatible(address)) is not None:
                yield compatible
            for prefix in self.nat64:
                if address in prefix:
                    yield _embedded_ipv4(address, prefix.prefixlen)


NOTHING_BLOCKED = Destinations(())


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _ipv4_compatible(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address of a deprecated IPv4-compatible address (::a.b.c.d, RFC 4291 2.5.5.1), which a host that
    still tunnels them sends to a.b.c.d; None for another, and for :: and ::1, the unspecified and loopback addresses
    themselves, which the list names as they are (an allowed ::1 is not 0.0.0.1 in disguise)."""
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address right after an RFC 6052 prefix; octet 8 (bits 64 to 71, "u") never carries any of it."""
    octets = address.packed
    return ipaddress.IPv4Address(bytes([octets[i] for i in range(prefix_length // 8, 16) if i != 8][:4]))


async def _resolve(host: str, port: int) -> list[Address]:
    if (literal := _literal(host)) is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise httpcore.ConnectError(f"{host}: {error}") from error
    found: list[Address] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    return found


async def connect_first(
    backend: httpcore.AsyncNetworkBackend,
    addresses: list[Address],
    port: int,
    timeout: float | None,  # noqa: ASYNC109 (httpcore's own)
    local_address: str | None = None,
    socket_options: Iterable[Any] | None = None,
) -> httpcore.AsyncNetworkStream:
    """A connection to the first of `addresses` that answers, tried one after another, each with its share of the
    time left: one that does not answer (a dead IPv6 record, typically) leaves time for the next."""
    deadline = None if timeout is None else time.monotonic() + timeout
    failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
    for index, address in enumerate(addresses):
        share = None if deadline is None else max(deadline - time.monotonic(), 0.0) / (len(addresses) - index)
        try:
            return await backend.connect_tcp(
                str(address), port, timeout=share, local_address=local_address, socket_options=socket_options
            )
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
            failure = error
    raise failure or httpcore.ConnectError("no address to connect to")


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, connecting only to addresses the destinations allow."""

    def __init__(self, destinations: Destinations) -> None:
        self._destinations = destinations
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._destinations.vetted(host, port)
        return await connect_first(self._backend, addresses, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not delivered over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def delivery_client(destinations: Destinations, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """The dispatcher's HTTP client: redirects not followed (a 3xx is a failed attempt, never a detour), and,
    when anything is blocked, every connection made through the guard."""
    if not destinations.blocked:  # nothing to guard: the usual client, environment proxies included
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    transport = httpx.AsyncHTTPTransport()
    # httpx 0.28 takes no network backend of its own (encode/httpx#3180), so its pool is replaced by one that
    # has ours, with httpx's defaults; tests/api/test_webhook_destinations.py fails should this stop working
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(destinations),
    )
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
