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


def _remotes(directory: Path) -> dict[str, dict[str, object]]:
    config_file = directory / "config.yml"
    if not config_file.exists():
        raise ValueError(f"no incus CLI configuration at {config_file}")
    return (yaml.safe_load(config_file.read_text()) or {}).get("remotes") or {}


IMAGE_PROTOCOLS = ("simplestreams", "oci")  # image servers, not Incus servers


def server_remotes(directory: Path | None = None) -> list[str]:
    """The CLI's remotes that are Incus servers (not image servers), in its file's order."""
    remotes = _remotes(directory or config_dir())
    return [name for name, remote in remotes.items() if remote.get("protocol", "incus") not in IMAGE_PROTOCOLS]


def load_remote(name: str, directory: Path | None = None) -> Connection:
    """Connection settings for the CLI remote `name`; ValueError says what is missing."""
    directory = directory or config_dir()
    remotes = _remotes(directory)
    if name not in remotes:
        known = ", ".join(sorted(remotes)) or "none"
        raise ValueError(f'remote "{name}" not found in {directory / "config.yml"} (known: {known})')
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
