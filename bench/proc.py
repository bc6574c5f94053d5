"""What a process costs, read from /proc: CPU seconds, RSS, open fds, bytes written."""

import os
import resource
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu: float  # user + system seconds since the process started
    rss: int  # bytes
    fds: int
    written: int  # bytes passed to write()/send(), sockets included (wchar)


def usage(pid: int) -> Usage:
    proc = Path(f"/proc/{pid}")
    stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    rss = next(
        int(line.split()[1]) * 1024 for line in (proc / "status").read_text().splitlines() if line.startswith("VmRSS:")
    )
    written = next(int(line.split()[1]) for line in (proc / "io").read_text().splitlines() if line.startswith("wchar:"))
    return Usage(
        cpu=(int(stat[11]) + int(stat[12])) / TICKS,
        rss=rss,
        fds=len(os.listdir(proc / "fd")),
        written=written,
    )


def tree(pid: int) -> list[int]:
    """`pid` and its child processes (a dashboard with `workers` > 1 serves from its children)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def usage_of_tree(pid: int) -> Usage:
    """The usage of `pid` and its children, summed."""
    parts = [usage(p) for p in tree(pid)]
    return Usage(
        cpu=sum(u.cpu for u in parts),
        rss=sum(u.rss for u in parts),
        fds=sum(u.fds for u in parts),
        written=sum(u.written for u in parts),
    )


def raise_nofile() -> None:
    """1,000 streams need more than the usual 1,024 descriptors."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"
