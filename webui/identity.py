"""Who acts, and from where: what the request layer learns and the audit log and services record.

Its own module so that auth (which finds the identity) and audit (which records it) both
depend on it, not on each other."""

from collections.abc import Iterable
from dataclasses import dataclass, replace

DISPLAY = "display"  # the role of a NOC wall display's token: the NOC view and its stream only
NO_ROLE = "none"  # stored where an account may do nothing: so one can be admin of staging only
# What a stream was opened with, e.g. ("session", token hash, str(its Grants)): checked every
# heartbeat (webui/auth/store.py: ended), so a stream ends when a role of the account changes
# (one stream may carry several clusters' news: the wall's, the overview's).
Credential = tuple[str, str, str]


@dataclass(frozen=True)
class Grants:
    """An account's roles: `everywhere` in each cluster without one of its own in `clusters`."""

    everywhere: str
    clusters: tuple[tuple[str, str], ...] = ()  # (cluster, role), by cluster name

    def __post_init__(self) -> None:
        # One spelling whatever order the rows came in: a stream's credential compares it.
        object.__setattr__(self, "clusters", tuple(sorted(self.clusters)))

    @classmethod
    def of_display(cls, clusters: Iterable[str]) -> "Grants":
        """A wall display's: the wall in the clusters it was made for (every one, for none)."""
        made_for = tuple(clusters)
        return cls(NO_ROLE, tuple((name, DISPLAY) for name in made_for)) if made_for else cls(DISPLAY)

    def role_in(self, cluster: str) -> str:
        """The role in `cluster` ("" for none)."""
        role = dict(self.clusters).get(cluster, self.everywhere)
        return "" if role == NO_ROLE else role

    def roles(self) -> set[str]:
        """Every role held somewhere ("" where none)."""
        return {self.role_in(cluster) for cluster in ("", *dict(self.clusters))}

    def __str__(self) -> str:
        """For people and the audit log: "auditor; staging: admin, lab: none"."""
        own = ", ".join(f"{cluster}: {role}" for cluster, role in self.clusters)
        return f"{self.everywhere}; {own}" if own else self.everywhere


@dataclass(frozen=True)
class Identity:
    """Who a request acts as; `via` says how they proved it. `role` is its role in the cluster
    the request is about (at()); `grants` its roles in every cluster (None: `role` in all)."""

    name: str
    role: str
    via: str  # session, token N, sso, display
    grants: Grants | None = None

    @property
    def is_display(self) -> bool:
        """A wall display's token, in any cluster (in one it was not made for, its role is "")."""
        return self.via == DISPLAY

    @property
    def roles(self) -> Grants:
        return self.grants or Grants(self.role)

    def at(self, cluster: str) -> "Identity":
        """The identity as a request about `cluster` sees it: with its role there."""
        return replace(self, role=self.roles.role_in(cluster))


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
