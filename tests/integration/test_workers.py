"""`workers` > 1: several server processes on one port (webui/workers.py)."""

from pathlib import Path

import pytest

from tests.conftest import Dashboard, edit_member

pytestmark = pytest.mark.cluster


def test_streams_are_spread_over_the_workers_and_each_gets_every_change(cluster, tmp_path, restore_description):
    server = Dashboard(cluster.settings_file, tmp_path / "webui.db", INCUS_WEBUI_WORKERS="2")
    streams = [server.stream("/stream?topic=members") for _ in range(12)]
    try:
        firsts = [s.wait_for(lambda f: f.event == "members", timeout=30) for s in streams]
        # Each process names its snapshot versions with its own prefix.
        assert len({frame.id.split("-")[0] for frame in firsts}) == 2
        edit_member(cluster, restore_description, description="to the streams of every worker")
        for stream in streams:
            stream.wait_for(lambda f: "to the streams of every worker" in f.data, timeout=15)
        pid = server.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(children) == 2
        server.process.terminate()  # passed on to both workers, which end their streams and exit
        server.process.wait(timeout=30)
        assert not any(Path(f"/proc/{child}").exists() for child in children)
    finally:
        for stream in streams:
            stream.close()
        server.stop()
