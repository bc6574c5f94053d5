from webui import filters
from webui.filters import duration, percent, size, status_class


def test_size_uses_binary_units_like_the_incus_cli():
    assert size(512) == "512B"
    assert size(1536) == "1.50KiB"
    assert size(25276502016) == "23.54GiB"


def test_duration_leaves_out_zero_units():
    assert duration(0) == "0s"
    assert duration(61) == "1m 1s"
    assert duration(86400 + 3600) == "1d 1h"


def test_percent_of_nothing_is_zero():
    assert percent(1, 0) == 0
    assert percent(1, 3) == 33


def test_status_class_names_every_status():
    assert status_class("Online") == "status-online"
    assert status_class("") == "status-unknown"


def test_counts_times_and_loads_are_worded_for_people():
    assert filters.plural(1, "CPU") == "1 CPU" and filters.plural(4, "CPU") == "4 CPUs"
    assert filters.clock(1_796_000_000) == "00:53:20 UTC"
    assert filters.clock(1_796_000_000, date=True) == "2026-11-30 00:53 UTC"
    assert filters.load(0.5) == "0.50"
