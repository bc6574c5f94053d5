"""The server configuration form: every key Incus describes, global keys once and local keys
once per member, and saving what changed (global keys in one request, local keys in one per
member with `?target=`, like `incus config set --target`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from webui.identity import Actor
from webui.incus.models import ConfigKey
from webui.live.snapshot import ClusterSnapshot
from webui.services.configuration import server
from webui.services.configuration.keys import LOCAL, KeyGroup, enables_healing, grouped, server_keys
from webui.services.configuration.secrets import Secrets
from webui.services.context import Context
from webui.services.errors import SERVICE_ERRORS

SEPARATOR = "@"  # a local key's field is "KEY@MEMBER"


def field_name(key: str, member: str = "") -> str:
    return f"{key}{SEPARATOR}{member}" if member else key


def current_values(snapshot: ClusterSnapshot) -> dict[str, str]:
    """Every field's value in force: global keys from the member in use, local keys from
    each member's own `/1.0?target=`."""
    values = {k: str(v) for k, v in (snapshot.server.config if snapshot.server else {}).items()}
    locals_ = [k.name for k in server_keys(snapshot.metadata, LOCAL)]
    for member, found in snapshot.servers.items():
        for name in locals_:
            values[field_name(name, member)] = str(found.config.get(name, ""))
    return values


@dataclass
class ConfigForm:
    """What the form shows: the keys by group, the values in force, and after a save what was
    typed, the problems by field, and what Incus accepted."""

    groups: list[KeyGroup]
    members: list[str]
    current: dict[str, str]
    query: str = ""
    typed: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    error: str = ""
    saved: list[str] = field(default_factory=list)


def form(snapshot: ClusterSnapshot, query: str = "") -> ConfigForm:
    return ConfigForm(
        groups=grouped(server_keys(snapshot.metadata), query),
        members=[m.server_name for m in snapshot.members],
        current=current_values(snapshot),
        query=query,
    )


def secret_fields(secrets: Secrets, groups: list[KeyGroup], members: list[str]) -> set[str]:
    return {
        field_name(k.name, m)
        for g in groups
        for k in g.keys
        if secrets.is_secret(k.name)
        for m in (members if k.scope == LOCAL else [""])
    }


def _fields(keys: list[ConfigKey], members: list[str]) -> dict[str, tuple[str, str]]:
    """Each field of the form: (key, member or "" for a global key)."""
    found = {}
    for key in keys:
        for member in members if key.scope == LOCAL else [""]:
            found[field_name(key.name, member)] = (key.name, member)
    return found


async def save(ctx: Context, who: Actor, submitted: Mapping[str, str], healing_ack: bool) -> ConfigForm:
    """Send the fields that changed; a field the form did not send is left alone (an empty
    one unsets its key). Returns the form to show again, with what was typed."""
    snapshot = ctx.hub.snapshot
    shown = form(snapshot)
    fields = _fields(server_keys(snapshot.metadata), shown.members)
    typed = {name: value.strip() for name, value in submitted.items() if name in fields}
    changed = {name: value for name, value in typed.items() if value != shown.current.get(name, "")}
    shown.typed = typed
    if not changed:
        shown.error = "Nothing to save: every value is as it was."
        return shown
    if enables_healing(shown.current, changed) and not healing_ack:
        shown.problems = {"cluster.healing_threshold": "Read the warning and tick the box to enable healing"}
        shown.error = "Healing is not enabled until you confirm you understand its risk."
        return shown
    by_target: dict[str, dict[str, str]] = {}
    for name, value in changed.items():
        key, member = fields[name]
        by_target.setdefault(member, {})[key] = value
    for member, changes in by_target.items():  # "" (the global keys) first: dicts keep order
        try:
            await server.update_config(ctx, who, changes, member)
        except server.ConfigRefused as exc:
            shown.problems |= {field_name(k, member): p for k, p in exc.problems.items()}
            # Said again beside the Save button, far below the fields on a long form: name them.
            reasons = "; ".join(f"{name}: {problem}" for name, problem in sorted(shown.problems.items()))
            shown.error = f"Nothing was sent to Incus. {reasons}."
        except SERVICE_ERRORS as exc:
            # Incus's words, beside the field it names and beside Save.
            named = [field_name(k, member) for k in changes if k in exc.message]
            shown.problems |= {name: exc.message for name in named}
            shown.error = exc.message if not named else f"Incus refused {', '.join(named)}: {exc.message}"
        else:
            shown.saved += [field_name(k, member) for k in changes]
    # What Incus accepted is shown as now in force (the snapshot may not have read it back
    # yet); what it refused keeps what was typed.
    accepted = {name: typed[name] for name in shown.saved}
    shown.current = {**current_values(ctx.hub.snapshot), **accepted}
    shown.typed = {name: value for name, value in typed.items() if name not in shown.saved}
    return shown
