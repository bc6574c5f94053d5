"""The shared pin: stored once per database, offered before the configured file, and a round
of re-pinning that never goes back to a certificate it already tried."""

import asyncio
import ssl
from pathlib import Path

from tests.certs import make_certificate
from webui import db
from webui.incus.transport import Connection, Transport
from webui.services.configuration import pinning


def test_the_database_pin_comes_before_the_configured_file(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    configured, _ = make_certificate("configured")
    replaced, _ = make_certificate("replaced")
    newer, _ = make_certificate("newer")
    (tmp_path / "cluster.crt").write_text(configured)
    connection = Connection(addresses=["https://127.0.0.1:1"], server_cert=tmp_path / "cluster.crt")
    try:
        assert pinning.candidates(engine, "c1", connection) == [configured]
        pinning.store(engine, "c1", replaced)
        pinning.store(engine, "c1", newer)  # one row, the latest
        assert pinning.candidates(engine, "c1", connection) == [newer, configured]
    finally:
        engine.dispose()


def test_a_refused_pin_is_not_tried_twice_in_one_round(tmp_path: Path):
    first, _ = make_certificate("first")
    second, _ = make_certificate("second")
    (tmp_path / "cluster.crt").write_text(first)
    transport = Transport(Connection(addresses=["https://127.0.0.1:1"], server_cert=tmp_path / "cluster.crt"))

    async def source() -> list[str]:
        return [second, first]

    transport.pin_source = source
    refused = ssl.SSLCertVerificationError("certificate verify failed")

    async def round_() -> list[bool]:
        tried: set[str] = set()
        results = [await transport._repin_from_source(refused, tried) for _ in range(3)]
        await transport.aclose()
        return results

    assert asyncio.run(round_()) == [True, False, False]  # second, then nothing new: no loop
    assert transport.pinned == second


def test_an_error_other_than_the_pin_changes_nothing(tmp_path: Path):
    first, _ = make_certificate("first")
    (tmp_path / "cluster.crt").write_text(first)
    transport = Transport(Connection(addresses=["https://127.0.0.1:1"], server_cert=tmp_path / "cluster.crt"))

    async def source() -> list[str]:
        raise AssertionError("not asked for a refused connection")

    transport.pin_source = source

    async def check() -> bool:
        try:
            return await transport._repin_from_source(ConnectionRefusedError(), set())
        finally:
            await transport.aclose()

    assert asyncio.run(check()) is False and transport.pinned == first


def test_a_process_that_loses_the_race_to_insert_the_pin_updates_it(tmp_path: Path, monkeypatch):
    """Two dashboards storing the new certificate at once: one saw no row, then its insert met
    the other's (a 500 on the certificate replacement, seen in CI)."""
    from sqlalchemy.orm import Session

    url = f"sqlite:///{tmp_path / 'w.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    first, _ = make_certificate("the other process's")
    mine, _ = make_certificate("mine")
    try:
        pinning.store(engine, "c1", first)
        real_get, misses = Session.get, []

        def get_racing(self, entity, ident, **kwargs):  # the row is not there yet, once
            if not misses:
                misses.append(ident)
                return None
            return real_get(self, entity, ident, **kwargs)

        monkeypatch.setattr(Session, "get", get_racing)
        pinning.store(engine, "c1", mine)
        assert misses and pinning.stored(engine, "c1") == mine
    finally:
        engine.dispose()
