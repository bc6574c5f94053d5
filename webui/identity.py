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

    @property
    def is_display(self) -> bool:
        return self.role == DISPLAY


@dataclass(frozen=True)
class Actor:
    """Who acts, from where: the identity plus what the request says of its origin."""

    identity: Identity | None
    source_address: str = ""
    user_agent: str = ""

    @property
    def role(self) -> str:
        return self.identity.role if self.identity else ""

    def fields(self) -> dict[str, str]:
        return {
            "actor": self.identity.name if self.identity else "",
            "role": self.identity.role if self.identity else "",
            "via": self.identity.via if self.identity else "",
            "source_address": self.source_address,
            "user_agent": self.user_agent,
        }
