"""The server configuration keys, as Incus describes them (`GET /1.0/metadata/configuration`),
and the checks the dashboard makes before anything is sent.

The keys, their scope, type, default and description come from Incus itself, so a new Incus
brings its new keys with it. Checked here: each value against its type, and the rules Incus
documents for a few keys (`internal/server/cluster/config/config.go`), so a typo gets an
answer at once and in the form; Incus checks again and has the last word (its refusal is shown
as it wrote it).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from webui.incus.models import ConfigKey, ConfigMetadata

GLOBAL = "global"  # stored in the cluster database, the same on every member
LOCAL = "local"  # set on one member (`?target=`, like `incus config set --target`)

# Incus's expiry expressions: "3H", "1d 12H"; units S, M, H, d, w, m, y.
_EXPIRY = re.compile(r"^\s*\d+[SMHdwmy](\s+\d+[SMHdwmy])*\s*$")
# What Incus's validate.IsBool takes.
BOOLEANS = ("true", "false", "1", "0", "yes", "no", "on", "off")


def _integer(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _int_rule(check: Callable[[int], bool], rule: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        number = _integer(value)
        return "" if number is not None and check(number) else rule

    return validate


def _expiry(value: str) -> str:
    return "" if _EXPIRY.match(value) else "Must be like 3H or 1d 12H (units S, M, H, d, w, m, y)"


# Keys whose value is one of a few words (a choice, not a text box), as Incus validates them.
CHOICES: dict[str, tuple[str, ...]] = {
    "core.shutdown_action": ("shutdown", "evacuate"),  # server_shutdown_action (7.0): on daemon stop
}


def _one_of(key: str) -> Callable[[str], str]:
    words = CHOICES[key]
    return lambda value: "" if value in words else f"Must be {' or '.join(words)}"


# The extra rules Incus documents for some keys, beyond their type.
RULES: dict[str, Callable[[str], str]] = {
    "cluster.max_voters": _int_rule(lambda n: n >= 3 and n % 2 == 1, "Must be an odd number, at least 3"),
    "cluster.max_standby": _int_rule(lambda n: 0 <= n <= 5, "Must be between 0 and 5"),
    "cluster.offline_threshold": _int_rule(lambda n: n > 10, "Must be a number of seconds above 10"),
    "cluster.healing_threshold": _int_rule(lambda n: n >= 0, "Must be a number of seconds, 0 to turn healing off"),
    "cluster.images_minimal_replica": _int_rule(lambda n: n == -1 or n >= 1, "Must be -1 (every member) or at least 1"),
    "cluster.rebalance.interval": _int_rule(lambda n: n >= 0, "Must be a number of minutes, 0 to turn rebalancing off"),
    "cluster.rebalance.threshold": _int_rule(lambda n: 10 <= n <= 100, "Must be between 10 and 100"),
    "cluster.rebalance.batch": _int_rule(lambda n: n >= 1, "Must be at least 1"),
    "cluster.join_token_expiry": _expiry,
    "cluster.rebalance.cooldown": _expiry,
    "core.remote_token_expiry": _expiry,
    "core.shutdown_action": _one_of("core.shutdown_action"),
}

HEALING_WARNING = (
    "Incus deems a member offline when it answers neither heartbeats nor ICMP (ping), then the "
    "leader evacuates it by itself. Under partial connectivity (a member cut off from the leader "
    "but still running its instances) the same instance can end up running twice, which corrupts "
    "its data: make sure an offline member really is off, for instance with a fencing hook that "
    "cuts its power (BMC or PDU) on the cluster-member-healed event (settings healed_hook and "
    "healed_webhook). Only instances on shared (remote) storage without local devices are healed; "
    "the others stay down. A healed member is left evacuated and must be restored by hand."
)


def default(key: ConfigKey) -> str:
    """Incus's default as a value where it is one ("`3H`" → "3H"), else "" ("no expiry")."""
    text = key.default.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "`" else ""


def input_kind(key: ConfigKey) -> str:
    """The widget a key gets: a bool a choice, an integer a number, an expiry a duration."""
    if key.type == "bool":
        return "bool"
    if key.type == "integer":
        return "integer"
    if key.name in CHOICES:
        return "choice"
    return "duration" if RULES.get(key.name) is _expiry else "text"


def _type_problem(key: ConfigKey, value: str) -> str:
    if key.type == "bool" and value.strip().lower() not in BOOLEANS:
        return "Must be true or false"
    if key.type == "integer" and _integer(value) is None:
        return "Must be a whole number"
    return ""


def server_keys(metadata: ConfigMetadata | None, scope: str | None = None) -> list[ConfigKey]:
    keys = metadata.server if metadata else ()
    return [k for k in keys if scope is None or k.scope == scope]


def find(metadata: ConfigMetadata | None, name: str) -> ConfigKey | None:
    return next((k for k in (metadata.server if metadata else ()) if k.name == name), None)


@dataclass(frozen=True)
class KeyGroup:
    name: str
    keys: list[ConfigKey]


def grouped(keys: Iterable[ConfigKey], query: str = "") -> list[KeyGroup]:
    """Keys by Incus's group (acme, cluster, core...), those matching `query` (in the name or
    the description) only."""
    words = query.lower().split()
    groups: dict[str, list[ConfigKey]] = {}
    for key in keys:
        text = f"{key.name} {key.shortdesc} {key.longdesc}".lower()
        if all(word in text for word in words):
            groups.setdefault(key.group, []).append(key)
    return [KeyGroup(name, found) for name, found in groups.items()]


def invalid_config(metadata: ConfigMetadata | None, changes: Mapping[str, str], target: str = "") -> dict[str, str]:
    """Problems by key. An empty value unsets a key (back to its default) and is always fine.
    A key Incus does not describe is left for Incus to refuse in its own words."""
    problems = {}
    for name, value in changes.items():
        known = find(metadata, name)
        scope = known.scope if known else (LOCAL if name == "cluster.https_address" else GLOBAL)
        if target and scope == GLOBAL and (known or name in RULES):
            problems[name] = "A global key applies to every member: set it without a member"
        elif not value.strip():
            continue
        elif known and (problem := _type_problem(known, value)):
            problems[name] = problem
        elif name in RULES and (problem := RULES[name](value)):
            problems[name] = problem
    return problems


def enables_healing(current: Mapping[str, str], changes: Mapping[str, str]) -> bool:
    """Whether these changes turn healing on (it was off)."""
    before = _integer(str(current.get("cluster.healing_threshold", "0")) or "0") or 0
    after = _integer(changes.get("cluster.healing_threshold", str(before)) or "0") or 0
    return before == 0 and after > 0
