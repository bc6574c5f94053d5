import asyncio

import pytest
from sse_starlette.sse import AppStatus

from tests.live_pages import PAGES, maintenance_topic, member_topic
from webui.incus.models import Member, MemberState
from webui.live import hub as hub_module
from webui.live.hub import HEARTBEAT, Hub
from webui.live.mailbox import Subscriber
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.runs import MaintenanceRun
from webui.views.members import MEMBERS
from webui.views.noc import NOC


def make_hub(queue_size: int = 4) -> tuple[Hub, list[str]]:
    rendered: list[str] = []

    def render(template: str, context: dict[str, object]) -> str:
        rendered.append(template)
        return f"<p>{template}</p>"

    return Hub(render, queue_size, pages=PAGES), rendered


def cluster(version: int, description: str = "") -> ClusterSnapshot:
    return ClusterSnapshot(
        version=version,
        members=(Member(server_name="m1", description=description), Member(server_name="m2")),
        reachable=True,
    )


def drain(subscriber: Subscriber) -> list:
    """The frames waiting for a stream's next write, then None if the stream has ended."""
    return [*subscriber.taken(), *([None] if subscriber.ended else [])]


def test_a_change_is_rendered_once_for_any_number_of_subscribers():
    hub, rendered = make_hub(queue_size=200)
    subscribers = [hub.subscribe([MEMBERS]) for _ in range(50)]
    hub.update(cluster(1))
    drain_all = [drain(s) for s in subscribers]
    rendered.clear()
    hub.update(cluster(2, description="new"))
    assert rendered == ["members/_cells.html"]  # pages nobody has open are not rendered
    frames = [drain(s) for s in subscribers]
    assert all(f == frames[0] for f in frames)
    assert b"event: member-m1" in frames[0][0]
    assert f"id: {hub.event_id(2)}".encode() in frames[0][0]
    assert drain_all[0]  # the first snapshot drew the table


def test_a_member_page_is_rendered_once_per_role_that_has_it_open():
    hub, rendered = make_hub(queue_size=200)
    viewers = [hub.subscribe([member_topic("m1", role)]) for role in ("admin", "admin", "auditor")]
    hub.update(cluster(1))
    rendered.clear()
    hub.update(cluster(2, description="new"))
    assert rendered.count("members/_detail.html") == 2  # admin's and auditor's, not per viewer
    assert all(drain(v) for v in viewers)


def test_a_new_maintenance_run_reaches_the_maintenance_page_once_per_role_that_has_it_open():
    hub, rendered = make_hub(queue_size=200)
    viewers = [hub.subscribe([maintenance_topic(role)]) for role in ("operator", "operator", "auditor")]
    hub.update(cluster(1))
    for viewer in viewers:
        drain(viewer)
    rendered.clear()
    run = MaintenanceRun("op1", "m1", "evacuate", None)
    hub.update(hub.snapshot.evolve(maintenance=(run,)))
    assert rendered.count("maintenance/_runs.html") == 2  # the operator's and the auditor's, not per viewer
    frames = [drain(viewer) for viewer in viewers]
    assert all(b"event: maintenance-runs" in b"".join(f) for f in frames)
    assert frames[0] == frames[1]


def test_subscribers_get_only_their_topics():
    hub, _ = make_hub()
    table = hub.subscribe([MEMBERS])
    page = hub.subscribe([member_topic("m2", "admin")])
    hub.update(cluster(1))
    drain(table), drain(page)
    hub.update(cluster(2, description="changed"))
    assert len(drain(table)) == 1
    assert drain(page) == []


def test_a_client_that_stops_reading_is_dropped_without_blocking_others():
    hub, _ = make_hub(queue_size=4)  # the first snapshot draws 4 fragments
    slow = hub.subscribe([MEMBERS])
    fast = hub.subscribe([MEMBERS])
    for version in range(1, 6):
        hub.update(cluster(version, description=str(version)))
        drain(fast)
    assert slow not in hub.subscribers
    assert fast in hub.subscribers
    assert drain(slow) == [None]  # its stream ends; the browser reconnects
    assert hub.dropped == 1


def test_a_change_that_redraws_more_rows_than_the_queue_holds_drops_nobody():
    hub, _ = make_hub(queue_size=2)
    names = [f"m{i}" for i in range(10)]
    hub.update(ClusterSnapshot(version=1, members=tuple(Member(server_name=n) for n in names), reachable=True))
    table = hub.subscribe([MEMBERS])
    hub.update(hub.snapshot.evolve(members=tuple(Member(server_name=n, description="upgraded") for n in names)))
    assert len(drain(table)) >= len(names)  # a frame a row, in one write
    assert table in hub.subscribers and hub.dropped == 0
    for version in range(3):  # then it stops reading: the third change finds two waiting
        hub.update(hub.snapshot.evolve(members=tuple(Member(server_name=n, description=str(version)) for n in names)))
    assert table not in hub.subscribers and hub.dropped == 1


def test_refresh_sends_everything_a_page_shows():
    hub, _ = make_hub()
    hub.update(cluster(1))
    frames = hub.refresh([MEMBERS])
    events = [f.splitlines()[1] for f in frames]
    assert events == [
        b"event: banner", b"event: operations", b"event: cluster-alerts", b"event: warnings-count", b"event: members"
    ]


def test_refresh_renders_only_what_the_page_shows_once_per_version():
    hub, rendered = make_hub()
    hub.update(cluster(1))
    rendered.clear()
    for _ in range(3):  # three browsers opening the member table
        hub.refresh([MEMBERS])
    assert "members/_detail.html" not in rendered and "noc/_tiles.html" not in rendered
    assert rendered.count("members/_rows.html") == 1
    detail = hub.refresh([member_topic("m1", "operator")])
    assert any(b"event: member-m1-detail" in frame for frame in detail)
    assert rendered.count("members/_detail.html") == 1  # that member, in that role's version


def test_close_ends_every_stream():
    hub, _ = make_hub()
    subscriber = hub.subscribe([MEMBERS])
    hub.close()
    assert drain(subscriber) == [None]
    assert not hub.subscribers


def test_the_wall_display_gets_tiles_and_freshness_only_when_one_is_open():
    from datetime import UTC, datetime

    hub, rendered = make_hub(queue_size=100)
    hub.update(cluster(1))
    assert not any(t.startswith("noc/") for t in rendered)
    wall = hub.subscribe([NOC])
    rendered.clear()
    hub.update(cluster(2, description="new"))
    # Only what someone has open: no member table here.
    assert rendered == ["noc/_tile.html", "noc/_summary.html", "noc/_maintenance.html"]
    events = [f.splitlines()[1] for f in drain(wall)]
    assert events == [b"event: noc-member-m1", b"event: noc-summary", b"event: noc-maintenance"]
    # A resync that changed nothing still tells the wall its data is fresh.
    hub.update(hub.snapshot.evolve(updated_at=datetime.now(UTC)))
    assert [f.splitlines()[1] for f in drain(wall)] == [b"event: noc-freshness"]


async def test_one_clock_beats_for_every_stream_and_ends_them_on_exit(monkeypatch):
    hub, _ = make_hub()
    subscribers = [hub.subscribe([MEMBERS]), hub.subscribe([NOC])]
    monkeypatch.setattr(hub_module, "EXIT_CHECK", 0.01)
    clock = asyncio.create_task(hub.run(heartbeat=0.02))
    for _ in range(200):  # a beat within 20 ms; up to 2 s on a loaded machine
        await asyncio.sleep(0.01)
        if all(s.frames for s in subscribers):
            break
    assert all(drain(s)[0] == HEARTBEAT.data for s in subscribers)
    assert hub.frames_published == 0  # heartbeats are not fragments
    monkeypatch.setattr(AppStatus, "should_exit", True)  # what uvicorn's exit signal sets
    await asyncio.wait_for(clock, 1)
    assert all(drain(s)[-1] is None for s in subscribers)
    assert not hub.subscribers


def test_an_event_id_from_another_dashboard_process_is_never_current():
    hub, _ = make_hub()
    hub.update(cluster(3))
    assert hub.current(hub.event_id(3))
    other, _ = make_hub()  # another process behind the same load balancer, at the same version
    assert not hub.current(other.event_id(3))
    assert not hub.current("3") and not hub.current(None)


def test_new_state_samples_reach_the_member_table_in_one_frame_however_many_rows_changed():
    hub, rendered = make_hub()
    names = [f"m{i}" for i in range(10)]
    members = tuple(Member(server_name=n) for n in names)
    hub.update(ClusterSnapshot(version=1, members=members, reachable=True))
    table = hub.subscribe([MEMBERS])
    rendered.clear()
    states = {n: MemberState.model_validate({"sysinfo": {"load_averages": [0.5, 0, 0]}}) for n in names}
    hub.update(hub.snapshot.evolve(states=states))
    frames = drain(table)
    assert rendered.count("members/_metrics.html") == 1 and "members/_cells.html" not in rendered
    assert len(frames) == 1 and b"event: member-metrics" in frames[0]
    assert table in hub.subscribers  # not dropped


def test_a_set_of_topics_is_forgotten_with_its_last_stream():
    hub, _ = make_hub()
    for i in range(100):
        hub.unsubscribe(hub.subscribe([MEMBERS, member_topic(f"m{i}", "admin")]))
    shared = [hub.subscribe([MEMBERS]) for _ in range(3)]
    assert shared[0].topics is shared[2].topics  # streams of one page share one set
    assert len(hub._topic_sets) == 1
    for subscriber in shared:
        hub.unsubscribe(subscriber)
    assert not hub._topic_sets and not hub.by_topic and not hub.per_owner


def test_refreshes_kept_for_a_version_are_bounded():
    hub, _ = make_hub()
    hub.update(cluster(1))
    for i in range(hub_module.REFRESH_CACHE * 3):
        hub.refresh([member_topic(f"m{i}", "admin")])
    assert len(hub._refreshed[1]) == hub_module.REFRESH_CACHE


def test_streams_are_capped_per_identity_and_in_all():
    hub = Hub(lambda template, context: "", max_per_owner=2, max_streams=3)
    hub.subscribe([MEMBERS], owner="alice")
    hub.subscribe([MEMBERS], owner="alice")
    with pytest.raises(hub_module.TooManyStreams) as per_identity:
        hub.subscribe([MEMBERS], owner="alice")
    assert per_identity.value.owner == "alice"
    hub.subscribe([MEMBERS], owner="bob")
    with pytest.raises(hub_module.TooManyStreams) as in_all:
        hub.subscribe([MEMBERS], owner="carol")
    assert in_all.value.owner == ""
