"""A member's hardware, from the `/1.0/resources?target=` replies real members sent (Incus 6.0.4
and 7.0.2, recorded), as `incus info --resources` shows it, in units for people."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.test_recent import render
from webui.filters import frequency, link_speed
from webui.live.snapshot import ClusterSnapshot
from webui.services.members.hardware import Disk, hardware_of

RECORDED = Path(__file__).parent / "recorded"
AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


@pytest.mark.parametrize("reply", ["resources_6.0.4.json", "resources_7.0.json"])
def test_the_recorded_hardware_reads_as_the_cli_shows_it(reply):
    resources = recorded(reply)
    found = hardware_of("member2", resources, {"local": "/dev/vda", "remote": "pool/x"}, AT)
    assert [s.name for s in found.sockets] == ["AMD EPYC"] and (found.cores, found.threads) == (2, 2)
    assert found.logical_cpus == resources["cpu"]["total"] and found.architecture == "x86_64"
    assert (found.memory_total, found.memory_used) == (resources["memory"]["total"], resources["memory"]["used"])
    ports = [(p.id, p.link_detected, p.address) for n in found.nics for p in n.ports]
    assert ports == [("eth0", True, "02:fc:00:00:00:01")]
    assert [(d.id, d.type, d.size, d.used_by) for d in found.disks] == [("vda", "virtio", 256 * 1024**3, ("local",))]
    assert len(found.pci) == len(resources["pci"]["devices"]) and found.usb == () and found.gpus == ()
    html = render("members/_hardware.html", ClusterSnapshot(), name="member2", hardware=found, error="")
    shown = ("AMD EPYC", "2 cores, 2 threads", "24.00GiB", "256.00GiB", "storage pool local", "02:fc:00:00:00:01", "up")
    for words in shown:
        assert words in html, words
    assert "{" not in html.replace("{{", "")  # no raw dict on the page


def test_a_physical_member_in_units_for_people():
    """A shape Incus documents (`shared/api/resource.go`), for what a VM does not report."""
    resources = {
        "cpu": {"architecture": "x86_64", "total": 64, "sockets": [{
            "socket": 0, "name": "AMD EPYC 7543 32-Core Processor", "vendor": "AuthenticAMD",
            "frequency": 3200, "frequency_minimum": 1500, "frequency_turbo": 3700,
            "cores": [{"core": n, "threads": [{"id": 2 * n}, {"id": 2 * n + 1}]} for n in range(32)],
        }]},
        "memory": {"total": 512 * 1024**3, "used": 100 * 1024**3, "hugepages_total": 64 * 1024**3,
                   "hugepages_used": 16 * 1024**3, "hugepages_size": 1024**3, "nodes": [{}, {}]},
        "network": {"cards": [{
            "vendor": "Intel Corporation", "vendor_id": "8086", "product": "E810-C", "driver": "ice",
            "ports": [
                {"id": "enp65s0f0", "address": "b4:96:91:00:00:01", "link_detected": True, "link_speed": 25000,
                 "link_duplex": "full"},
                {"id": "enp65s0f1", "link_detected": False},
            ],
        }]},
        "storage": {"disks": [{"id": "nvme0n1", "model": "SAMSUNG MZQL23T8HCLS", "type": "nvme", "rpm": 0,
                               "size": 3840755982336, "partitions": [{"id": "nvme0n1p1", "size": 3840754933760}]},
                              {"id": "sda", "model": "ST8000NM000A", "type": "sata", "rpm": 7200, "size": 8 * 10**12}]},
        "gpu": {"cards": [{"vendor": "NVIDIA Corporation", "product": "GA100 [A100 PCIe 40GB]", "driver": "nvidia",
                           "pci_address": "0000:81:00.0"}]},
        "usb": {"devices": [{"vendor": "American Megatrends", "product": "Virtual Keyboard", "bus_address": 1,
                             "device_address": 3, "speed": 480}]},
        "system": {"vendor": "Dell Inc.", "product": "PowerEdge R7525", "type": "physical"},
    }
    found = hardware_of("m1", resources, {"fast": "/dev/nvme0n1p1"}, AT)
    assert found.disks[0].used_by == ("fast",) and found.disks[1].used_by == ()  # a partition names its disk
    assert [d.medium for d in found.disks] == ["solid state", "rotational, 7200 rpm"]
    html = render("members/_hardware.html", ClusterSnapshot(), name="m1", hardware=found, error="")
    for words in ("Dell Inc. PowerEdge R7525 (physical)", "32 cores, 64 threads, 3.20 GHz (min 1.50 GHz, max 3.70 GHz)",
                  "25 Gbit/s, full duplex", "down", "64.00GiB", "in pages of 1.00GiB", "3.49TiB", "7.28TiB",
                  "GA100 [A100 PCIe 40GB]", "480 Mbit/s", "NUMA nodes</dt><dd>2"):
        assert words in html, words


def test_frequencies_and_link_speeds_read_as_people_say_them():
    assert [frequency(v) for v in (3500, 800, 0)] == ["3.50 GHz", "800 MHz", ""]
    assert [link_speed(v) for v in (10000, 2500, 100, 0)] == ["10 Gbit/s", "2.5 Gbit/s", "100 Mbit/s", ""]


def test_incus_words_are_shown_when_it_could_not_answer():
    said = "Missing event connection with target cluster member"
    html = render("members/_hardware.html", ClusterSnapshot(), name="m1", hardware=None, error=said)
    assert said in html and "not read from Incus yet" in html
    assert Disk("x", "", "", "", 0, False, False, 1, (), ()).medium == "rotational"
