"""Forming a dev cluster: `up` starts the daemons, bootstraps the first member, joins the others,
and makes sure of the configuration, the image, the containers, the trusted client certificate
and the client files. Every step checks before it acts, so `up` also restarts a stopped cluster
or only confirms a running one.
"""

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devcluster import lines
from devcluster.certificates import fingerprint, generate_client_cert
from devcluster.client_files import REMOTE_NAME
from devcluster.cluster import DEFAULT_STATE_DIR, SUBNET, DevCluster, container_prefix
from devcluster.daemons import PORT
from devcluster.image import IMAGE_ALIAS, build_image
from devcluster.incus_cli import IncusCommandError
from devcluster.install import ensure_installed
from devcluster.messages import DevClusterError, log
from devcluster.processes import parallel

TRUST_NAME = "incus-webui"  # the client certificate's name in the cluster's trust store
OFFLINE_THRESHOLD = 11  # seconds; Incus requires > 10
STOP_TIMEOUT = 5  # boot.host_shutdown_timeout in the default profile


def _server_info(cl: DevCluster, name: str) -> dict[str, Any]:
    info: dict[str, Any] = cl.query("/1.0", member=name)
    return info


def _bootstrap(cl: DevCluster) -> None:
    name = cl.members[0]
    env = _server_info(cl, name).get("environment", {})
    if env.get("server_clustered"):
        return
    log(f"bootstrapping cluster on {name} ({cl.address(name)})")
    preseed = {
        "config": {
            "core.https_address": f"{cl.address(name)}:{PORT}",
            "images.auto_update_interval": "0",
            # NB: cluster.offline_threshold must not be set before the
            # server is clustered: on 6.0.4 that breaks PUT /1.0.
        },
        "storage_pools": [{"name": "local", "driver": "dir", "config": {}}],
        "profiles": [
            {
                "name": "default",
                "config": {"boot.host_shutdown_timeout": str(STOP_TIMEOUT)},
                "devices": {"root": {"path": "/", "pool": "local", "type": "disk"}},
            }
        ],
        "cluster": {"server_name": name, "enabled": True},
    }
    # YAML is a superset of JSON: feed the preseed as JSON.
    cl.incus("admin", "init", "--preseed", member=name, input=json.dumps(preseed))


def _ensure_joined(cl: DevCluster, names: list[str]) -> None:
    in_cluster = {m["server_name"] for m in cl.cluster_members(via=cl.members[0])}
    for n in names:
        if n in in_cluster:
            continue
        if _server_info(cl, n).get("environment", {}).get("server_clustered"):
            # Clustered, but not (any more) in this cluster: start afresh.
            cl.reset_member_dir(n)
            cl.ensure_daemons([n])
        cl.join(n)


def _ensure_config(cl: DevCluster) -> None:
    leader = cl.members[0]
    cfg = cl.query("/1.0", member=leader).get("config", {})
    if cfg.get("cluster.offline_threshold") != str(OFFLINE_THRESHOLD):
        cl.incus("config", "set", "cluster.offline_threshold", str(OFFLINE_THRESHOLD), member=leader)


def _ensure_image(cl: DevCluster) -> None:
    leader = cl.members[0]
    aliases = cl.query("/1.0/images/aliases?recursion=1", member=leader) or []
    if any(a.get("name") == IMAGE_ALIAS for a in aliases):
        return
    if not cl.image_file.exists():
        build_image(cl.image_file)
    log(f"importing image {cl.image_file.name} as {IMAGE_ALIAS!r}")
    cl.incus("image", "import", str(cl.image_file), "--alias", IMAGE_ALIAS, member=leader)


def _ensure_containers(cl: DevCluster, wanted: dict[str, str]) -> None:
    """wanted: container name -> target member. Create missing ones (running)."""
    existing = {i["name"] for i in cl.instances(member=cl.members[0])}
    todo = [(c, m) for c, m in wanted.items() if c not in existing]
    if todo:
        log("launching " + ", ".join(f"{c} on {m}" for c, m in todo))

    def launch(item: tuple[str, str]) -> None:
        c, m = item
        r = cl.incus("launch", IMAGE_ALIAS, c, "--target", m, "--quiet", member=cl.members[0], check=False)
        if r.returncode != 0:
            tolerate_start_failure(cl, m, c, r)

    parallel(launch, todo)


def tolerate_start_failure(cl: DevCluster, member: str, container: str, r: subprocess.CompletedProcess[str]) -> None:
    """A container that will not start on an Incus 7.0 member stays stopped, said aloud; anywhere
    else the failure stops `up`. The sid root's newer liblxc often cannot enter a cgroup v1 (hybrid)
    hierarchy such as this host's: "Failed to enter monitor cgroup" in the container's lxc.log."""
    if cl.line(member) != lines.CHROOT_LINE:
        raise IncusCommandError(r.returncode, r.args, r.stdout, r.stderr)
    log(f"{container} on {member} (Incus {lines.CHROOT_LINE}) did not start; it stays stopped: {r.stderr.strip()}")


def _resume_instances(cl: DevCluster) -> None:
    """Start the instances that down() stopped."""
    f = cl.state_dir / "resume.json"
    try:
        names = json.loads(f.read_text()).get("running", [])
    except (OSError, ValueError):
        return
    found = cl.instances(member=cl.members[0])
    status = {i["name"]: i.get("status") for i in found}
    location = {i["name"]: i.get("location", "") for i in found}
    todo = [n for n in names if status.get(n) == "Stopped"]
    if todo:
        log("starting instances " + ", ".join(todo))

    def start(name: str) -> None:
        # Right after a restart a member may still answer "Server isn't
        # ready yet" for instance operations for a moment.
        deadline = time.monotonic() + 60
        while True:
            r = cl.incus("start", name, member=cl.members[0], check=False)
            if r.returncode == 0 or "already running" in r.stderr:
                return
            if time.monotonic() > deadline or "ready" not in r.stderr:
                return tolerate_start_failure(cl, location.get(name, ""), name, r)
            time.sleep(0.5)

    parallel(start, todo)
    f.unlink()


def _wait_all_online(cl: DevCluster, timeout: float = 90, known_only: bool = False) -> None:
    """Wait until every member is Online (or Evacuated) in the cluster list.

    known_only: ignore members the cluster does not know (yet).
    After a restart of the daemons the database needs a few seconds
    (leader election, first heartbeat round); errors are retried.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            st = {m["server_name"]: m.get("status") for m in cl.cluster_members(via=cl.members[0], timeout=15)}
            wanted = [m for m in cl.members if m in st] if known_only else cl.members
            bad = {m: st.get(m) for m in wanted if st.get(m) not in ("Online", "Evacuated")}
            if not bad:
                return
            last = bad
        except (IncusCommandError, DevClusterError, ValueError) as e:
            last = str(e)
        if time.monotonic() > deadline:
            raise DevClusterError(f"members not online after {timeout}s: {last}")
        time.sleep(0.5)


def _ensure_trust(cl: DevCluster) -> None:
    leader = cl.members[0]
    if not (cl.client_cert.exists() and cl.client_key.exists()):
        generate_client_cert(cl.client_cert, cl.client_key)
    fp = fingerprint(cl.client_cert)
    certs = cl.query("/1.0/certificates?recursion=1", member=leader) or []
    if any(c.get("fingerprint") == fp for c in certs):
        return
    log("trusting client certificate " + fp[:12])
    cl.incus(
        "config",
        "trust",
        "add-certificate",
        str(cl.client_cert),
        "--name",
        TRUST_NAME,
        "--description",
        "incus-webui dev cluster client",
        member=leader,
    )


def _verify_https(cl: DevCluster) -> None:
    r = cl.incus_remote("cluster", "list", f"{REMOTE_NAME}:", "--format", "csv", check=False, timeout=30)
    if r.returncode != 0:
        raise DevClusterError(f"HTTPS access with {cl.incus_conf} failed: {r.stderr.strip()}")


def up(
    n: int = 3, state_dir: Path = DEFAULT_STATE_DIR, incus: str | None = None, subnet: str | None = None
) -> DevCluster:
    """Create (or restart, or just check) an n-member dev cluster in state_dir.

    incus: the Incus line of the members made now ("6.0", the default, or "7.0"); members that
    exist keep theirs (`DevCluster.upgrade_member` moves one). subnet: the loopback subnet of a
    new cluster (default INCUS_WEBUI_DEV_SUBNET); an existing one keeps its own."""
    line = lines.check_line(incus or lines.DEFAULT_LINE)
    if not 1 <= n <= 254:
        raise ValueError("n must be between 1 and 254")
    state_dir = Path(state_dir).absolute()
    if len(str(state_dir / "member254" / "guestapi" / "sock")) > 100:
        raise DevClusterError(f"state dir path too long for unix sockets: {state_dir}")
    if os.geteuid() != 0:
        raise DevClusterError("the dev cluster needs root")
    t0 = time.monotonic()
    ensure_installed()
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o711)
    try:
        cl = DevCluster.load(state_dir)
    except (OSError, ValueError, KeyError):
        cl = DevCluster(state_dir=state_dir)
    for i in range(1, n + 1):
        name = f"member{i}"
        if name not in cl.members and len(cl.members) < n:
            cl.members.append(name)
            cl.addresses[name] = f"{cl.subnet if cl.addresses else subnet or SUBNET}.{i}"
            cl.incus_lines[name] = line
    if incus is not None and (other := [m for m in cl.members if cl.line(m) != line]):
        log(f"{', '.join(other)} keep{'s' if len(other) == 1 else ''} the Incus line they run; `upgrade` moves one")
    if len(cl.members) > n:
        log(f"cluster already has {len(cl.members)} members; keeping them")
    cl.save()

    started = cl.ensure_daemons(cl.members)
    if started:
        log(f"started {', '.join(started)} ({time.monotonic() - t0:.1f}s)")
    containers = {f"{container_prefix(cl.subnet)}{i + 1}": m for i, m in enumerate(cl.members[:n])}
    steps: list[tuple[str, Callable[[DevCluster], None]]] = [
        ("bootstrap", _bootstrap),
        ("ready", lambda cl: _wait_all_online(cl, timeout=120, known_only=True) if started else None),
        ("join", lambda cl: _ensure_joined(cl, cl.members[1:])),
        ("online", lambda cl: _wait_all_online(cl, timeout=90)),
        ("config", _ensure_config),
        ("image", _ensure_image),
        ("containers", lambda cl: _ensure_containers(cl, containers)),
        ("resume", _resume_instances),
        ("trust", _ensure_trust),
        ("files", DevCluster.write_client_files),
        ("https", _verify_https),
    ]
    timings = []
    for label, fn in steps:
        t1 = time.monotonic()
        fn(cl)
        timings.append(f"{label} {time.monotonic() - t1:.1f}")
    if os.environ.get("INCUS_WEBUI_DEV_TIMINGS") == "1":
        log("step timings (s): " + ", ".join(timings))
    cl.save()
    log(f"up: {len(cl.members)} members ready in {time.monotonic() - t0:.1f}s")
    return cl
