"""The score Incus's rebalancing gives each member, computed as Incus computes it, quirks and
all. Incus 6.0.4 and 7.x alike, `cmd/incusd/api_cluster_rebalance.go`:

- `calculateServersScore`: from the member's `/1.0/resources`: `memory.used`, `memory.total`,
  `load.Average1Min` (Incus sends that key with its Go name) and `cpu.total` (threads).
- `calculateScore`: `uint8(used * 100 / total)` for memory, `uint8(load * 100 / threads)` for
  the CPU, then `(memory + cpu) / 2` in uint8. Go converts a float64 to uint8 through int32
  (`cmd/compile/internal/ssagen`, `fpConvOpToSSA`): a load of 2.76 per thread (276 %) reads 20,
  and the sum wraps past 255. Out of int32's range, an x86_64 leader reads 0 (CVTTSD2SL gives
  0x80000000), an aarch64 one 255 (FCVTZS saturates).
- `clusterRebalanceServers`: an instance's weight is `instance.ResourceUsage` (its limits.cpu
  and limits.memory, 1 CPU and 1 GiB for a VM without them), added to the target with the two
  swapped (`MemoryUsage: uint64(cpuUsage), CPUUsage: float64(memUsage)`): its memory counts as
  load, its CPUs as bytes.
"""

import math
from dataclasses import dataclass
from typing import Any

INT32 = 2**31
SATURATING = ("aarch64", "arm64")  # FCVTZS: out of range saturates; x86_64's CVTTSD2SL does not
VM_CPUS = 1  # qemudefault.CPUCores
VM_MEMORY = "1GiB"  # qemudefault.MemSize
BYTE_SUFFIXES = {
    "": 1, "B": 1, " bytes": 1,
    "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15, "EB": 10**18,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50, "EiB": 2**60,
}


@dataclass(frozen=True)
class Figures:
    """What Incus reads of one member's resources to score it."""

    member: str
    architecture: str
    memory_used: int
    memory_total: int
    load: float  # 1-minute load average
    threads: int  # cpu.total

    @classmethod
    def from_resources(cls, member: str, data: dict[str, Any]) -> "Figures":
        cpu, memory, load = data.get("cpu") or {}, data.get("memory") or {}, data.get("load") or {}
        return cls(
            member=member,
            architecture=str(cpu.get("architecture", "")),
            memory_used=int(memory.get("used", 0)),
            memory_total=int(memory.get("total", 0)),
            load=float(load.get("Average1Min", 0.0)),
            threads=int(cpu.get("total", 0)),
        )


def go_uint8(value: float, leader_architecture: str = "x86_64") -> int:
    """Go's `uint8(value)` for a float64, on the leader's architecture."""
    if math.isnan(value):
        return 0
    if not -INT32 <= value < INT32:
        return 255 if leader_architecture in SATURATING and value > 0 else 0
    return math.trunc(value) & 0xFF


@dataclass(frozen=True)
class Score:
    memory: int  # memory part, as Incus reads it (0-255)
    cpu: int  # CPU part
    total: int  # the score
    # A part past 255, or their sum: Go kept the low byte, and the score is not the mean.
    wrapped: bool = False
    memory_percent: float = 0.0  # the parts before Go cut them to a byte
    cpu_percent: float = 0.0


def score(
    memory_used: float, memory_total: float, load: float, threads: float, leader_architecture: str = "x86_64"
) -> Score:
    """`calculateScore`, with the figures already summed (a member's, plus what a move adds)."""
    memory_raw = memory_used * 100 / memory_total if memory_total else math.inf * memory_used
    cpu_raw = load * 100 / threads if threads else math.inf * load
    memory, cpu = go_uint8(memory_raw, leader_architecture), go_uint8(cpu_raw, leader_architecture)
    wrapped = not (memory_raw < 256 and cpu_raw < 256) or memory + cpu > 255
    return Score(memory, cpu, ((memory + cpu) & 0xFF) // 2, wrapped, memory_raw, cpu_raw)


def member_score(figures: Figures, leader_architecture: str = "x86_64") -> Score:
    return score(figures.memory_used, figures.memory_total, figures.load, figures.threads, leader_architecture)


def unevenness(busiest: int, idlest: int) -> int:
    """`percentageChange`: how much less the idlest member scores, in percent of the busiest."""
    return math.trunc(((busiest - idlest) & 0xFF) / busiest * 100) if busiest else 0


def byte_size(text: str) -> int:
    """`units.ParseByteSizeString`: "1GiB", "512MB", "1073741824"; ValueError otherwise."""
    digits = len(text) - len(text.lstrip("0123456789"))
    value, suffix = text[:digits], text[digits:]
    if not text or not value or suffix not in BYTE_SUFFIXES:
        raise ValueError(f"Invalid value: {text}")
    return int(value) * BYTE_SUFFIXES[suffix]


def cpu_count(text: str) -> int:
    """limits.cpu as `ResourceUsage` counts it: a number of CPUs, or the CPUs of a set ("0-3,6")."""
    if text.isdigit():
        return int(text)
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ValueError(f"Invalid cpuset value: {text}")
        cpus.update(range(int(first), int(last or first) + 1))
    return len(cpus)


def resource_usage(config: dict[str, str], kind: str) -> tuple[int, int]:
    """`instance.ResourceUsage`: the CPUs and bytes of memory Incus counts for the instance."""
    vm = kind == "virtual-machine"
    cpus = cpu_count(config["limits.cpu"]) if config.get("limits.cpu") else (VM_CPUS if vm else 0)
    memory = config.get("limits.memory") or (VM_MEMORY if vm else "")
    return cpus, byte_size(memory) if memory else 0
