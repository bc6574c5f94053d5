"""The rebalancing score against Incus's formula (`calculateScore`, cmd/incusd/api_cluster_rebalance.go),
on figures our dev cluster's Incus 6.0.4 reported (`/1.0/resources?target=`) and on the edges
where Go's uint8 arithmetic departs from the mean a person would expect."""

import json

import pytest

from tests.unit.replies import RECORDED
from webui.services.maintenance.rebalance_score import (
    Figures,
    byte_size,
    cpu_count,
    go_uint8,
    member_score,
    resource_usage,
    score,
    unevenness,
)


def recorded_figures() -> list[Figures]:
    data = json.loads((RECORDED / "rebalance_resources_6.0.4.json").read_text())
    return [Figures.from_resources(m["name"], m["resources"]) for m in data["members"]]


def test_the_recorded_figures_are_read_as_incus_reads_them():
    figures = recorded_figures()
    assert [f.member for f in figures] == ["member1", "member2", "member3"]
    first = figures[0]
    # memory.used, memory.total, load.Average1Min (Incus's Go field name), cpu.total
    assert (first.memory_used, first.memory_total, first.load, first.threads) == (2695442432, 25769803776, 5.52, 2)
    assert first.architecture == "x86_64"


def test_the_recorded_scores_follow_incus_formula():
    """memory: uint8(2695442432 * 100 / 25769803776) = uint8(10.46) = 10; cpu: uint8(5.52 * 100 / 2) =
    uint8(276.0): through int32, 276 & 0xFF = 20; score: (10 + 20) / 2 = 15 (not the 143 of the mean)."""
    scores = {f.member: member_score(f) for f in recorded_figures()}
    assert [(s.memory, s.cpu, s.total) for s in scores.values()] == [(10, 20, 15), (10, 20, 15), (10, 20, 15)]
    assert all(s.wrapped for s in scores.values())
    assert unevenness(15, 15) == 0  # equal: under any threshold


@pytest.mark.parametrize(
    ("value", "arch", "expected"),
    [
        (10.99, "x86_64", 10),  # truncated, not rounded
        (255.5, "x86_64", 255),
        (256.0, "x86_64", 0),  # the low byte of int32(256)
        (300.0, "x86_64", 44),
        (2**31 + 5.0, "x86_64", 0),  # CVTTSD2SL: 0x80000000
        (2**31 + 5.0, "aarch64", 255),  # FCVTZS saturates at 0x7FFFFFFF
        (float("inf"), "x86_64", 0),
        (float("nan"), "aarch64", 0),
    ],
)
def test_go_converts_a_float_to_uint8_through_int32(value, arch, expected):
    assert go_uint8(value, arch) == expected


def test_the_sum_of_the_two_parts_wraps_in_a_byte():
    # memory 90 %, load 1.9 per thread (190): 280 & 0xFF = 24, halved to 12
    assert score(90, 100, 3.8, 2).total == 12
    assert score(50, 100, 1.0, 2) == score(50, 100, 1.0, 2)  # plain case: (50 + 50) / 2
    assert score(50, 100, 1.0, 2).total == 50 and not score(50, 100, 1.0, 2).wrapped


def test_the_unevenness_is_a_truncated_percentage_of_the_busiest():
    assert unevenness(50, 40) == 20
    assert unevenness(60, 49) == 18  # 18.33
    assert unevenness(0, 0) == 0


def test_a_vm_without_limits_weighs_incus_defaults():
    assert resource_usage({}, "virtual-machine") == (1, 2**30)
    assert resource_usage({}, "container") == (0, 0)
    assert resource_usage({"limits.cpu": "0-3,6", "limits.memory": "512MB"}, "virtual-machine") == (5, 512 * 10**6)


@pytest.mark.parametrize("text", ["", "1.5GiB", "50%", "-1GiB", "1 GiB", "GiB"])
def test_sizes_incus_refuses_are_refused(text):
    with pytest.raises(ValueError):
        byte_size(text)


def test_cpu_sets_are_counted():
    assert cpu_count("4") == 4 and cpu_count("0,2-3") == 3
    with pytest.raises(ValueError):
        cpu_count("a-b")
