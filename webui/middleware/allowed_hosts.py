"""The Host header checked before routing: a name the dashboard was not told it answers to is
refused with 400.

A page of another site whose name was made to resolve to this dashboard (DNS rebinding) would
otherwise be same-origin with it in the victim's browser. Such a request always carries that
site's name, so an address (127.0.0.1:8000, [::1], 10.0.0.5) is always accepted: no other
site's page can be served from it. Names: `localhost`, the `host` setting, `public_url`'s, those
in `allowed_hosts` (".example.com" for a domain and its subdomains, "*" for any); and, while
`allowed_hosts` is empty, this machine's own names, so a fresh install answers by them as well."""

import socket
from ipaddress import ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

from webui.middleware._http import header, refuse
from webui.settings import Settings


def host_name(host: str) -> str:
    """The name or address in a Host header, without its port, brackets or final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")


def is_address(name: str) -> bool:
    try:
        ip_address(name)
    except ValueError:
        return False
    return True


def accepted_names(settings: Settings) -> tuple[set[str], tuple[str, ...], bool]:
    """(names, domains whose subdomains are accepted too, any name accepted)."""
    entries = [entry.strip().lower().rstrip(".") for entry in settings.allowed_hosts]
    names = {"localhost", host_name(settings.host)}
    if settings.public_url:
        names.add(host_name(settings.public_url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]))
    if not entries:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    names |= {entry for entry in entries if entry and not entry.startswith(".")}
    domains = tuple(entry for entry in entries if entry.startswith("."))
    return names, (*domains, ".localhost"), "*" in entries


class AllowedHostsMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.names, self.domains, self.anything = accepted_names(settings)

    def allows(self, host: str) -> bool:
        name = host_name(host)
        if self.anything or not host or is_address(name) or name in self.names:
            return True
        return any(name.endswith(domain) or name == domain[1:] for domain in self.domains)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = header(scope, b"host")
        if not self.allows(host):
            shown = host[:100]
            await refuse(scope, send, 400, f"Refused: this dashboard does not answer to {shown!r} (allowed_hosts)")
            return
        await self.app(scope, receive, send)
