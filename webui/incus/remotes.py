"""Read a remote from the `incus` CLI's own configuration, as the CLI does (`shared/cliconfig`).

An admin who already uses `incus remote` needs no extra set-up: `--remote NAME` picks up the
remote's addresses (`addr` may list several, comma-separated), the client certificate and the
pinned server certificate.
"""

import os
from pathlib import Path

import yaml

from webui.incus.transport import Connection

DEFAULT_SOCKETS = (Path("/var/lib/incus/unix.socket"), Path("/run/incus/unix.socket"))


def config_dir() -> Path:
    """`$INCUS_CONF`, else `~/.config/incus`, like the CLI."""
    env = os.environ.get("INCUS_CONF")
    return Path(env) if env else Path.home() / ".config" / "incus"


def default_socket() -> Path | None:
    """The local daemon's socket, where the CLI would look for it."""
    for env in ("INCUS_SOCKET",):
        if os.environ.get(env):
            return Path(os.environ[env])
    if os.environ.get("INCUS_DIR"):
        return Path(os.environ["INCUS_DIR"]) / "unix.socket"
    return next((p for p in DEFAULT_SOCKETS if p.exists()), None)


def _pick(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def load_remote(name: str, directory: Path | None = None) -> Connection:
    """Connection settings for the CLI remote `name`; ValueError says what is missing."""
    directory = directory or config_dir()
    config_file = directory / "config.yml"
    if not config_file.exists():
        raise ValueError(f"no incus CLI configuration at {config_file}")
    remotes = (yaml.safe_load(config_file.read_text()) or {}).get("remotes") or {}
    if name not in remotes:
        known = ", ".join(sorted(remotes)) or "none"
        raise ValueError(f'remote "{name}" not found in {config_file} (known: {known})')
    remote = remotes[name]
    addr = str(remote.get("addr", ""))
    if addr.startswith("unix://"):
        path = addr.removeprefix("unix://")
        socket = Path(path) if path else default_socket()
        if socket is None:
            raise ValueError(f'remote "{name}" is the local unix socket, which does not exist here')
        return Connection(socket=socket)
    if remote.get("auth_type", "tls") != "tls":
        raise ValueError(f'remote "{name}" uses {remote["auth_type"]} authentication; only tls is supported')
    addresses = [a.strip() for a in addr.split(",") if a.strip()]
    return Connection(
        addresses=addresses,
        client_cert=_pick(directory / "clientcerts" / f"{name}.crt", directory / "client.crt"),
        client_key=_pick(directory / "clientcerts" / f"{name}.key", directory / "client.key"),
        server_cert=_pick(directory / "servercerts" / f"{name}.crt"),
    )
