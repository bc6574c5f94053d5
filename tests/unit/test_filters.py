from webui import filters
from webui.filters import duration, percent, short_ids, size, status_class


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


def test_the_wall_grid_keeps_tiles_wide_enough_to_read():
    from webui.filters import noc_columns

    assert [noc_columns(n) for n in (1, 3, 8, 16, 32, 64)] == [1, 2, 3, 4, 6, 8]
    assert noc_columns(0) == 1 and noc_columns(1000) == 12  # noc.css has rules up to 12


def test_severity_of_a_member_for_the_wall():
    from webui.filters import severity

    assert severity("Online") == "" and severity("Online", healed=True) == "critical"
    assert severity("Offline") == "critical"
    assert severity("Evacuated") == severity("Blocked") == severity("") == "warning"


def test_audit_parameters_read_as_words_not_json():
    assert filters.fields({"new_name": "gpu2"}) == "new_name: gpu2"
    roles = {"mode": "stop", "roles": ["event-hub", "ovn-chassis"]}
    assert filters.fields(roles) == "mode: stop; roles: event-hub, ovn-chassis"
    assert filters.fields({"config": {"user.a": "1", "user.b": "2"}, "force": None}) == (
        "config: (user.a: 1; user.b: 2); force: none"
    )
    assert filters.fields({}) == ""


def test_incus_uuids_are_shortened_in_any_text_and_the_rest_escaped():
    uuid = "1af3b882-e705-4b18-a041-cb63877d4685"
    assert short_ids(uuid) == f'<abbr class="operation-id" title="{uuid}">1af3b882</abbr>'
    assert short_ids(f"/api/v1/warnings/{uuid}?x=<b>") == (
        f'/api/v1/warnings/<abbr class="operation-id" title="{uuid}">1af3b882</abbr>?x=&lt;b&gt;'
    )
    assert short_ids("member1") == "member1"
    assert short_ids("<script>") == "&lt;script&gt;"
