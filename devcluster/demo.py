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


def demo(members: int, host: str, port: int, state_dir: Path = DEFAULT_STATE_DIR, incus: str | None = None) -> None:
    """A real local cluster (installed and formed if needed) and the dashboard serving it,
    with an `admin` account whose password is kept in the demo's state folder."""
    cluster = up(members, state_dir, incus)
    database = f"sqlite:///{cluster.state_dir / 'webui.db'}"
    db.upgrade(database)
    engine = db.make_engine(database)
    password_file = cluster.state_dir / "admin-password"
    if not any(u.name == "admin" for u in store.users(engine)):
        password_file.write_text(generate_password())
        password_file.chmod(0o600)
        store.add_user(engine, "admin", "admin", password_file.read_text())
    settings = Settings.load(cluster.settings_file, host=host, port=port, database_url=database)
    print(f"incus-webui: demo cluster of {len(cluster.members)} members at {cluster.state_dir}")
    print(f"incus-webui: the incus CLI reaches it with INCUS_CONF={cluster.incus_conf} incus cluster list dev:")
    print(f"incus-webui: open http://{host}:{port}/ and log in as admin, password {password_file.read_text()}")
    serve(settings)
