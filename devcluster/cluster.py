"""The DevCluster: where a dev cluster's files are, its members and their addresses, and what
can be done to one member (run the incus CLI on it, freeze, stop, start, add or forget it).

Forming the whole cluster is `formation.up`; stopping it is `teardown.down`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devcluster import daemons, lines, processes
from devcluster.client_files import REMOTE_NAME, cli_config, webui_toml, write_if_changed
from devcluster.daemons import PORT
from devcluster.incus_cli import IncusCommandError, local_env, remote_env, run_incus
from devcluster.messages import DevClusterError, log

DEFAULT_STATE_DIR = Path(os.environ.get("INCUS_WEBUI_DEV_DIR", "/var/tmp/incus-webui-dev"))
# memberN listens on SUBNET.N: two clusters (tests and a benchmark, say) can run at once
# on different loopback subnets, e.g. INCUS_WEBUI_DEV_SUBNET=127.0.1.
SUBNET = os.environ.get("INCUS_WEBUI_DEV_SUBNET", "127.0.0")


def container_prefix(subnet: str) -> str:
    """Container names share the host's cgroup namespace across clusters: c1, c2… on the
    default subnet, s<third octet>c1… on another."""
    return "c" if subnet == "127.0.0" else f"s{subnet.split('.')[2]}c"


CONTAINER_PREFIX = container_prefix(SUBNET)
DATABASE = "webui.db"  # the demo dashboard's, in webui.toml (the tests give their own)


def _member_index(name: str) -> int | None:
    m = re.fullmatch(r"member(\d+)", name)
    return int(m.group(1)) if m else None


@dataclass
class DevCluster:
    state_dir: Path
    members: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)
    incus_lines: dict[str, str] = field(default_factory=dict)  # member -> the Incus line it runs ("6.0", "7.0")
    settings_file: Path = field(init=False)
    incus_conf: Path = field(init=False)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).absolute()
        self.settings_file = self.state_dir / "webui.toml"
        self.incus_conf = self.state_dir / "incus-conf"

    # ---- persistence -------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    @property
    def cluster_cert(self) -> Path:
        """Copy of the cluster certificate (the TLS certificate every member serves)."""
        return self.state_dir / "cluster.crt"

    @property
    def client_cert(self) -> Path:
        return self.incus_conf / "client.crt"

    @property
    def client_key(self) -> Path:
        return self.incus_conf / "client.key"

    @property
    def image_file(self) -> Path:
        return self.state_dir / "busybox.tar.gz"

    @classmethod
    def load(cls, state_dir: Path = DEFAULT_STATE_DIR) -> DevCluster:
        state_dir = Path(state_dir).absolute()
        data = json.loads((state_dir / "cluster.json").read_text())
        return cls(
            state_dir=state_dir,
            members=list(data["members"]),
            addresses=dict(data.get("addresses", {})),
            incus_lines=dict(data.get("incus", {})),
        )

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "members": self.members,
            "addresses": {m: self.address(m) for m in self.members},
            "incus": {m: self.line(m) for m in self.members},
            "urls": {m: self.url(m) for m in self.members},
            "incus_dirs": {m: str(self.incus_dir(m)) for m in self.members},
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(self.state_file)

    # ---- naming ----------------------------------------------------------

    @property
    def subnet(self) -> str:
        """The loopback subnet of the members: the first member's, else INCUS_WEBUI_DEV_SUBNET."""
        first = next(iter(self.addresses.values()), "")
        return first.rsplit(".", 1)[0] if first else SUBNET

    def address(self, name: str) -> str:
        if name in self.addresses:
            return self.addresses[name]
        idx = _member_index(name)
        if idx is None:
            raise KeyError(f"unknown member {name!r}")
        return f"{self.subnet}.{idx}"

    def url(self, name: str) -> str:
        return f"https://{self.address(name)}:{PORT}"

    def incus_dir(self, name: str) -> Path:
        return self.state_dir / name

    def line(self, name: str) -> str:
        """The Incus line the member runs: "6.0" (the host's packages) or "7.0" (the sid root)."""
        return self.incus_lines.get(name, lines.DEFAULT_LINE)

    def pid(self, name: str) -> int:
        return daemons.recorded_pid(self.incus_dir(name))

    # ---- process state -------------------------------------------------

    def daemon_pid(self, name: str) -> int | None:
        """The pid of this member's incusd if it is alive (frozen counts as alive)."""
        return daemons.running_pid(self.incus_dir(name))

    def is_running(self, name: str) -> bool:
        return self.daemon_pid(name) is not None

    def is_frozen(self, name: str) -> bool:
        pid = self.daemon_pid(name)
        return pid is not None and processes.is_stopped(pid)

    # ---- running the CLI ---------------------------------------------

    def cli_env(self, name: str) -> dict[str, str]:
        """The environment for the `incus` CLI to talk to `name` over its unix socket."""
        return local_env(self.incus_dir(name), self.state_dir / "cli-local")

    def incus(
        self,
        *args: str,
        member: str = "member1",
        check: bool = True,
        input: str | None = None,
        timeout: float | None = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``incus`` CLI against ``member``'s unix socket."""
        return run_incus(args, self.cli_env(member), f"member {member}", check=check, input=input, timeout=timeout)

    def incus_remote(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float | None = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``incus`` CLI over HTTPS with the dashboard's client certificate (INCUS_CONF=incus-conf)."""
        return run_incus(args, remote_env(self.incus_conf), "over HTTPS", check=check, input=input, timeout=timeout)

    def query(self, path: str, member: str = "member1", timeout: float | None = 60) -> Any:
        """``incus query`` (GET) returning parsed JSON."""
        r = self.incus("query", path, member=member, timeout=timeout)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def any_member(self, exclude: tuple[str, ...] = ()) -> str:
        for m in self.members:
            if m not in exclude and self.is_running(m) and not self.is_frozen(m):
                return m
        raise DevClusterError("no running member to talk to")

    def cluster_members(self, via: str | None = None, timeout: float = 30) -> list[dict[str, Any]]:
        """The cluster members as the API reports them (/1.0/cluster/members?recursion=1)."""
        via = via or self.any_member()
        return self.query("/1.0/cluster/members?recursion=1", member=via, timeout=timeout) or []

    def member_status(self, name: str, via: str | None = None) -> str | None:
        """'Online', 'Offline', 'Evacuated', ... or None if not a member."""
        via = via or self.any_member(exclude=(name,) if len(self.members) > 1 else ())
        for m in self.cluster_members(via=via):
            if m.get("server_name") == name:
                return m.get("status")
        return None

    def wait_status(self, name: str, status: str, timeout: float = 60, via: str | None = None) -> float:
        """Wait until the cluster shows ``name`` with ``status`` (case-insensitive); returns seconds waited."""
        t0 = time.monotonic()
        last = None
        while True:
            try:
                last = self.member_status(name, via=via)
            except (IncusCommandError, DevClusterError) as e:
                last = f"error: {e}"
            if last and last.lower() == status.lower():
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise DevClusterError(f"{name} did not become {status} within {timeout}s (last: {last})")
            time.sleep(0.5)

    def instances(self, member: str | None = None) -> list[dict[str, Any]]:
        member = member or self.any_member()
        return self.query("/1.0/instances?recursion=1", member=member) or []

    # ---- daemon control -------------------------------------------------

    def ensure_daemons(self, names: list[str]) -> list[str]:
        """Start the daemons of ``names`` that are not running, then wait for all. Returns started names."""
        started = []
        for n in names:
            pid = self.daemon_pid(n)
            if pid is not None:
                processes.continue_if_stopped(pid)
                continue
            self.launch_daemon(n)
            started.append(n)
        # All daemons must be launched before waiting: a clustered member only
        # becomes ready once the database has quorum.
        processes.parallel(lambda n: daemons.wait_ready(n, self.incus_dir(n), self.cli_env(n), 60), names)
        return started

    def launch_daemon(self, name: str) -> None:
        """Start the member's daemon on its line: the host's incusd, or the sid root's for 7.0."""
        if not daemons.port_closed(self.address(name)):
            raise DevClusterError(
                f"{self.address(name)}:{PORT} is already in use by another process; cannot start {name}"
            )
        root = None
        if self.line(name) == lines.CHROOT_LINE:
            root = lines.ensure_root(self.state_dir)
            self.incus_dir(name).mkdir(parents=True, exist_ok=True)
            lines.bind_member(root, self.incus_dir(name))
        daemons.launch(self.incus_dir(name), root)

    def freeze(self, name: str) -> None:
        """SIGSTOP the member's incusd (it stops answering heartbeats; its containers keep running)."""
        pid = self.daemon_pid(name)
        if pid is None:
            raise DevClusterError(f"{name} is not running")
        os.kill(pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        pid = self.daemon_pid(name)
        if pid is None:
            raise DevClusterError(f"{name} is not running")
        os.kill(pid, signal.SIGCONT)

    def stop_member(self, name: str, graceful: bool = False, timeout: float = 60) -> None:
        """Stop the member's incusd.

        Default: SIGKILL (like a crash; its containers keep running and are
        picked up again by start_member).  graceful=True: ``incus admin
        shutdown`` (stops its containers first; they restart on start_member).
        """
        pid = self.daemon_pid(name)
        if pid is None:
            return
        processes.continue_if_stopped(pid)
        if graceful:
            self.incus(
                "admin", "shutdown", "--timeout", str(int(timeout)), member=name, check=False, timeout=timeout + 10
            )
            if processes.wait_dead([pid], timeout):
                os.kill(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
        if processes.wait_dead([pid], 15):
            raise DevClusterError(f"{name} (pid {pid}) did not exit")
        daemons.port_closed(self.address(name))

    def start_member(self, name: str, timeout: float = 90) -> None:
        """Start the member's incusd again; wait until it is ready and Online in the cluster."""
        if name not in self.members:
            raise KeyError(f"unknown member {name!r}")
        self.ensure_daemons([name])
        self.wait_status(name, "Online", timeout=timeout, via=name)

    def reset_member_dir(self, name: str) -> None:
        """Kill the member's daemon and containers, and wipe its INCUS_DIR."""
        pid = self.daemon_pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            processes.wait_dead([pid], 15)
        processes.kill_processes(processes.own_processes(self.incus_dir(name)))
        lines.unbind_member(self.state_dir, self.incus_dir(name))
        processes.unmount_all(self.incus_dir(name))
        shutil.rmtree(self.incus_dir(name), ignore_errors=True)

    # ---- membership ------------------------------------------------------

    def join(self, name: str) -> None:
        leader = self.members[0]
        log(f"joining {name} ({self.address(name)})")
        r = self.incus("cluster", "add", name, "--quiet", member=leader, check=False)
        if r.returncode != 0 and "already" in (r.stderr or "").lower():
            self.incus("cluster", "revoke-token", name, member=leader, check=False)
            r = self.incus("cluster", "add", name, "--quiet", member=leader, check=False)
        if r.returncode != 0:
            raise IncusCommandError(r.returncode, r.args, r.stdout, r.stderr)
        token = r.stdout.strip().splitlines()[-1].strip()
        preseed = {
            "cluster": {
                "enabled": True,
                "server_name": name,
                "server_address": f"{self.address(name)}:{PORT}",
                "cluster_token": token,
                "member_config": [{"entity": "storage-pool", "name": "local", "key": "source", "value": ""}],
            }
        }
        self.incus("admin", "init", "--preseed", member=name, input=json.dumps(preseed))

    def write_client_files(self) -> None:
        """cluster.crt, the CLI's incus-conf/ and the dashboard's webui.toml, for the current members."""
        leader = self.members[0]
        src = self.incus_dir(leader) / "cluster.crt"
        if not src.exists():
            raise DevClusterError(f"{src} missing: is {leader} clustered?")
        cert = src.read_text()
        write_if_changed(self.cluster_cert, cert)
        write_if_changed(self.incus_conf / "servercerts" / f"{REMOTE_NAME}.crt", cert)
        write_if_changed(self.incus_conf / "config.yml", cli_config(self.url(leader)))
        urls = {m: self.url(m) for m in self.members}
        database = f"sqlite:///{self.state_dir / DATABASE}"
        toml = webui_toml(urls, self.client_cert, self.client_key, self.cluster_cert, database)
        write_if_changed(self.settings_file, toml)

    def _next_index(self) -> int:
        used = set()
        for m in self.members:
            used.add(int(self.address(m).rsplit(".", 1)[1]))
        for d in self.state_dir.glob("member*"):
            i = _member_index(d.name)
            if i is not None and d.name not in self.members:
                used.add(i)  # leftover directory: do not reuse blindly
        i = 1
        while i in used or daemons.listening(f"{self.subnet}.{i}"):
            i += 1
        if i > 254:
            raise DevClusterError(f"no free {self.subnet}.N address left")
        return i

    def add_member(self, name: str | None = None) -> str:
        """Start and join one more member (next free 127.0.0.N); returns its name."""
        if name is None:
            idx = self._next_index()
            name = f"member{idx}"
        else:
            if name in self.members:
                raise DevClusterError(f"{name} already exists")
            idx = _member_index(name) or self._next_index()
        if self.incus_dir(name).exists():
            self.reset_member_dir(name)
        self.addresses[name] = f"{self.subnet}.{idx}"
        if self.members:
            self.incus_lines[name] = self.line(self.members[0])  # a member joins on the cluster's line
        self.members.append(name)
        self.save()
        self.ensure_daemons([name])
        self.join(name)
        self.write_client_files()  # refresh the member list comment
        self.wait_status(name, "Online", timeout=60)
        return name

    def forget_member(self, name: str) -> None:
        """Get rid of a member for good: the cleanup after a remove test.

        Kills the member's daemon and its containers, force-removes it from the
        cluster if the cluster still lists it (e.g. the test failed before the
        removal), wipes its directory and drops it from cluster.json.  Safe to
        call whatever state the member is in, also for an unknown name.
        """
        if self.members and name == self.members[0]:
            raise DevClusterError(f"refusing to forget the bootstrap member {name}")
        self.reset_member_dir(name)
        try:
            via = self.any_member(exclude=(name,))
            if any(m.get("server_name") == name for m in self.cluster_members(via=via)):
                log(f"force-removing {name} from the cluster")
                self.incus("cluster", "remove", name, "--force", "--yes", member=via)
        except DevClusterError:
            pass  # no member left to ask
        if name in self.members:
            self.members.remove(name)
        self.addresses.pop(name, None)
        self.incus_lines.pop(name, None)
        self.save()
        if self.members:
            self.write_client_files()
