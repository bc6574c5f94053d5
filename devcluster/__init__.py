"""A real, local Incus cluster for development, demos, tests and benchmarks (not part of the
dashboard's package: it is never installed with it).

Several ``incusd`` daemons run on this one machine, each with its own
``INCUS_DIR`` under the state directory, and form a real cluster on loopback
addresses: ``memberN`` listens on ``127.0.0.N:8443``.

Usage::

    python -m devcluster up [N] [--incus 6.0|7.0] [--state-dir D]
    python -m devcluster upgrade MEMBER --to 7.0 [--state-dir D]
    python -m devcluster status [--state-dir D]
    python -m devcluster down [--purge] [--state-dir D]
    python -m devcluster add-member [NAME] [--state-dir D]
    python -m devcluster demo [N] [--host H] [--port P]

Files written into the state directory (default ``/var/tmp/incus-webui-dev``,
override with ``INCUS_WEBUI_DEV_DIR``)::

    cluster.json             member names, addresses and Incus lines (DevCluster.load)
    webui.toml               dashboard settings (addresses, client cert/key, server cert)
    cluster.crt              copy of the cluster certificate (shared by all members)
    incus-conf/              an INCUS_CONF directory for the ``incus`` CLI:
        config.yml           default-remote "dev" -> https://127.0.0.1:8443
        client.crt/.key      trusted client certificate (name "incus-webui")
        servercerts/dev.crt  the cluster certificate
    memberN/                 INCUS_DIR of memberN (unix.socket, database, ...)
        incusd.pid           pid of the daemon
        incusd.log           daemon stdout/stderr (warnings and errors)
    busybox.tar.gz           the tiny test image (alias "busybox")
    incus-7.0/root           the overlay of the cached sid root the 7.0 members run in (lines.py),
                             with /proc, /sys, /dev and their INCUS_DIRs bind-mounted inside

Incus 7.0 comes from a Debian sid root built once into ``../incus-webui-incus-7.0`` beside the
state directory (``INCUS_WEBUI_INCUS7_CACHE`` overrides), shared by the state directories there.

Standard library only, except ``demo`` (it runs the dashboard).
"""

from devcluster.cluster import CONTAINER_PREFIX, DEFAULT_STATE_DIR, SUBNET, DevCluster
from devcluster.daemons import INCUSD, PORT
from devcluster.formation import up
from devcluster.incus_cli import INCUS, IncusCommandError
from devcluster.messages import DevClusterError
from devcluster.teardown import down

__all__ = [
    "CONTAINER_PREFIX",
    "DEFAULT_STATE_DIR",
    "INCUS",
    "INCUSD",
    "PORT",
    "SUBNET",
    "DevCluster",
    "DevClusterError",
    "IncusCommandError",
    "down",
    "up",
]
