"""`incus-webui doctor`: the settings and their origins, the database and Incus checked, and
one line per problem saying what to do."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webui import db

pytestmark = pytest.mark.cluster


def doctor(settings_file: Path, *flags: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INCUS_WEBUI_")}
    return subprocess.run(
        [sys.executable, "-m", "webui.cli", "doctor", "--config", str(settings_file), *flags],
        env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url)
    return url


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("PROBLEM ") for line in result.stdout.splitlines() if line.startswith("PROBLEM ")]


def test_it_says_where_each_setting_came_from_and_what_it_reached(cluster, migrated):
    result = doctor(cluster.settings_file, "--port", "9123", INCUS_WEBUI_DATABASE_URL=migrated,
                    INCUS_WEBUI_POLL_INTERVAL="2")
    lines = result.stdout.splitlines()
    assert "  port = 9123  (flag)" in lines
    assert "  poll_interval = 2.0  (variable INCUS_WEBUI_POLL_INTERVAL)" in lines
    assert f"  server_cert = {cluster.cluster_cert}  (file {cluster.settings_file})" in lines
    assert "  heartbeat = 15.0  (default)" in lines
    assert f"database: {migrated}, migrated ({db.HEAD})" in lines
    assert "database: writable" in lines
    reached = next(line for line in lines if line.startswith("incus: reached"))
    assert any(f"member {name}," in reached for name in cluster.members) and "Incus 6.0" in reached
    assert f"incus: certificate pinned ({cluster.cluster_cert});" in result.stdout
    assert f"cluster of {len(cluster.members)} members" in result.stdout
    # The one problem: no account yet, and what to do about it.
    assert problems(result) == ["database: no accounts: create one with `incus-webui user add NAME --role admin`"]
    assert result.returncode == 1


def test_an_unmigrated_database_and_an_unreachable_incus_are_each_one_line(cluster, tmp_path):
    (tmp_path / "empty.db").touch()
    result = doctor(cluster.settings_file, INCUS_WEBUI_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}",
                    INCUS_WEBUI_ADDRESSES='["https://127.0.0.1:1"]')
    found = problems(result)
    assert len(found) == 2, result.stdout
    assert found[0].endswith("is not migrated to " + db.HEAD + ": run `incus-webui db upgrade`")
    assert found[1].startswith("incus: Incus is unreachable: https://127.0.0.1:1:")
    assert found[1].endswith("check addresses, socket or remote, and that Incus runs there")
    assert result.returncode == 1


def test_a_missing_database_file_is_not_created(cluster, tmp_path):
    missing = tmp_path / "nowhere.db"
    result = doctor(cluster.settings_file, INCUS_WEBUI_DATABASE_URL=f"sqlite:///{missing}")
    assert problems(result)[0] == (
        f"database: sqlite:///{missing} does not exist: run `incus-webui db upgrade` (or fix database_url)"
    )
    assert not missing.exists()


def test_a_read_only_database_is_a_problem(cluster, migrated):
    path = migrated.removeprefix("sqlite:///")
    result = doctor(cluster.settings_file, INCUS_WEBUI_DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true")
    assert any(p.startswith("database: not writable (attempt to write a readonly database)") for p in problems(result))


def test_a_healthy_set_up_has_no_problems(cluster, migrated):
    from webui.auth import store

    engine = db.make_engine(migrated)
    store.add_user(engine, "alice", "admin", "correct horse battery staple")
    engine.dispose()
    result = doctor(cluster.settings_file, INCUS_WEBUI_DATABASE_URL=migrated)
    assert result.stdout.splitlines()[-1] == "no problems found"
    assert result.returncode == 0


def test_it_shows_where_handed_out_urls_point(cluster, migrated):
    shown = doctor(cluster.settings_file, INCUS_WEBUI_DATABASE_URL=migrated,
                   INCUS_WEBUI_PUBLIC_URL="https://dash.example.test/").stdout.splitlines()
    assert "  public_url = 'https://dash.example.test'  (variable INCUS_WEBUI_PUBLIC_URL)" in shown
    assert "urls: a display's URL starts with https://dash.example.test/noc" in shown
    proxied = doctor(cluster.settings_file, "--port", "9123", INCUS_WEBUI_DATABASE_URL=migrated,
                     INCUS_WEBUI_FORWARDED_ALLOW_IPS='["127.0.0.1"]').stdout.splitlines()
    assert "urls: a display's URL starts with http://127.0.0.1:9123/noc (behind a proxy: set public_url)" in proxied


def test_a_public_url_that_is_not_a_url_is_refused(cluster, migrated):
    result = doctor(cluster.settings_file, INCUS_WEBUI_DATABASE_URL=migrated, INCUS_WEBUI_PUBLIC_URL="dash.test")
    assert result.returncode != 0 and "public_url: an http(s) URL with a host" in result.stderr
