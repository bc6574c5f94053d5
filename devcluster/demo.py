"""``python -m devcluster demo``: the dev cluster and the dashboard serving it, to try the
dashboard on a real cluster. The one module here that needs the dashboard's packages."""

from pathlib import Path

from devcluster.cluster import DEFAULT_STATE_DIR
from devcluster.formation import up
from webui import db
from webui.auth import store
from webui.auth.passwords import generate_password
from webui.cli import serve
from webui.settings import Settings


def prepare(
    members: int, host: str, port: int, state_dir: Path = DEFAULT_STATE_DIR, incus: str | None = None
) -> tuple[Settings, list[str]]:
    """A real local cluster (installed and formed if needed), its webui.toml completed with where
    the demo serves (so `incus-webui … --config webui.toml` is the demo's, for every subcommand),
    its database migrated, an `admin` account and a NOC wall display, both kept in the state
    folder. The settings to serve, and what to tell the user."""
    cluster = up(members, state_dir, incus)
    lines = cluster.settings_file.read_text().splitlines()
    kept = [line for line in lines if not line.startswith(("host =", "port ="))]
    cluster.settings_file.write_text("\n".join([*kept, f'host = "{host}"', f"port = {port}"]) + "\n")
    settings = Settings.load(cluster.settings_file)
    db.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url)
    password_file, wall_file = cluster.state_dir / "admin-password", cluster.state_dir / "noc-url"
    if not any(u.name == "admin" for u in store.users(engine)):
        password_file.write_text(generate_password())
        password_file.chmod(0o600)
        store.add_user(engine, "admin", "admin", password_file.read_text())
    if not wall_file.exists():
        wall_file.write_text(f"http://{host}:{port}/noc?token={store.create_display(engine, 'demo wall')}")
        wall_file.chmod(0o600)
    engine.dispose()
    return settings, [
        f"demo cluster of {len(cluster.members)} members at {cluster.state_dir}",
        f"the incus CLI reaches it with INCUS_CONF={cluster.incus_conf} incus cluster list dev:",
        f"the dashboard's CLI with incus-webui user list --config {cluster.settings_file}",
        f"open http://{host}:{port}/ and log in as admin, password {password_file.read_text()}",
        f"the NOC wall display: {wall_file.read_text()}",
    ]


def demo(members: int, host: str, port: int, state_dir: Path = DEFAULT_STATE_DIR, incus: str | None = None) -> None:
    """The demo cluster and the dashboard serving it, until interrupted."""
    settings, lines = prepare(members, host, port, state_dir, incus)
    for line in lines:
        print("incus-webui: " + line)
    serve(settings)
