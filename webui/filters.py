"""Jinja filters: formatting lives here, not in templates."""

from datetime import UTC, datetime

from jinja2 import Environment


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
STATUS_ICONS = {"online": "✔", "offline": "✖", "blocked": "⛔", "evacuated": "⇥", "evacuating": "⇥", "restoring": "↺"}


def status_icon(status: str) -> str:
    return STATUS_ICONS.get((status or "").lower(), "?")


def age_seconds(value: datetime | None) -> int:
    """Seconds since `value`, when rendered; -1 for never (the browser counts on from there)."""
    return int((datetime.now(UTC) - value).total_seconds()) if value else -1


def register(env: Environment) -> None:
    env.filters.update(iso=iso, datetime=datetime_, size=size, duration=duration, status_class=status_class)
    env.filters.update(status_icon=status_icon, age_seconds=age_seconds)
    env.globals.update(percent=percent)
