"""incus-webui serve | doctor | db | user | token | display | audit | systemd-unit"""

import argparse
import asyncio
import getpass
import logging
import os
import socket
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from sqlalchemy import Engine

from webui import db, doctor, workers
from webui.audit.keys import KeyMissing
from webui.audit.log import AuditLog, AuditUnavailable
from webui.audit.verify import verify
from webui.auth import second_factor, store
from webui.auth.passwords import generate_password
from webui.auth.roles import ROLES
from webui.identity import NO_ROLE, Actor, Identity
from webui.live.sse import EndedMidSend
from webui.services.accounts.signin import check_revocable
from webui.services.errors import Refused
from webui.settings import Settings

T = TypeVar("T")


class QueryFree(logging.Filter):
    """uvicorn's access log prints each request's path with its query string, where a wall
    display's first request carries its token: the path alone is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def serve(settings: Settings) -> None:
    from webui.app import create_app

    if problem := settings.tls_problem():
        raise SystemExit(f"incus-webui: {problem}")
    try:
        app = create_app(settings)
    except ValueError as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc
    # Timed: an upstream that stopped answering is read against what the browsers saw then.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per upstream request
    scheme = "https" if settings.tls_cert else "http"
    print(f"incus-webui: serving on {scheme}://{settings.host}:{settings.port}/", flush=True)
    engine = db.make_engine(settings.database_url)
    if not store.has_users(engine):
        print("incus-webui: no accounts yet: create the first with `incus-webui user add NAME --role admin`")
    engine.dispose()
    logging.getLogger("uvicorn.access").addFilter(QueryFree())
    if settings.workers > 1:
        # Each worker builds its own app (watcher, hub, engine) after the fork.
        workers.serve(
            settings.workers, lambda: _serve_on(create_app(settings), settings, workers.shared_port(settings))
        )
    else:
        _serve_on(app, settings)


def _serve_on(app: object, settings: Settings, sock: socket.socket | None = None) -> None:
    # proxy_headers off, explicitly: uvicorn's would trust 127.0.0.1's X-Forwarded-For by default
    # and replace the socket's peer, which the audit log and single sign-on must keep. The
    # dashboard applies `forwarded_allow_ips` itself (webui/middleware/client_address.py).
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=5,
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
        proxy_headers=False,
        forwarded_allow_ips=[],
        backlog=workers.BACKLOG,
    )
    logging.getLogger("uvicorn.error").addFilter(EndedMidSend())  # once its logging is set up
    uvicorn.Server(config).run(sockets=[sock] if sock else None)


def systemd_unit() -> str:
    """The service unit shipped in the package, started by this installation's incus-webui."""
    script = Path(sys.executable).parent / "incus-webui"
    start = str(script) if script.exists() else f"{sys.executable} -m webui.cli"
    return (Path(__file__).parent / "incus-webui.service").read_text().replace("@EXECSTART@", start)


def confirm(question: str, yes: bool) -> None:
    """Destructive commands: `--yes`, or "yes" typed at a terminal; refused otherwise."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise SystemExit(f"incus-webui: {question}: refused without --yes (standard input is not a terminal)")
    if input(f"{question} Type yes to go on: ").strip().lower() != "yes":
        raise SystemExit("incus-webui: nothing done")


def cli_actor() -> Actor:
    """The system user running a command, as the audit log names them."""
    return Actor(Identity(getpass.getuser(), "", "cli"), "local")


def revoke(audit: AuditLog, action: str, item: str, change: Callable[[int], None]) -> None:
    """A revoke by id: refused, and recorded "denied", when the id names nothing to revoke."""
    if not item.isdigit():
        raise SystemExit(f"incus-webui: {item!r} is not an id: `list` shows them")
    try:
        check_revocable(audit, cli_actor(), action, int(item))
    except (Refused, AuditUnavailable) as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc
    recorded(audit, action, item, lambda: change(int(item)))


def recorded(
    audit: AuditLog, action: str, target: str, change: Callable[[], T], parameters: dict[str, Any] | None = None,
    outcome: Callable[[T], dict[str, Any]] | None = None,
) -> T:
    """A change made with this command, recorded in the audit log as any other: "requested"
    (with `parameters`), then its outcome (with what `outcome` says of the change's result),
    by the system user who ran it, via "cli". Refused when the record cannot be written, like
    the dashboard's own changes."""
    who = cli_actor()

    async def run() -> T:
        async with audit.action(who, action, target, parameters) as entry:
            done = change()
            entry.parameters.update(outcome(done) if outcome else {})
            return done

    try:
        return asyncio.run(run())
    except AuditUnavailable as exc:
        raise SystemExit(f"incus-webui: {exc.message}") from exc


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated): from standard input, or a new one to print once."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise SystemExit("incus-webui: no password on standard input")
        return password, False
    return generate_password(), True


def _dashboard_url(settings: Settings, host: str | None) -> str:
    """Where browsers reach the dashboard: --host, else public_url, else the settings' host and port."""
    if host:
        return f"{'https' if settings.tls_cert else 'http'}://{host}"
    return settings.dashboard_url()


def _wall_clusters(settings: Settings, asked: list[str] | None) -> list[str]:
    """The clusters a new display shows (none: all), each one the dashboard holds."""
    if not asked:
        return []
    held = [name for name, _ in settings.watched()]
    if unknown := [name for name in asked if name not in held]:
        raise SystemExit(f"incus-webui: no cluster called {', '.join(unknown)} (these are held: {', '.join(held)})")
    return list(dict.fromkeys(asked))


def accounts(args: argparse.Namespace, settings: Settings, engine: Engine, audit: AuditLog) -> None:
    def change(action: str, target: str, do: Callable[[], T]) -> T:
        return recorded(audit, action, target, do)

    try:
        if args.command == "user":
            if args.action == "add":
                password, generated = _password(args.password_stdin)
                change(
                    "add-user", args.name,
                    lambda: store.add_user(engine, args.name, args.role, password, args.break_glass),
                )
                kind = f"{args.role}, break-glass" if args.break_glass else args.role
                print(f"user {args.name} ({kind}) created" + (f"; password: {password}" if generated else ""))
            elif args.action == "passwd":
                password, generated = _password(args.password_stdin)
                change("set-password", args.name, lambda: store.set_password(engine, args.name, password))
                print(f"password of {args.name} changed" + (f": {password}" if generated else ""))
            elif args.action == "totp-reset":
                confirm(f"Remove {args.name}'s second factor and recovery codes?", args.yes)
                change("totp-reset", args.name, lambda: second_factor.reset(engine, args.name))
                print(f"second factor of {args.name} removed; where one is required, the next login enrols again")
            elif args.action == "disable":
                confirm(f"Disable {args.name}, ending their sessions and revoking their API tokens?", args.yes)
                change("disable-user", args.name, lambda: store.disable_user(engine, args.name))
                print(f"user {args.name} disabled; their sessions and API tokens no longer work")
            elif args.action in ("grant", "ungrant"):
                grant(args, settings, engine, audit)
            else:
                grants = store.all_grants(engine)
                for user in store.users(engine):
                    print(f"{user.name}\t{grants[user.id]}\t{'disabled' if user.disabled else 'active'}")
        elif args.command == "token":
            if args.action == "create":
                print(change("create-token", args.name, lambda: store.create_api_token(engine, args.name)))
            elif args.action == "revoke":
                confirm(f"Revoke API token {args.name}?", args.yes)
                revoke(audit, "revoke-token", args.name, lambda token_id: store.revoke_api_token(engine, token_id))
                print(f"token {args.name} revoked")
            else:
                for api_token, owner in store.api_tokens(engine):
                    state = f"revoked {api_token.revoked_at:%Y-%m-%d}" if api_token.revoked_at else "active"
                    print(f"{api_token.id}\t{owner}\tcreated {api_token.created_at:%Y-%m-%d}\t{state}")
        elif args.command == "display":
            if args.action == "create":
                clusters = _wall_clusters(settings, args.cluster)
                token = change("create-display", args.name, lambda: store.create_display(engine, args.name, clusters))
                wall = "/noc/clusters" if clusters or settings.clusters or settings.all_remotes else "/noc"
                print(f"{_dashboard_url(settings, args.host)}{wall}?token={token}")
            elif args.action == "revoke":
                confirm(f"Revoke display {args.name}? Its wall goes dark.", args.yes)
                revoke(audit, "revoke-display", args.name, lambda display_id: store.revoke_display(engine, display_id))
                print(f"display {args.name} revoked")
            else:
                for display in store.displays(engine):
                    shows = ", ".join(display.clusters or ()) or "every cluster"
                    print(f"{display.id}\t{display.name}\t{shows}\t{'revoked' if display.revoked_at else 'active'}")
    except store.AccountError as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc


def grant(args: argparse.Namespace, settings: Settings, engine: Engine, audit: AuditLog) -> None:
    """`user grant NAME ROLE [--cluster C]`, `user ungrant NAME --cluster C`, recorded with the
    roles before and after. A cluster the settings do not hold is refused: a typo would grant
    nothing, silently."""
    names = settings.cluster_names()
    if args.cluster and args.cluster not in names:
        raise SystemExit(f"incus-webui: no cluster {args.cluster!r} in the settings (they hold {', '.join(names)})")
    if args.action == "ungrant":
        if not args.cluster:
            raise SystemExit("incus-webui: user ungrant NAME --cluster CLUSTER (the role in all is changed with grant)")
        change = partial(store.ungrant, engine, args.name, args.cluster)
    elif not args.grant_role:
        raise SystemExit("incus-webui: user grant NAME ROLE [--cluster CLUSTER]")
    else:
        change = partial(store.grant, engine, args.name, args.grant_role, args.cluster)
    asked = {"cluster": args.cluster, "role": args.grant_role}
    recorded(
        audit, f"{args.action}-role", args.name, change, asked,
        lambda before: {"previous": before, "roles": str(store.grants_of(engine, args.name))},
    )
    print(f"{args.name}: {store.grants_of(engine, args.name)}")


def _migrated(settings: Settings) -> tuple[Engine, AuditLog]:
    url = settings.database_url
    engine = db.make_engine(url)
    if db.pending_migrations(engine):
        raise SystemExit(f"incus-webui: the database at {url} is not migrated: run `incus-webui db upgrade`")
    try:
        return engine, settings.audit_log(engine)
    except KeyMissing as exc:
        raise SystemExit(f"incus-webui: {exc}") from exc


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
        p.add_argument(
            "--remote", action="append",
            help="a remote of the incus CLI's configuration ($INCUS_CONF); again for each cluster to hold",
        )
        p.add_argument(
            "--all-remotes", action="store_true", default=None,
            help="every remote of the incus CLI that is an Incus server (image servers skipped)",
        )
        p.add_argument("--tls-cert", type=Path, help="serve HTTPS with this PEM certificate (chain)")
        p.add_argument("--tls-key", type=Path, help="and this PEM key")
        p.add_argument("--config", type=Path, help="a TOML settings file")

    p = commands.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "downgrade"])
    p.add_argument("revision", nargs="?", help="downgrade: to this revision (without: drop everything)")
    p.add_argument("--yes", action="store_true", help="downgrade without asking")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("user", help="local accounts")
    p.add_argument("action", choices=["add", "list", "passwd", "disable", "totp-reset", "grant", "ungrant"])
    p.add_argument("name", nargs="?", default="")
    p.add_argument(
        "grant_role", nargs="?", default="", metavar="role", choices=["", *ROLES, NO_ROLE],
        help=f"grant: the role ({NO_ROLE}: no access there)",
    )
    p.add_argument("--cluster", default="", help="grant, ungrant: the role in this cluster only (without: in all)")
    p.add_argument("--role", choices=list(ROLES), default="auditor")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--yes", action="store_true", help="disable or totp-reset without asking")
    p.add_argument("--break-glass", action="store_true", help="add: may log in with a password when oidc_only is set")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("token", help="API tokens: create USER prints a bearer token")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("name", nargs="?", default="", help="user (create) or token id (revoke)")
    p.add_argument("--yes", action="store_true", help="revoke without asking")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("display", help="NOC wall display tokens: create NAME prints its URL")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("name", nargs="?", default="", help="display name (create) or id (revoke)")
    p.add_argument("--host", help="host:port in the printed URL (default: the settings' host and port)")
    p.add_argument("--cluster", action="append", help="a cluster the wall shows (repeat; default: all)")
    p.add_argument("--yes", action="store_true", help="revoke without asking")
    p.add_argument("--config", type=Path)

    p = commands.add_parser("audit", help="check the audit log's chain, its key and its checkpoints")
    p.add_argument("action", choices=["verify"])
    p.add_argument("--config", type=Path)

    commands.add_parser("systemd-unit", help="print a systemd service unit for this installation")

    args = parser.parse_args(argv)
    try:
        run(parser, args)
    except db.DriverMissing as exc:  # every command but systemd-unit opens the database
        raise SystemExit(f"incus-webui: {exc}") from exc


def remote_flags(remotes: list[str]) -> dict[str, object]:
    """`--remote A`: the one cluster, as before; `--remote A --remote B`: a cluster each."""
    if len(remotes) > 1:
        return {"clusters": [{"name": name, "remote": name} for name in remotes]}
    return {"remote": remotes[0] if remotes else None}


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command == "systemd-unit":
        print(systemd_unit(), end="")
    elif args.command in ("serve", "doctor"):
        flags = {name: getattr(args, name) for name in ("host", "port", "tls_cert", "tls_key", "all_remotes")}
        flags |= remote_flags(args.remote or [])
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
        settings = Settings.load(args.config)
        url = settings.database_url
        if args.action == "upgrade":
            key = db.upgrade(
                url,
                args.revision or "head",
                settings.audit_key_path(),
                settings.audit_checkpoint_path(),
                tuple(settings.secret_keys),
            )
            if (args.revision or "head") == "head":
                # A log from before the key: its head checkpointed now, so it cannot be swapped later.
                _migrated(settings)[1].checkpoint()
            print(f"incus-webui: the audit log's key is {key}: keep it, and a copy, away from the database")
        else:
            if not args.revision:
                confirm(f"Drop every table of {url}, the audit log and the accounts included?", args.yes)
            db.downgrade(url, args.revision or "base")
        print(f"incus-webui: database {args.action} done ({url})")
    elif args.command in ("user", "token", "display"):
        if args.action != "list" and not args.name:
            parser.error(f"{args.command} {args.action} needs a name")
        settings = Settings.load(args.config)
        accounts(args, settings, *_migrated(settings))
    elif args.command == "audit":
        settings = Settings.load(args.config)
        engine, audit = _migrated(settings)
        verdict = verify(engine, audit.key, audit.checkpoints)
        if verdict.problem:
            raise SystemExit(f"audit log: {verdict.problem} ({verdict.records} records read)")
        print(f"audit log: {verdict.records} records, chain intact and signed, checkpoints matched")


if __name__ == "__main__":
    main()
