"""The client's address of a request, also behind a reverse proxy: one function for every limit that counts addresses.

Directly reachable, the client is the socket's peer (``request.remote``). Behind a reverse proxy the
peer is the proxy, and the client's address is in the header the proxy appends to
(``X-Forwarded-For``, or the one named by ``KOMMUN_CLIENT_ADDRESS_HEADER``). That header is anyone's to
write, so it is read only when the peer is one of ``KOMMUN_TRUSTED_PROXIES``, and then from the right:
each trusted proxy appended the address it received from, so the rightmost address that is not a
trusted proxy is the client (MDN, "X-Forwarded-For: Selecting an IP address"; nginx's
``real_ip_recursive``). Whatever a client wrote further left is never believed.

aiohttp-remotes was considered: its ``XForwardedFiltered`` reads the header without checking the peer
(so a client that reaches the web app directly chooses its own address), and ``XForwardedStrict``
needs a fixed number of proxies and answers 400 to every direct request (the supervisor's health
checks, the benchmarks); hence this small function.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

from aiohttp import web

from bot.core.settings import ProxyNetworks
from bot.web.keys import SETTINGS


def _trusted(address: IPv4Address | IPv6Address, proxies: ProxyNetworks) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def forwarded_client(peer: str, forwarded: list[str], proxies: ProxyNetworks) -> str:
    """The client's address from the peer's address and the forwarding header's values (in order).

    ``peer`` itself when it is not a trusted proxy (or there are none); else the rightmost entry of
    ``forwarded`` (comma-separated, several headers in order) that is not a trusted proxy; the leftmost
    when all are; the last trusted address when an entry is no address (nothing left of it is believed).
    Addresses are returned normalised (``ip_address`` form); an unparsable ``peer`` is returned as is.
    """
    try:
        address = ip_address(peer)
    except ValueError:
        return peer
    if not _trusted(address, proxies):
        return str(address)
    hops = [hop.strip() for value in forwarded for hop in value.split(",")]
    for hop in reversed(hops):
        try:
            address = ip_address(hop)
        except ValueError:
            break
        if not _trusted(address, proxies):
            break
    return str(address)


def client_address(request: web.Request) -> str:
    """The client's address of ``request`` (:func:`forwarded_client` with the settings' trusted proxies).

    Used by the status lookup's limit per address (:func:`bot.web.resident.client_key`), the staff
    login's back-off per address and the loopback check of ``/metrics``. ``""`` when aiohttp knows no peer.
    """
    settings = request.app[SETTINGS]
    peer = request.remote or ""
    if not settings.trusted_proxies:
        return peer
    return forwarded_client(peer, request.headers.getall(settings.client_address_header, []), settings.trusted_proxies)
