"""Jinja filters: formatting lives here, not in templates."""

import re
from datetime import UTC, datetime

from jinja2 import Environment
from markupsafe import Markup, escape

from webui.identity import NO_ROLE, Grants


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def datetime_(value: datetime | None) -> str:
    """A stored time (UTC) as people read it in a log."""
    return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC" if value else ""


def size(value: int | float | None) -> str:
    """Bytes the way the incus CLI prints them (binary units, two decimals): 1.50GiB."""
    if value is None:
        return ""
    number = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(number) < 1024 or unit == "PiB":
            return f"{int(number)}{unit}" if unit == "B" else f"{number:.2f}{unit}"
        number /= 1024
    return ""  # unreachable


def duration(seconds: int | float | None) -> str:
    """Uptime as `3d 4h 5m 6s`, largest unit first, zero units left out."""
    if seconds is None:
        return ""
    left = int(seconds)
    parts = []
    for unit, span in (("d", 86400), ("h", 3600), ("m", 60)):
        if left >= span:
            parts.append(f"{left // span}{unit}")
            left %= span
    if left or not parts:
        parts.append(f"{left}s")
    return " ".join(parts)


def percent(used: int | float, total: int | float) -> int:
    return round(100 * used / total) if total else 0


def status_class(status: str) -> str:
    """CSS class of a member status: a colour always comes with the status text."""
    return "status-" + (status or "unknown").lower().replace(" ", "-")


# A member status by icon as well as colour and word (a wall display is read from afar).
STATUS_ICONS = {"online": "✔", "offline": "✖", "blocked": "⊘", "evacuated": "⇥", "evacuating": "⇥", "restoring": "↺"}


def status_icon(status: str) -> str:
    return STATUS_ICONS.get((status or "").lower(), "?")


# How bad a member's state is, for the wall display: a new problem blinks once and may sound
# the severity's tone (noc.js). Any other status than Online is at least a warning.
CRITICAL_STATUSES = {"offline"}


def severity(status: str, healed: bool = False) -> str:
    """"critical", "warning" or "" (nothing wrong)."""
    word = (status or "").lower()
    if healed or word in CRITICAL_STATUSES:
        return "critical"
    return "" if word == "online" else "warning"


# The wall's grid: tiles of this width to height, on a screen area of this ratio (16:9 less
# the header). The columns giving the largest such tile win; more rows than columns is fine.
TILE_ASPECT = 1.8
SCREEN_ASPECT = 2.04
MAX_COLUMNS = 12  # noc.css has a rule per column count up to here


def noc_columns(count: int) -> int:
    """Columns for `count` tiles so that they fill a 16:9 wall without scrolling: 64 -> 8."""
    best, best_scale = 1, 0.0
    for columns in range(1, min(max(count, 1), MAX_COLUMNS) + 1):
        rows = -(-count // columns)
        scale = min(SCREEN_ASPECT / columns / TILE_ASPECT, 1 / max(rows, 1))
        if scale > best_scale + 1e-9:
            best, best_scale = columns, scale
    return best


def age_seconds(value: datetime | None) -> int:
    """Seconds since `value`, when rendered; -1 for never (the browser counts on from there)."""
    return int((datetime.now(UTC) - value).total_seconds()) if value else -1


# Incus's progress stages (`progress.stage`), as the incus CLI words them.
STAGES = {
    "create_instance_from_image_unpack": "Unpacking image",
    "fs_progress": "Transferring files",
    "migrate_instance": "Migrating instance",
    "image_download": "Downloading image",
    "create_image_from_container_pack": "Packing image",
}


def stage(value: str | None) -> str:
    """A progress stage in words: `create_instance_from_image_unpack` -> Unpacking image."""
    if not value:
        return ""
    return STAGES.get(value, value.replace("_", " ").capitalize())


def rate(value: int | str | None) -> str:
    """Bytes per second as people read a transfer rate: 29.55 MB/s (decimal, like the CLI)."""
    try:
        number = float(value) if value is not None and value != "" else None
    except ValueError:
        return ""
    if number is None:
        return ""
    for unit in ("B/s", "kB/s", "MB/s", "GB/s"):
        if number < 1000 or unit == "GB/s":
            return f"{number:.0f} {unit}" if unit == "B/s" else f"{number:.2f} {unit}"
        number /= 1000
    return ""  # unreachable


def frequency(mhz: int | float | None) -> str:
    """A clock frequency Incus gives in MHz, as people read it: 3.50 GHz (800 MHz below 1 GHz)."""
    if not mhz:
        return ""
    return f"{mhz / 1000:.2f} GHz" if mhz >= 1000 else f"{mhz:.0f} MHz"


def link_speed(mbits: int | float | None) -> str:
    """A link's speed Incus gives in Mbit/s: 10 Gbit/s, 2.5 Gbit/s, 100 Mbit/s."""
    if not mbits:
        return ""
    return f"{mbits / 1000:g} Gbit/s" if mbits >= 1000 else f"{mbits:g} Mbit/s"


def plural(count: int, word: str) -> str:
    """`1 CPU`, `4 CPUs`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def clock(epoch: float, date: bool = False) -> str:
    """A sample's time (seconds since the epoch) as people read it: `14:05:10 UTC`, or with
    `date`, `2026-12-01 14:05 UTC` (a day's chart spans midnight)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC" if date else "%H:%M:%S UTC")


def load(value: float) -> str:
    """A load average as `uptime` prints it: two decimals."""
    return f"{value:.2f}"


def fields(value: object) -> str:
    """An audit record's parameters as people read them: `mode: stop; roles: event-hub, ovn-chassis`
    (never the JSON the record keeps, which the export still gives)."""
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_nested(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_nested(item) for item in value)
    return "none" if value is None else str(value)


def _nested(value: object) -> str:
    return f"({fields(value)})" if isinstance(value, dict) and value else fields(value)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHORT = Markup('<abbr class="operation-id" title="{}">{}</abbr>')


def short_ids(value: str) -> Markup:
    """Text with each Incus UUID in it (an operation's, a warning's) shortened as `incus
    operation list` does: the first eight digits, the whole in a tooltip. An audit record's
    target is one, or a refused request's path holding one."""
    parts, last = [], 0
    for found in _UUID.finditer(value):
        parts += [escape(value[last : found.start()]), _SHORT.format(found.group(), found.group()[:8])]
        last = found.end()
    return Markup("").join([*parts, escape(value[last:])])


def roles(grants: Grants) -> str:
    """An account's roles in words: "operator", "admin in staging, auditor elsewhere"."""
    def words(role: str) -> str:
        return "no access" if role == NO_ROLE else role

    own = [f"{words(role)} in {cluster}" for cluster, role in grants.clusters]
    return ", ".join([*own, f"{words(grants.everywhere)} elsewhere"]) if own else words(grants.everywhere)


def register(env: Environment) -> None:
    env.filters.update(iso=iso, datetime=datetime_, size=size, duration=duration, status_class=status_class)
    env.filters.update(status_icon=status_icon, age_seconds=age_seconds, stage=stage, rate=rate)
    env.filters.update(plural=plural, clock=clock, load=load, fields=fields)
    env.filters.update(frequency=frequency, link_speed=link_speed)
    env.globals.update(percent=percent, severity=severity, noc_columns=noc_columns)
    env.filters["short_ids"] = short_ids
    env.filters["roles"] = roles
