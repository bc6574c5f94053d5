"""incus-webui serve | db upgrade | dev-cluster | demo"""

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

from webui import db
from webui.settings import Settings


def serve(settings: Settings) -> None:
    from webui.app import create_app

    try:
        app = create_app(settings)
    except ValueError as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per upstream request
    print(f"incus-webui: serving on http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", timeout_graceful_shutdown=5)


def demo(members: int, host: str, port: int) -> None:
    """A real local cluster (installed and formed if needed) and the dashboard serving it."""
    from webui import devcluster

    cluster = devcluster.up(members)
    database = f"sqlite:///{cluster.state_dir / 'webui.db'}"
    db.upgrade(database)
    settings = Settings.load(cluster.settings_file, host=host, port=port, database_url=database)
    print(f"incus-webui: demo cluster of {len(cluster.members)} members at {cluster.state_dir}")
    print(f"incus-webui: the incus CLI reaches it with INCUS_CONF={cluster.incus_conf} incus cluster list dev:")
    serve(settings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="incus-webui", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="serve the dashboard")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--remote", help="a remote of the incus CLI's configuration ($INCUS_CONF)")
    p.add_argument("--config", type=Path, help="a TOML settings file")

    p = commands.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "downgrade"])
    p.add_argument("revision", nargs="?")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("dev-cluster", help="a real local Incus cluster on loopback", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)

    p = commands.add_parser("demo", help="bring up the local cluster and serve the dashboard on it")
    p.add_argument("members", nargs="?", type=int, default=3)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(Settings.load(args.config, host=args.host, port=args.port, remote=args.remote))
    elif args.command == "db":
        url = Settings.load(args.config).database_url
        if args.action == "upgrade":
            db.upgrade(url, args.revision or "head")
        else:
            db.downgrade(url, args.revision or "base")
        print(f"incus-webui: database {args.action} done ({url})")
    elif args.command == "dev-cluster":
        from webui import devcluster

        sys.exit(devcluster.main(args.args))
    elif args.command == "demo":
        demo(args.members, args.host, args.port)


if __name__ == "__main__":
    main()
