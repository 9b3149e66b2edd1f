"""Which hosts the HTTP client may reach: the configured ones, and never a private address by surprise."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import httpx

from ingest.errors import HostNotAllowed, Offline

DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve_host(host: str) -> list[str]:
    """The host's IP addresses; Offline when it does not resolve (no network, or no such name)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Offline(f"Cannot resolve {host} ({exc}): offline? Work is kept pending; "
                      f"run the command again when connected.") from exc
    return [str(info[4][0]) for info in infos]


class HostPolicy:
    """Only the configured hosts, and no private address unless a base URL names one directly."""

    def __init__(self, bases: tuple[str, ...], resolve: Callable[[str], list[str]] = resolve_host) -> None:
        self._allowed = {_host_port(httpx.URL(b)) for b in bases}
        # A base URL that is itself a private address (a local mirror, a test server) was chosen by
        # the user, so reaching it is intended; a public name resolving to one is not (DNS rebinding).
        self._explicit = {host for host, _ in self._allowed if _is_private_literal(host)}
        self._resolve = resolve
        self._resolved: dict[str, list[str]] = {}

    def check_allowed(self, url: str) -> None:
        """HostNotAllowed unless the URL is http(s) on one of the configured hosts."""
        parsed = httpx.URL(url)
        if parsed.scheme not in DEFAULT_PORTS or _host_port(parsed) not in self._allowed:
            hosts = ", ".join(sorted(f"{h}:{p}" for h, p in self._allowed))
            raise HostNotAllowed(f"{url}: readpath only fetches from the configured arXiv and GitHub hosts "
                                 f"({hosts}); change the base URL settings to use another host.")

    def check_address(self, url: str) -> None:
        """Offline when the host does not resolve; HostNotAllowed when it resolves to a private address."""
        host = httpx.URL(url).host
        if host in self._explicit:
            return
        if host not in self._resolved:
            self._resolved[host] = self._resolve(host)
        for address in self._resolved[host]:
            ip = ipaddress.ip_address(address.split("%")[0])
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
                raise HostNotAllowed(f"{url}: {host} resolves to the private address {ip}; readpath does not "
                                     f"fetch from private networks unless a base URL setting points there.")


def _host_port(url: httpx.URL) -> tuple[str, int]:
    return url.host, url.port or DEFAULT_PORTS.get(url.scheme, 0)


def _is_private_literal(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local

