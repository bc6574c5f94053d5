"""The hostile suite: each test is an attack, made against a real dashboard process and the
real local Incus cluster, and what the dashboard must do about it.

Clients that must come from "another host" bind to another loopback address of this run's
subnet (INCUS_WEBUI_DEV_SUBNET), which the dashboard, listening on 127.0.0.1, sees as their
socket's peer."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Dashboard
from webui import db
from webui.models import AuditRecord

SUBNET = os.environ.get("INCUS_WEBUI_DEV_SUBNET", "127.0.15")

pytestmark = pytest.mark.cluster


def from_address(dashboard: Dashboard, last_octet: int) -> httpx.Client:
    """A browser-like client whose connections come from SUBNET.last_octet."""
    transport = httpx.HTTPTransport(local_address=f"{SUBNET}.{last_octet}")
    return httpx.Client(base_url=dashboard.url, transport=transport, timeout=30)


def rss_kib(dashboard: Dashboard) -> int:
    """The dashboard process's resident memory now (VmRSS), in KiB."""
    status = Path(f"/proc/{dashboard.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def audit_rows(dashboard: Dashboard, **equal: object) -> list[AuditRecord]:
    """The dashboard's audit records, oldest first, read from its database (not its pages, so
    a test sees exactly what was written)."""
    engine = db.make_engine(dashboard.database_url)
    try:
        with Session(engine) as session:
            query = select(AuditRecord).order_by(AuditRecord.id)
            for name, value in equal.items():
                query = query.where(getattr(AuditRecord, name) == value)
            return list(session.scalars(query))
    finally:
        engine.dispose()


@pytest.fixture
def own_dashboard(cluster, tmp_path) -> Iterator[Callable[..., Dashboard]]:
    """Dashboards of the test's own, with its settings (INCUS_WEBUI_* variables); all stopped after."""
    started: list[Dashboard] = []

    def start(name: str = "webui", **env: str) -> Dashboard:
        server = Dashboard(cluster.settings_file, tmp_path / f"{name}.db", **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
