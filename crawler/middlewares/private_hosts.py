"""Downloader middleware that never lets a crawl reach into private networks.

A public portal's page (or a redirect) may point at a host that resolves to a loopback,
private (RFC 1918), carrier-grade NAT, link-local (cloud metadata at 169.254.169.254),
unique-local, multicast, reserved or unspecified address: the crawler's own machine or its
network, never the portal's public site. Each request's host is resolved (once per host, in
a thread, so the reactor never waits on DNS) and a request is refused (``IgnoreRequest``,
a ``fetch_failures`` row of kind ``private_address`` through the failure log) when any of
its addresses is in such a range, unless

- the address is one of the portal's own: its ``base_url`` and start URLs resolve there
  (an intranet portal, or the test replica on 127.0.0.1: only those addresses, not the
  whole range, so a link to 127.0.0.2 from the replica is still refused), or
- the host or the address is allowed explicitly (``PRIVATE_HOSTS_ALLOWED``: host names, IP
  addresses or networks such as ``10.20.0.0/16``).

A host that does not resolve is left to the download (a ``dns`` failure). It sits at 60,
before robots.txt (100), so not even robots.txt is fetched from a refused host. The address
is checked when the request is scheduled for download; the connection resolves the name
again, so a DNS answer that changes in between (rebinding) is not caught here.

Settings: ``PRIVATE_HOSTS_ENABLED`` (True), ``PRIVATE_HOSTS_ALLOWED`` ([]).
Stats: ``private_hosts/refused``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Carrier-grade NAT (RFC 6598): not public, yet not among ipaddress's is_private ranges.
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


def is_private(address: Address) -> bool:
    """Whether ``address`` is outside the public internet."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified
            or address in SHARED_ADDRESS_SPACE)


def resolve(host: str) -> tuple[Address, ...]:
    """The addresses of ``host`` (an IP literal is its own); empty when it does not resolve."""
    try:
        return (ipaddress.ip_address(host.strip("[]")),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return ()
    return tuple(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0])
                               for info in infos))


class PrivateHostsMiddleware:
    def __init__(self, crawler: Crawler, resolver: Callable[[str], Iterable[Address]] = resolve
                 ) -> None:
        settings = crawler.settings
        if not settings.getbool("PRIVATE_HOSTS_ENABLED", True):
            raise NotConfigured("PRIVATE_HOSTS_ENABLED is off")
        self.crawler = crawler
        self.resolver = resolver
        self.allowed_hosts: set[str] = set()
        self.allowed_nets: list[Network] = []
        for item in settings.getlist("PRIVATE_HOSTS_ALLOWED"):
            try:
                self.allowed_nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.allowed_hosts.add(item.lower())
        self.cache: dict[str, tuple[Address, ...]] = {}
        self.own: set[Address] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateHostsMiddleware:
        return cls(crawler)

    async def _addresses(self, host: str) -> tuple[Address, ...]:
        if host not in self.cache:
            found = await maybe_deferred_to_future(deferToThread(self.resolver, host))
            self.cache[host] = tuple(found)
        return self.cache[host]

    async def _own_addresses(self) -> set[Address]:
        """The addresses the portal itself lives at (its base URL's and start URLs' hosts)."""
        if self.own is None:
            portal = getattr(self.crawler.spider, "portal", None)
            urls = [getattr(portal, "base_url", None), *getattr(portal, "start_urls", ())]
            own: set[Address] = set()
            for host in {urlsplit(u).hostname for u in urls if u} - {None}:
                own.update(await self._addresses(host.lower()))
            self.own = own
        return self.own

    def refusal(self, host: str, addresses: Iterable[Address], own: set[Address]
                ) -> str | None:
        """Why a request to ``host`` (at ``addresses``) is refused, or None."""
        if host in self.allowed_hosts:
            return None
        refused = [a for a in addresses if is_private(a) and a not in own
                   and not any(a in net for net in self.allowed_nets)]
        if not refused:
            return None
        return (f"private address: {host} resolves to {refused[0]}, which is not the "
                "portal's own address (PRIVATE_HOSTS_ALLOWED to allow it)")

    async def process_request(self, request: Request) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        if not host or host in self.allowed_hosts:
            return None
        addresses = await self._addresses(host)
        if not any(is_private(a) for a in addresses):
            return None
        reason = self.refusal(host, addresses, await self._own_addresses())
        if reason:
            self.crawler.stats.inc_value("private_hosts/refused")
            raise IgnoreRequest(reason)
        return None
