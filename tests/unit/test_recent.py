"""What is happening now: the operations strip and a member page's "just ended" block show
running work and what ended within recent_seconds, and the hub redraws them when that passes."""

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from tests.live_pages import member_topic
from tests.unit.replies import EVACUATING, evacuation_operations, evacuation_updates
from tests.unit.test_maintenance import before
from webui.app import PAGES, make_templates
from webui.incus.models import Member, Operation
from webui.live.hub import Hub
from webui.live.snapshot import ClusterSnapshot
from webui.services.activity.recent import STRIP_LINES, Recent
from webui.services.maintenance import runs as m
from webui.views import Views

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MINUTE = Recent(timedelta(seconds=60))


def operation(op_id: str, status: str = "Running", ended_ago: float | None = None, **fields: object) -> Operation:
    started = AT - timedelta(minutes=20)
    updated = AT - timedelta(seconds=ended_ago) if ended_ago is not None else AT
    return Operation.model_validate(
        {"id": op_id, "description": "Creating instance", "status": status, "created_at": started,
         "updated_at": updated, **fields}
    )


def failed_run(member: str, ended_ago: float, error: str = "CRIU isn't installed") -> m.MaintenanceRun:
    return m.MaintenanceRun(
        operation_id=f"run-{member}-{ended_ago}", member=member, kind=m.RESTORE, started_at=AT - timedelta(minutes=30),
        outcome="failed", error=error, ended_at=AT - timedelta(seconds=ended_ago),
    )


def render(template: str, snapshot: ClusterSnapshot, **context: object) -> str:
    app = FastAPI()
    for module in PAGES:
        app.include_router(module.router)
    return make_templates(app).get_template(template).render(snapshot=snapshot, **context)


def test_the_strip_groups_the_instance_operations_under_their_run():
    updates = evacuation_updates()
    others = [op for op in evacuation_operations() if op.description != EVACUATING]
    run = m.begin(updates[0], before())
    unrelated = Operation(
        id="x", description="Creating instance", resources={"instances": ["/1.0/instances/other"]},
        created_at=updates[0].created_at - timedelta(seconds=1),
    )
    latest = {op.id: op for op in (updates[3], *others, unrelated)}  # as the watcher keeps them
    snapshot = ClusterSnapshot(operations=tuple(latest.values()), maintenance=(run,))
    lines = MINUTE.strip(snapshot).lines
    assert [(op.id, r is not None) for op, r, _ in lines] == [(updates[3].id, True), ("x", False)]
    assert {op.description for op in lines[0].children} == {"Migrating instance", "Starting instance"}
    assert len(lines[0].children) == len({op.id for op in others})


def test_the_strip_shows_what_runs_and_what_ended_within_the_window_only():
    snapshot = ClusterSnapshot(
        operations=(
            operation("old", "Success", ended_ago=11 * 60),
            operation("old-failure", "Failure", ended_ago=61, err="gone"),
            operation("just-now", "Failure", ended_ago=30, err="Instance not found"),
            operation("running"),
            operation("token", class_="token", metadata={"serverName": "member4"}),
        ),
    )
    strip = MINUTE.strip(snapshot, AT)
    assert [line.operation.id for line in strip.lines] == ["running", "just-now"]
    assert (strip.more, strip.summary) == (0, "1 running · 1 failed in the last minute")
    longer = Recent(timedelta(minutes=15)).strip(snapshot, AT)  # the window is a setting
    assert (len(longer.lines), longer.more) == (3, 1)
    assert longer.summary == "1 running · 2 failed, 1 succeeded in the last 15 minutes"


def test_the_strip_shows_three_lines_running_first_and_counts_the_rest():
    ended = [operation(f"ended-{n}", "Success", ended_ago=n) for n in range(10)]
    snapshot = ClusterSnapshot(operations=(*ended, operation("running")))
    strip = MINUTE.strip(snapshot, AT)
    assert len(strip.lines) == STRIP_LINES == 3
    assert strip.lines[0].operation.id == "running"
    assert strip.more == 8
    assert strip.summary == "1 running · 10 succeeded in the last minute"


def test_an_evacuation_that_ended_11_minutes_ago_leaves_the_strip_and_the_member_page():
    run = failed_run("member2", ended_ago=11 * 60)
    snapshot = ClusterSnapshot(
        members=(Member(server_name="member2", status="Online"),),
        operations=(operation(run.operation_id, "Failure", ended_ago=11 * 60, description="Restoring cluster member"),),
        maintenance=(run,),
    )
    assert not MINUTE.strip(snapshot, AT)
    assert MINUTE.maintenance_of(snapshot, "member2", AT) is None
    assert MINUTE.maintenance_of(snapshot, "member2", AT - timedelta(seconds=11 * 60 - 5)) is run


def test_a_failed_run_in_the_strip_has_no_bar_a_red_mark_and_the_reason():
    run = failed_run("member2", ended_ago=0)
    snapshot = ClusterSnapshot(
        operations=(
            operation(run.operation_id, "Failure", ended_ago=0, description="Restoring cluster member",
                      err="CRIU isn't installed"),
        ),
        maintenance=(run,),
    )
    html = render("operations/_list.html", snapshot, strip=MINUTE.strip(snapshot, AT))
    assert "<progress" not in html
    assert 'class="run-mark"' in html and "✕" in html
    assert "CRIU isn&#39;t installed" in html
    assert "RESTORE FAILED" in html and "0/0" not in html


def test_the_hub_redraws_the_strip_and_the_member_page_once_when_a_run_stops_being_recent(monkeypatch):
    rendered: list[str] = []

    def render_name(template: str, context: dict[str, object]) -> str:
        rendered.append(template)
        return template

    hub = Hub(render_name, queue_size=32, expires=MINUTE.expires, pages=Views(MINUTE).pages())
    clock = [AT]
    monkeypatch.setattr("webui.live.hub.now", lambda: clock[0])
    page = hub.subscribe([member_topic("member2", "auditor")])
    run = failed_run("member2", ended_ago=10)
    hub.update(ClusterSnapshot(version=1, members=(Member(server_name="member2"),), maintenance=(run,)))
    rendered.clear()
    page.taken()
    hub.age()
    assert rendered == []  # still "just ended": nothing to redraw
    clock[0] = AT + timedelta(seconds=51)
    fresh = hub.snapshot.evolve(updated_at=clock[0])  # a resync came first, with nothing new
    hub.update(fresh)
    hub.age()
    assert sorted(rendered) == ["members/_detail.html", "operations/_list.html"]
    assert len(page.frames) == 2
    assert hub.snapshot.version == fresh.version + 1  # a stream that reconnects is sent it too
    rendered.clear()
    hub.age()
    assert rendered == []  # once: nothing else ends later
