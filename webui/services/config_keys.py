"""Server configuration keys the dashboard edits: their defaults, scope and rules.

Checked here before anything is sent, so a typo gets an answer at once and in the form; Incus
checks again and has the last word (its refusal is shown as it wrote it). The rules are those
of `internal/server/cluster/config/config.go` in Incus.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

GLOBAL = "global"  # stored in the cluster database, the same on every member
LOCAL = "local"  # set on one member (`?target=`, like `incus config set --target`)

# Incus's expiry expressions: "3H", "1d 12H"; units S, M, H, d, w, m, y.
_EXPIRY = re.compile(r"^\s*\d+[SMHdwmy](\s+\d+[SMHdwmy])*\s*$")


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


def _address(value: str) -> str:
    return "" if re.fullmatch(r"\S+:\d+", value.strip()) else "Must be HOST:PORT"


@dataclass(frozen=True)
class Key:
    name: str
    default: str
    scope: str
    help: str
    validate: Callable[[str], str]
    extension: str = ""  # the API extension the key needs; "" when every clustered Incus has it


KEYS: tuple[Key, ...] = (
    Key("cluster.max_voters", "3", GLOBAL, "Database voters (raft). Odd, at least 3.",
        _int_rule(lambda n: n >= 3 and n % 2 == 1, "Must be an odd number, at least 3")),
    Key("cluster.max_standby", "2", GLOBAL, "Database stand-bys, ready to become voters.",
        _int_rule(lambda n: 0 <= n <= 5, "Must be between 0 and 5")),
    Key("cluster.offline_threshold", "20", GLOBAL, "Seconds without a heartbeat before a member is Offline.",
        _int_rule(lambda n: n > 10, "Must be a number of seconds above 10")),
    Key("cluster.healing_threshold", "0", GLOBAL,
        "Seconds offline before the leader evacuates a member by itself; 0 turns healing off.",
        _int_rule(lambda n: n >= 0, "Must be a number of seconds, 0 to turn healing off"), "cluster_healing"),
    Key("cluster.join_token_expiry", "3H", GLOBAL, "How long a join token stays valid.", _expiry),
    Key("cluster.images_minimal_replica", "3", GLOBAL, "Members holding a copy of each image; -1 for all.",
        _int_rule(lambda n: n == -1 or n >= 1, "Must be -1 (every member) or at least 1")),
    Key("cluster.rebalance.interval", "0", GLOBAL, "Minutes between rebalancing runs; 0 turns it off.",
        _int_rule(lambda n: n >= 0, "Must be a number of minutes, 0 to turn rebalancing off"), "cluster_rebalance"),
    Key("cluster.rebalance.threshold", "20", GLOBAL, "Load difference (%) between members that starts a move.",
        _int_rule(lambda n: 10 <= n <= 100, "Must be between 10 and 100"), "cluster_rebalance"),
    Key("cluster.rebalance.batch", "1", GLOBAL, "Instances moved per run.",
        _int_rule(lambda n: n >= 1, "Must be at least 1"), "cluster_rebalance"),
    Key("cluster.rebalance.cooldown", "6H", GLOBAL, "How long a moved instance stays put.", _expiry,
        "cluster_rebalance"),
    Key("cluster.https_address", "", LOCAL, "Address this member uses for cluster traffic.", _address),
)

HEALING_WARNING = (
    "Incus deems a member offline when it answers neither heartbeats nor ICMP (ping), then the "
    "leader evacuates it by itself. Under partial connectivity (a member cut off from the leader "
    "but still running its instances) the same instance can end up running twice, which corrupts "
    "its data: make sure an offline member really is off, for instance with a fencing hook that "
    "cuts its power (BMC or PDU) on the cluster-member-healed event (settings healed_hook and "
    "healed_webhook). Only instances on shared (remote) storage without local devices are healed; "
    "the others stay down. A healed member is left evacuated and must be restored by hand."
)


def visible_keys(extensions: Iterable[str], scope: str | None = None) -> list[Key]:
    """The keys this cluster supports (by API extension name), of one scope or both."""
    available = set(extensions)
    return [
        k for k in KEYS if (not k.extension or k.extension in available) and (scope is None or k.scope == scope)
    ]


def key(name: str) -> Key | None:
    return next((k for k in KEYS if k.name == name), None)


def invalid_config(changes: Mapping[str, str], target: str = "") -> dict[str, str]:
    """Problems by key, for the keys the dashboard knows (Incus checks the others). An empty
    value unsets a key (back to its default) and is always fine."""
    problems = {}
    for name, value in changes.items():
        known = key(name)
        if known is None:
            continue
        if target and known.scope == GLOBAL:
            problems[name] = "A global key applies to every member: set it without a member"
        elif value.strip() and (problem := known.validate(value)):
            problems[name] = problem
    return problems


def enables_healing(current: Mapping[str, str], changes: Mapping[str, str]) -> bool:
    """Whether these changes turn healing on (it was off)."""
    before = _integer(str(current.get("cluster.healing_threshold", "0")) or "0") or 0
    after = _integer(changes.get("cluster.healing_threshold", str(before)) or "0") or 0
    return before == 0 and after > 0
