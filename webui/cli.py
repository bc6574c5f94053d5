"""incus-webui serve | doctor | db | user | token | display | audit | systemd-unit"""

import argparse
import logging
import os
import sys
from pathlib import Path

import uvicorn
from sqlalchemy import Engine

from webui import db, doctor
from webui.audit.log import AuditLog
from webui.auth import store
from webui.auth.passwords import generate_password
from webui.auth.roles import ROLES
from webui.settings import Settings


def serve(settings: Settings) -> None:
    from webui.app import create_app

    if problem := settings.tls_problem():
        raise SystemExit(f"incus-webui: {problem}")
    try:
        app = create_app(settings)
    except ValueError as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per upstream request
    scheme = "https" if settings.tls_cert else "http"
    print(f"incus-webui: serving on {scheme}://{settings.host}:{settings.port}/", flush=True)
    engine = db.make_engine(settings.database_url)
    if not store.has_users(engine):
        print("incus-webui: no accounts yet: create the first with `incus-webui user add NAME --role admin`")
    engine.dispose()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
        # The client's address and scheme from X-Forwarded-* only when a trusted proxy sends them.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def systemd_unit() -> str:
    """The service unit shipped in the package, started by this installation's incus-webui."""
    script = Path(sys.executable).parent / "incus-webui"
    start = str(script) if script.exists() else f"{sys.executable} -m webui.cli"
    return (Path(__file__).parent / "incus-webui.service").read_text().replace("@EXECSTART@", start)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated): from standard input, or a new one to print once."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise SystemExit("incus-webui: no password on standard input")
        return password, False
    return generate_password(), True


def _dashboard_url(settings: Settings, host: str | None) -> str:
    """Where browsers reach the dashboard: --host, else the settings' host and port."""
    return f"{'https' if settings.tls_cert else 'http'}://{host or f'{settings.host}:{settings.port}'}"


def accounts(args: argparse.Namespace, engine: Engine, settings: Settings) -> None:
    try:
        if args.command == "user":
            if args.action == "add":
                password, generated = _password(args.password_stdin)
                store.add_user(engine, args.name, args.role, password)
                print(f"user {args.name} ({args.role}) created" + (f"; password: {password}" if generated else ""))
            elif args.action == "passwd":
                password, generated = _password(args.password_stdin)
                store.set_password(engine, args.name, password)
                print(f"password of {args.name} changed" + (f": {password}" if generated else ""))
            elif args.action == "disable":
                store.disable_user(engine, args.name)
                print(f"user {args.name} disabled; their sessions and API tokens no longer work")
            else:
                for user in store.users(engine):
                    print(f"{user.name}\t{user.role}\t{'disabled' if user.disabled else 'active'}")
        elif args.command == "token":
            if args.action == "create":
                print(store.create_api_token(engine, args.name))
            elif args.action == "revoke":
                store.revoke_api_token(engine, int(args.name))
                print(f"token {args.name} revoked")
            else:
                for api_token, owner in store.api_tokens(engine):
                    state = f"revoked {api_token.revoked_at:%Y-%m-%d}" if api_token.revoked_at else "active"
                    print(f"{api_token.id}\t{owner}\tcreated {api_token.created_at:%Y-%m-%d}\t{state}")
        elif args.command == "display":
            if args.action == "create":
                print(f"{_dashboard_url(settings, args.host)}/noc?token={store.create_display(engine, args.name)}")
            elif args.action == "revoke":
                store.revoke_display(engine, int(args.name))
                print(f"display {args.name} revoked")
            else:
                for display in store.displays(engine):
                    print(f"{display.id}\t{display.name}\t{'revoked' if display.revoked_at else 'active'}")
    except store.AccountError as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc


def _migrated(url: str) -> Engine:
    engine = db.make_engine(url)
    if db.pending_migrations(engine):
        raise SystemExit(f"incus-webui: the database at {url} is not migrated: run `incus-webui db upgrade`")
    return engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="incus-webui", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    for name, about in (
        ("serve", "serve the dashboard"),
        ("doctor", "show the settings in effect and where each came from; check the database and Incus"),
    ):
        p = commands.add_parser(name, help=about)
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        p.add_argument("--remote", help="a remote of the incus CLI's configuration ($INCUS_CONF)")
        p.add_argument("--tls-cert", type=Path, help="serve HTTPS with this PEM certificate (chain)")
        p.add_argument("--tls-key", type=Path, help="and this PEM key")
        p.add_argument("--config", type=Path, help="a TOML settings file")

    p = commands.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "downgrade"])
    p.add_argument("revision", nargs="?")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("user", help="local accounts")
    p.add_argument("action", choices=["add", "list", "passwd", "disable"])
    p.add_argument("name", nargs="?", default="")
    p.add_argument("--role", choices=list(ROLES), default="auditor")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("token", help="API tokens: create USER prints a bearer token")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("name", nargs="?", default="", help="user (create) or token id (revoke)")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("display", help="NOC wall display tokens: create NAME prints its URL")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("name", nargs="?", default="", help="display name (create) or id (revoke)")
    p.add_argument("--host", help="host:port in the printed URL (default: the settings' host and port)")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("audit", help="check the audit log's hash chain")
    p.add_argument("action", choices=["verify"])
    p.add_argument("--config", type=Path)

    commands.add_parser("systemd-unit", help="print a systemd service unit for this installation")

    args = parser.parse_args(argv)
    if args.command == "systemd-unit":
        print(systemd_unit(), end="")
    elif args.command in ("serve", "doctor"):
        flags = {name: getattr(args, name) for name in ("host", "port", "remote", "tls_cert", "tls_key")}
        settings = Settings.load(args.config, **flags)
        if args.command == "serve":
            serve(settings)
            return
        config_file = os.environ.get("INCUS_WEBUI_CONFIG")
        problems = doctor.report(settings, flags, Path(config_file) if config_file else None)
        for problem in problems:
            print("PROBLEM " + problem)
        if problems:
            raise SystemExit(1)
        print("no problems found")
    elif args.command == "db":
        url = Settings.load(args.config).database_url
        if args.action == "upgrade":
            db.upgrade(url, args.revision or "head")
        else:
            db.downgrade(url, args.revision or "base")
        print(f"incus-webui: database {args.action} done ({url})")
    elif args.command in ("user", "token", "display"):
        if args.action != "list" and not args.name:
            parser.error(f"{args.command} {args.action} needs a name")
        settings = Settings.load(args.config)
        accounts(args, _migrated(settings.database_url), settings)
    elif args.command == "audit":
        count, problem = AuditLog(_migrated(Settings.load(args.config).database_url)).verify()
        if problem:
            raise SystemExit(f"audit log: {problem} ({count} records read)")
        print(f"audit log: {count} records, chain intact")


if __name__ == "__main__":
    main()
