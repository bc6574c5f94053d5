"""Who is on the other end of the socket, and whom a trusted proxy says it forwards.

uvicorn's own proxy-header handling replaces the socket's peer with the forwarded address
(and trusts 127.0.0.1 unless told otherwise), so a local client could pose as anyone, and
the peer, which single sign-on must check, would be lost. Here the peer is kept
(`state["peer"]`); only when it is one of `forwarded_allow_ips` are X-Forwarded-For (the
rightmost address that is not itself a trusted proxy) and X-Forwarded-Proto believed, and
the request's client becomes the forwarded address (`state["forwarded_for"]`)."""

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.types import ASGIApp, Receive, Scope, Send

Networks = list[IPv4Network | IPv6Network]


def within(address: str, networks: Networks) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:  # a unix socket's peer, or a name: never a trusted proxy
        return False
    return any(parsed in network for network in networks)


def forwarded_client(x_forwarded_for: str, proxies: Networks) -> str:
    """The first address from the right that is not a trusted proxy: the one the nearest
    trusted proxy saw (whatever the client wrote further left is the client's own claim)."""
    hops = [hop.strip() for hop in x_forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not within(hop, proxies):
            return hop
    return hops[0] if hops else ""


class ClientAddressMiddleware:
    def __init__(self, app: ASGIApp, forwarded_allow_ips: list[str]) -> None:
        self.app = app
        self.proxies: Networks = [ip_network(p, strict=False) for p in forwarded_allow_ips]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = (scope.get("client") or ("", 0))[0]
            state = scope.setdefault("state", {})
            state["peer"], state["forwarded_for"] = peer, ""
            if self.proxies and within(peer, self.proxies):
                headers = scope.get("headers", [])
                forwarded = ", ".join(v.decode("latin-1") for n, v in headers if n == b"x-forwarded-for")
                proto = next((v.decode("latin-1").strip() for n, v in headers if n == b"x-forwarded-proto"), "")
                if client := forwarded_client(forwarded, self.proxies)[:100]:
                    state["forwarded_for"] = client
                    scope["client"] = (client, 0)
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
