"""The member table's cells: figures worded for people, and each fragment rendered once per
change of what it shows."""

import gc
import time
import weakref

from fastapi import FastAPI

from webui.app import PAGES, make_templates
from webui.incus.models import Instance, Member, MemberState
from webui.live.snapshot import ClusterSnapshot
from webui.live.trends import Trends
from webui.member_rows import MemberRows

GIB = 1024**3


def setup() -> tuple[MemberRows, Trends, ClusterSnapshot]:
    app = FastAPI()
    for module in PAGES:
        app.include_router(module.router)
    trends = Trends(interval=10.0)
    rows = make_templates(app, trends).env.globals["member_rows"]
    assert isinstance(rows, MemberRows)
    state = MemberState.model_validate(
        {"sysinfo": {"load_averages": [1.0, 0.5, 0.2], "total_ram": 8 * GIB, "free_ram": 5 * GIB}}
    )
    snapshot = ClusterSnapshot(
        members=(Member(server_name="m1", status="Online", roles=["database"], groups=["default"]),),
        states={"m1": state},
        cpus={"m1": 4},
        instances=(Instance(name="a", location="m1", status="Running"), Instance(name="b", location="m1")),
        reachable=True,
    )
    return rows, trends, snapshot


def test_figures_are_worded_with_units_and_bars():
    rows, trends, snapshot = setup()
    trends.record("m1", 1000.0, snapshot.states["m1"], 4)
    trends.record("m1", 1010.0, snapshot.states["m1"], 4)
    html = str(rows.cells(snapshot, snapshot.members[0]))
    assert "1 of 2 running" in html
    assert '<meter min="0" max="1"' in html and "0.25 per CPU" in html and 'title="load 1.00 on 4 CPUs"' in html
    assert "3.00GiB of 8.00GiB" in html
    assert 'class="keys" hidden data-roles="database" data-status="Online" data-groups="default"' in html


def test_a_member_not_reported_yet_says_so_instead_of_zeros():
    rows, _, snapshot = setup()
    bare = ClusterSnapshot(members=snapshot.members, reachable=True)
    html = str(rows.cells(bare, bare.members[0]))
    assert html.count("not reported") == 2 and "no samples yet" in html and "0 of 0 running" in html


def test_each_fragment_is_rendered_again_only_when_what_it_shows_changed():
    rows, trends, snapshot = setup()
    member = snapshot.members[0]
    own, figures = rows._own(snapshot, member), rows.figures(snapshot, member)
    again = snapshot.evolve()  # a new snapshot, nothing changed for m1
    assert rows._own(again, member) is own and rows.figures(again, member) is figures
    renamed = member.model_copy(update={"description": "rack 4"})
    changed = again.evolve(members=(renamed,))
    assert rows._own(changed, renamed) is not own and "rack 4" in rows._own(changed, renamed)
    assert rows.figures(changed, renamed) is figures  # the figures did not change
    trends.record("m1", 2000.0, snapshot.states["m1"], 4)  # a new sample: the sparkline moves
    assert rows.figures(changed, renamed) is not figures


def test_a_member_charts_are_drawn_once_per_sample_and_again_as_time_moves_on(monkeypatch):
    rows, trends, snapshot = setup()
    charts = rows.env.globals["member_charts"]
    member = snapshot.members[0]
    at = time.time()
    clock = [at]
    monkeypatch.setattr("webui.member_charts.time.time", lambda: clock[0])
    trends.record("m1", at - 20, snapshot.states["m1"], 4)
    drawn = charts(snapshot, member)
    assert "Load (1 min)" in drawn and "4 CPUs busy" in drawn
    assert charts(snapshot.evolve(), member) is drawn  # another snapshot, no new sample
    trends.record("m1", at - 10, snapshot.states["m1"], 4)
    sampled = charts(snapshot, member)
    assert sampled is not drawn and sampled.count('class="chart-point"') > drawn.count('class="chart-point"')
    clock[0] += trends.interval  # no sample since (the member stopped answering): drawn again
    assert charts(snapshot, member) is not sampled


def test_a_replaced_snapshot_is_freed_at_once_not_at_the_next_full_collection():
    rows, _, snapshot = setup()
    rows.cells(snapshot, snapshot.members[0])
    gone = weakref.ref(snapshot)
    newer = snapshot.evolve(members=(snapshot.members[0].model_copy(update={"description": "changed"}),))
    rows.cells(newer, newer.members[0])
    gc.disable()  # refcounting alone: no reference cycle may hold it
    try:
        del snapshot
        assert gone() is None
    finally:
        gc.enable()
