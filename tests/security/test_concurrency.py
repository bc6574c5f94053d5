"""Two dashboard processes acting at once on one database (one SQLite file; one PostgreSQL
database): the audit chain stays one chain, and every action has exactly one outcome, even an
operation whose end both processes' watchers see."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import Dashboard, wait_until
from tests.security.conftest import audit_rows

pytestmark = pytest.mark.cluster

EDITS = 12  # description edits per process, all at once
TERMINAL = ("succeeded", "failed", "unknown")


def edits(server: Dashboard, member: str, tag: str) -> list[int]:
    client = server.login("operator")
    try:
        return [
            client.patch(f"/api/v1/cluster/members/{member}", json={"description": f"{tag} {n}"}).status_code
            for n in range(EDITS)
        ]
    finally:
        client.close()


def evacuate_then_restore(first: Dashboard, second: Dashboard, member: str) -> None:
    """An operation started on one process, its end seen by both; the restore from the other."""
    operator = first.login("operator")
    try:
        reply = operator.post(f"/api/v1/cluster/members/{member}/state", json={"action": "evacuate", "mode": "stop"})
        assert reply.status_code == 202, reply.text
    finally:
        operator.close()
    other = second.login("operator")
    try:
        # The second process sees the evacuation through Incus's events; until then it refuses.
        wait_until(
            lambda: other.post(f"/api/v1/cluster/members/{member}/state", json={"action": "restore"}).status_code
            == 202,
            timeout=120, interval=1,
        )
    finally:
        other.close()


def run_at_once(first: Dashboard, second: Dashboard, cluster) -> None:
    with ThreadPoolExecutor(3) as pool:
        jobs = [
            pool.submit(edits, first, "member2", "first"),
            pool.submit(edits, second, "member2", "second"),
            pool.submit(evacuate_then_restore, first, second, "member3"),
        ]
        results = [job.result() for job in jobs]
    # Two writers of one member: Incus refuses one whose ETag went stale (412), which is an
    # outcome too ("failed", with Incus's words).
    assert set(results[0] + results[1]) <= {200, 412} and results[0].count(200) and results[1].count(200)
    wait_until(lambda: cluster.member_status("member3") == "Online", timeout=120)


def assert_one_chain_one_outcome_each(server: Dashboard) -> None:
    # Both watchers saw the operations end; wait until their outcome is in, then a little
    # longer, so that a second (duplicate) one would have arrived too.
    wait_until(lambda: not [r for r in audit_rows(server, outcome="accepted") if not audit_rows(
        server, operation_id=r.operation_id, outcome="succeeded")], timeout=120)
    time.sleep(3)
    verified = server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    records = audit_rows(server)
    requested = [r.id for r in records if r.outcome == "requested"]
    outcomes = Counter(r.request_id for r in records if r.outcome in TERMINAL and r.request_id is not None)
    assert len(requested) >= 2 * EDITS + 2
    assert {r: outcomes[r] for r in requested if outcomes[r] != 1} == {}
    assert set(outcomes) <= set(requested)
    prev_hashes = Counter(r.prev_hash for r in records)
    assert prev_hashes.most_common(1)[0][1] == 1  # no fork


@pytest.mark.parametrize("database", ["one SQLite file", "one PostgreSQL database"])
def test_two_processes_acting_at_once_keep_one_chain(cluster, request, tmp_path, restore_description, database):
    if database == "one SQLite file":
        files, url = ("shared.db", "shared.db"), ""
    else:
        files, url = ("first.db", "second.db"), request.getfixturevalue("postgres").create_database("concurrency")
    first = Dashboard(cluster.settings_file, tmp_path / files[0], database_url=url)
    second = Dashboard(cluster.settings_file, tmp_path / files[1], database_url=url)
    try:
        run_at_once(first, second, cluster)
        assert_one_chain_one_outcome_each(first)
    finally:
        first.stop()
        second.stop()
