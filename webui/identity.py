"""Who acts, and from where: what the request layer learns and the audit log and services record.

Its own module so that auth (which finds the identity) and audit (which records it) both
depend on it, not on each other."""

from dataclasses import dataclass

DISPLAY = "display"  # the role of a NOC wall display's token: the NOC view and its stream only


@dataclass(frozen=True)
class Identity:
    """Who a request acts as; `via` says how they proved it."""

    name: str
    role: str
    via: str  # session, token N, sso, display
    clusters: tuple[str, ...] = ()  # the clusters a wall display shows; () for all

    @property
    def is_display(self) -> bool:
        return self.role == DISPLAY

    def sees(self, cluster: str) -> bool:
        """Whether this may see `cluster` at all: a display made for some clusters sees no other."""
        return not self.clusters or cluster in self.clusters


@dataclass(frozen=True)
class Actor:
    """Who acts, from where: the identity plus what the request says of its origin."""

    identity: Identity | None
    source_address: str = ""  # the socket's peer: the only address nobody can claim
    user_agent: str = ""
    forwarded_for: str = ""  # the client a trusted proxy named (forwarded_allow_ips), if any

    @property
    def client_address(self) -> str:
        """The client as best known: the forwarded address behind a trusted proxy, else the peer."""
        return self.forwarded_for or self.source_address

    @property
    def role(self) -> str:
        return self.identity.role if self.identity else ""

    def fields(self) -> dict[str, str]:
        return {
            "actor": self.identity.name if self.identity else "",
            "role": self.identity.role if self.identity else "",
            "via": self.identity.via if self.identity else "",
            "source_address": self.source_address,
            "forwarded_for": self.forwarded_for,
            "user_agent": self.user_agent,
        }


def request_actor(state: dict[str, object], client: tuple[str, int] | None, user_agent: str) -> Actor:
    """The Actor of a request, from its ASGI state (webui/middleware/client_address.py keeps
    the socket's peer there) and client."""
    identity = state.get("identity")
    peer = state.get("peer", client[0] if client else "")
    return Actor(
        identity if isinstance(identity, Identity) else None,
        str(peer),
        user_agent,
        str(state.get("forwarded_for", "")),
    )
