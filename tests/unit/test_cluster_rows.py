"""Two clusters in one database keep their own rows: history, maintenance runs, healing,
rolling upgrades and pinned certificates never show on the other's pages (both test clusters
name their members member1, member2...), and rows from before clusters had names are the
first cluster's."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from tests.certs import make_certificate
from webui import db
from webui.incus.models import Event
from webui.services.activity import history
from webui.services.configuration import pinning
from webui.services.maintenance import healing, store
from webui.services.maintenance import runs as m

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CHANGE = Event(type="lifecycle", timestamp=AT, metadata={"action": "cluster-member-updated"})


def engine_at(tmp_path: Path, revision: str = "head"):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url, revision)
    return url, db.make_engine(url)


def test_each_cluster_reads_only_its_own_rows(tmp_path):
    _, engine = engine_at(tmp_path)
    for cluster in ("prod", "staging"):
        run = m.MaintenanceRun(operation_id=f"op-{cluster}", member="member2", kind=m.EVACUATE, started_at=AT)
        store.save(engine, cluster, run)
        asyncio.run(history.recorder(engine, cluster)(CHANGE))
    healing.record_and_claim(engine, "prod", "member2", AT, {}, "me")
    certificate, _ = make_certificate(days=30)
    pinning.store(engine, "staging", certificate)

    assert [run.operation_id for run in store.search(engine, "prod")] == ["op-prod"]
    assert [run.operation_id for run in store.unfinished(engine, "staging")] == ["op-staging"]
    assert len(history.recent(engine, "prod")) == len(history.recent(engine, "staging")) == 1
    assert healing.healed_members(engine, "prod") == {"member2"}
    assert healing.healed_members(engine, "staging") == frozenset()
    assert pinning.stored(engine, "staging") == certificate and pinning.stored(engine, "prod") == ""


def test_rows_from_before_cluster_names_are_the_first_clusters(tmp_path):
    url, engine = engine_at(tmp_path, "0009")
    certificate, _ = make_certificate(days=30)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO maintenance_runs (operation_id, member, kind, mode, requestor, started_at, outcome, error)"
                " VALUES ('old', 'm1', 'evacuate', '', '', '2026-12-01 10:00:00', 'succeeded', '')"
            )
        )
        connection.execute(
            text("INSERT INTO pinned_certificates VALUES ('cluster', :pem, 'f', '2026-12-01 10:00:00')"),
            {"pem": certificate},
        )
    db.upgrade(url)
    db.adopt_unnamed_rows(engine, "prod")
    db.adopt_unnamed_rows(engine, "prod")  # every process does it as it starts: no change the second time
    assert [run.operation_id for run in store.search(engine, "prod")] == ["old"]
    assert pinning.stored(engine, "prod") == certificate
