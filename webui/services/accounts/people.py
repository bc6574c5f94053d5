"""Who asked Incus for something, in words a person reads: a dashboard account, "incus CLI
(unix socket) on member2", "certificate ceo-laptop (fingerprint 106c91db) from 10.0.0.7".

Incus names a requestor by username, protocol and address (`CreateRequestor` in Incus's
internal/server/request/request.go): over the unix socket the unix user (or "uid=N") and "@";
over TLS the client certificate's SHA-256 fingerprint and the client's address; "cluster" is a
member's own server certificate, for what members ask each other. A request forwarded between
members keeps its first requestor, but not which member it reached first: Incus forwards an
evacuation to the member evacuated, so its location is that member whichever socket the CLI
used. The trust store (`GET /1.0/certificates`) names the certificates.

The raw identity stays beside the words, in Incus's own spelling (`tls/<fingerprint>
(address)`, as incusd logs a requestor): for the tooltip, the database and the exports."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from webui.incus.models import Requestor
from webui.live.snapshot import ClusterSnapshot
from webui.models import ClusterEvent
from webui.services.maintenance.runs import MaintenanceRun

# Fingerprint characters shown: enough to tell certificates apart, short enough to read.
SHORT = 8
ROOT = "root"
# How incusd logs a requestor: "protocol/username (address)".
_LOGGED = re.compile(r"(?P<protocol>[a-z]*)/(?P<username>[^ ]*) \((?P<address>[^)]*)\)")
# What this dashboard stored before it kept Incus's spelling: "106c91db127c tls 127.0.0.1".
_LEGACY = re.compile(r"(?P<username>[^ ]+) (?P<protocol>unix|tls|oidc|cluster)(?: (?P<address>[^ ]+))?")


@dataclass(frozen=True)
class Who:
    """Someone who asked for something: `words` for people, `raw` for the tooltip."""

    words: str
    raw: str = ""


def spelled(requestor: Requestor) -> str:
    """Incus's requestor as incusd logs it ("unix/root (@)"); "" when nobody asked."""
    if not (requestor.username or requestor.protocol or requestor.address):
        return ""
    return f"{requestor.protocol}/{requestor.username} ({requestor.address})"


def parsed(text: str) -> Requestor | None:
    """The requestor `spelled` wrote (or this dashboard's older spelling); None for anything
    else, such as a dashboard account stored by an older version."""
    found = _LOGGED.fullmatch(text) or _LEGACY.fullmatch(text)
    return Requestor.model_validate({k: v or "" for k, v in found.groupdict().items()}) if found else None


def _certificate(fingerprint: str, trust: Mapping[str, str]) -> str:
    """The trust store's name of a certificate; a shortened fingerprint (an older row's)
    matches the one it starts."""
    if name := trust.get(fingerprint):
        return name
    if fingerprint:
        return next((name for full, name in trust.items() if full.startswith(fingerprint)), "")
    return ""


def describe(requestor: Requestor, trust: Mapping[str, str], addresses: Mapping[str, str], location: str = "") -> str:
    """The requestor in words. `trust`: certificate names by fingerprint; `addresses`: member
    names by address; `location`: the member that handled the request."""
    user, protocol, address = requestor.username, requestor.protocol, requestor.address
    if not (user or protocol or address):
        return "Incus itself"  # its own tasks: healing, rebalancing
    source = addresses.get(address, address)
    origin = f" from {source}" if source and source != "@" else ""
    if protocol == "unix":
        who = "incus CLI" if user in ("", ROOT) else f"incus CLI as {user}"
        return f"{who} (unix socket)" + (f" on {location}" if location else "")
    if protocol in ("tls", "cluster"):
        name = _certificate(user, trust)
        if protocol == "cluster":
            return f"cluster member {name}" if name else f"a cluster member (fingerprint {user[:SHORT]})"
        certificate = f"certificate {name}" if name else "a certificate not in the trust store"
        return f"{certificate} (fingerprint {user[:SHORT]}){origin}"
    if protocol == "oidc":
        return f"OIDC user {user}{origin}"
    return f"{user} ({protocol}){origin}"


def who(
    raw: str, trust: Mapping[str, str], addresses: Mapping[str, str], location: str = "", account: str = ""
) -> Who:
    """Who asked, from what was stored: the dashboard account when it was this dashboard
    (its own certificate is not who asked), else Incus's requestor in words."""
    if account:
        return Who(account, raw)
    if (requestor := parsed(raw)) is None:
        return Who(raw, raw)  # neither Incus's spelling nor an account: shown as it is
    return Who(describe(requestor, trust, addresses, location), raw)


def asked_by(run: MaintenanceRun, snapshot: ClusterSnapshot) -> Who:
    """Who asked for an evacuation or restore. Incus handles it on the member it concerns."""
    return who(run.requestor, snapshot.trust_store, snapshot.member_addresses, run.member, run.account)


def requested_by(event: ClusterEvent, snapshot: ClusterSnapshot) -> Who:
    """Who asked for a change the cluster history kept."""
    requestor = Requestor(
        username=event.requestor_username, protocol=event.requestor_protocol, address=event.requestor_address
    )
    return who(spelled(requestor), snapshot.trust_store, snapshot.member_addresses, event.location)


def acted(actor: str, via: str, source_address: str) -> Who:
    """Who an audit record names: a dashboard account as it is, a wall display or this
    dashboard's command line said so; the raw fields in the tooltip (and the exports)."""
    raw = " · ".join(filter(None, (actor, via, source_address)))
    if not actor:
        return Who("nobody signed in", raw)
    if via == "display":
        return Who(f"NOC display {actor.removeprefix('display:')}", raw)
    if via == "cli":
        return Who(f"{actor} (incus-webui command line)", raw)
    return Who(actor, raw)
