"""The dev cluster remembers which Incus line each member runs, and where the 7.0 root lives."""

import pytest

from devcluster import DevCluster, DevClusterError, lines


def test_each_members_line_survives_a_save_and_load(tmp_path):
    cluster = DevCluster(
        state_dir=tmp_path, members=["member1", "member2"],
        addresses={"member1": "127.0.112.1", "member2": "127.0.112.2"}, incus_lines={"member1": "7.0"},
    )
    cluster.save()
    loaded = DevCluster.load(tmp_path)
    assert (loaded.line("member1"), loaded.line("member2")) == ("7.0", "6.0")
    assert loaded.subnet == "127.0.112" and loaded.address("member5") == "127.0.112.5"


def test_only_the_two_lts_lines_are_known():
    assert lines.check_line("7.0") == "7.0"
    with pytest.raises(DevClusterError, match="choose one of 6.0, 7.0"):
        lines.check_line("8.0")


def test_the_70_root_is_cached_beside_the_state_folder_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("INCUS_WEBUI_INCUS7_CACHE", raising=False)
    assert lines.cache_dir(tmp_path / "state") == tmp_path / "incus-webui-incus-7.0"
    monkeypatch.setenv("INCUS_WEBUI_INCUS7_CACHE", str(tmp_path / "elsewhere"))
    assert lines.cache_dir(tmp_path / "state") == tmp_path / "elsewhere"
    assert lines.chroot_root(tmp_path / "state") == tmp_path / "state" / "incus-7.0" / "root"
