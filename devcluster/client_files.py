"""What a dev cluster leaves for its clients: the incus CLI's configuration (one remote, the
cluster) and the dashboard's webui.toml, each file replaced whole and only when it changed,
so a CLI or dashboard reading it never meets half a file."""

import json
from pathlib import Path

REMOTE_NAME = "dev"  # the remote of the CLI configuration in incus-conf/


def cli_config(url: str) -> str:
    """The incus CLI's config.yml: the cluster as its default remote."""
    return (
        f"default-remote: {REMOTE_NAME}\n"
        "remotes:\n"
        f"  {REMOTE_NAME}:\n"
        f"    addr: {url}\n"
        "    auth_type: tls\n"
        "    project: default\n"
        "    protocol: incus\n"
        "    public: false\n"
        "aliases: {}\n"
    )


def webui_toml(urls: dict[str, str], client_cert: Path, client_key: Path, server_cert: Path, database: str) -> str:
    """The dashboard's settings for the cluster whose members are at `urls` (the first leads)."""
    return (
        "# Written by devcluster - local development Incus cluster.\n"
        f"# Members: {', '.join(f'{m}={url}' for m, url in urls.items())}\n"
        f"addresses = [{_toml_str(next(iter(urls.values())))}]\n"
        f"client_cert = {_toml_str(str(client_cert))}\n"
        f"client_key = {_toml_str(str(client_key))}\n"
        f"server_cert = {_toml_str(str(server_cert))}\n"
        f"database_url = {_toml_str(database)}\n"
    )


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string for these values


def write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
