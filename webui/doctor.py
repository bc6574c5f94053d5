"""`incus-webui doctor`: the effective settings and where each came from, then the database
and Incus checked as `serve` would use them; one line per problem, saying what to do."""

import asyncio
import os
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from webui import db
from webui.auth import store
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.incus.transport import Connection
from webui.settings import Settings


def origins(flags: dict[str, Any], config_file: Path | None) -> dict[str, str]:
    """Where each setting's value came from, in Settings.load's order: flag, variable, file, default."""
    in_file = tomllib.loads(config_file.read_text()) if config_file and config_file.is_file() else {}
    variables = {name.upper() for name in os.environ}
    found = {}
    for name in Settings.model_fields:
        variable = f"INCUS_WEBUI_{name.upper()}"
        if flags.get(name) is not None:
            found[name] = "flag"
        elif variable in variables:
            found[name] = f"variable {variable}"
        elif name in in_file:
            found[name] = f"file {config_file}"
        else:
            found[name] = "default"
    return found


def _shown(name: str, value: object) -> str:
    if name == "database_url":
        return make_url(str(value)).render_as_string(hide_password=True)
    return "unset" if value is None else str(value) if isinstance(value, Path) else repr(value)


def check_database(url: str, cluster: str) -> tuple[list[str], list[str]]:
    """(findings, problems): can it be opened, is it migrated, may this user write to it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not parsed.query.get("uri"):
        if not Path(parsed.database).exists():  # opening it would create it, empty
            return [], [f"database: {url} does not exist: run `incus-webui db upgrade` (or fix database_url)"]
    try:
        engine = db.make_engine(url)
    except db.DriverMissing as exc:
        return [], [f"database: {exc}"]
    try:
        return _check_database(engine, _shown("database_url", url), cluster)
    except SQLAlchemyError as exc:
        reason = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        return [], [f"database: cannot use {_shown('database_url', url)} ({reason}): check database_url"]
    finally:
        engine.dispose()


def _check_database(engine: Engine, shown: str, cluster: str) -> tuple[list[str], list[str]]:
    if db.pending_migrations(engine):
        return [], [f"database: {shown} is not migrated to {db.HEAD}: run `incus-webui db upgrade`"]
    findings = [f"database: {shown}, migrated ({db.HEAD})"]
    with engine.connect() as connection:  # a write that changes nothing, rolled back
        try:
            connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            return findings, [f"database: not writable ({reason}): give the service's user write access"]
        connection.rollback()
    findings.append("database: writable")
    if engine.dialect.name == "postgresql":
        findings.append(_watcher(engine, cluster))
    if not store.has_users(engine):
        return findings, ["database: no accounts: create one with `incus-webui user add NAME --role admin`"]
    return findings, []


def _watcher(engine: Engine, cluster: str) -> str:
    """Which dashboard process watches `cluster` for the others sharing this database (their
    election, webui/live/leadership.py), as PostgreSQL's lock table has it."""
    from webui.live.leadership import electorate_query, leader_name, leader_query  # needs psycopg: PostgreSQL only

    with engine.connect() as connection:
        leader = leader_name(connection.execute(text(leader_query(cluster))).first())
        processes = connection.execute(text(electorate_query())).scalar()
    if not leader:
        return f"watcher: no dashboard process leads ({processes} running on this database)"
    return f"watcher: process {leader} watches Incus for the {processes} dashboard processes on this database"


async def _probe(connection: Connection) -> dict[str, Any]:
    client = IncusClient(connection)
    try:
        server = await client.server()
        members = await client.members() if server.get("environment", {}).get("server_clustered") else []
        return {"server": server, "members": len(members), "endpoint": client.transport.current}
    finally:
        await client.aclose()


def check_incus(settings: Settings) -> tuple[list[str], list[str]]:
    """(findings, problems): which member answers, how it is trusted, what it supports."""
    try:
        connection = settings.connection()
    except (ValueError, OSError) as exc:
        return [], [f"incus: {exc}"]
    try:
        found = asyncio.run(_probe(connection))
    except IncusError as exc:
        return [], [f"incus: {exc}: check addresses, socket or remote, and that Incus runs there"]
    server, env = found["server"], found["server"].get("environment", {})
    if connection.socket:
        trust = f"unix socket {connection.socket} (no certificate needed)"
    elif connection.server_cert:
        trust = f"certificate pinned ({connection.server_cert})"
    else:
        trust = "certificate checked against the system's CAs (not pinned)"
    shape = f"cluster of {found['members']} members" if env.get("server_clustered") else "standalone server"
    member, version = env.get("server_name", "?"), env.get("server_version", "?")
    findings = [
        f"incus: reached {found['endpoint']}, member {member}, Incus {version}",
        f"incus: {trust}; {len(server.get('api_extensions', []))} API extensions; {shape}",
    ]
    if server.get("auth") != "trusted":
        return findings, [
            "incus: the client certificate is not trusted: `incus config trust add-certificate client.crt` on a member"
        ]
    return findings, []


def report(settings: Settings, flags: dict[str, Any], config_file: Path | None) -> list[str]:
    """Prints the report; returns the problems (each one line saying what to do)."""
    print("settings (value, and where it came from):")
    for name, origin in origins(flags, config_file).items():
        print(f"  {name} = {_shown(name, getattr(settings, name))}  ({origin})")
    print(f"urls: a display's URL starts with {settings.dashboard_url()}/noc" + (
        "" if settings.public_url or not settings.forwarded_allow_ips else " (behind a proxy: set public_url)"
    ))
    problems = []
    if tls := settings.tls_problem():
        problems.append(f"tls: {tls}")
    for findings, found in (check_database(settings.database_url, settings.cluster()), check_incus(settings)):
        for line in findings:
            print(line)
        problems += found
    return problems
