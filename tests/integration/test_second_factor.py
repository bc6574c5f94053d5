"""A second factor for local accounts (TOTP): enrolling from the account's page, giving the code
at login (once each), recovery codes (once each), local_admin_totp making admins enrol at their
next login, the CLI's reset, and each step in the audit log. No Incus cluster is needed."""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pyotp
import pytest

from tests.conftest import PASSWORD, PERSONAS, Dashboard, csrf_token, free_port
from tests.security.conftest import audit_rows


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """local_admin_totp: the admin persona (alice) must enrol at her next login."""
    folder = tmp_path_factory.mktemp("second-factor")
    settings = folder / "webui.toml"
    settings.write_text(f'socket = "{folder / "no-incus.socket"}"\n')
    server = Dashboard(settings, folder / "webui.db", port=free_port(), needs_incus=False,
                       INCUS_WEBUI_LOCAL_ADMIN_TOTP="true")
    yield server
    server.stop()


@contextmanager
def password_login(dashboard: Dashboard, role: str) -> Iterator[tuple[httpx.Client, httpx.Response]]:
    """A browser past the password form, and where it was sent next."""
    # What a browser says of every request its own pages make.
    with httpx.Client(base_url=dashboard.url, timeout=30, headers={"Sec-Fetch-Site": "same-origin"}) as client:
        client.get("/login")
        data = {"name": PERSONAS[role], "password": PASSWORD, "csrf_token": csrf_token(client)}
        yield client, client.post("/login", data=data)


def sent_to(dashboard: Dashboard, role: str) -> str:
    """Where the password form sends this persona."""
    with password_login(dashboard, role) as (_, reply):
        return reply.headers["location"]


def enrolment_secret(page: str) -> str:
    return re.search(r'name="secret" value="([A-Z2-7]{32})"', page).group(1)


def next_code(secret: str) -> str:
    """The code of the next time step: the current one may have been used by the enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def enrol(client: httpx.Client, path: str) -> tuple[str, list[str]]:
    """Enrolled through the form at `path`: the secret and the recovery codes shown."""
    page = client.get(path).text
    assert "<svg" in page  # the QR code
    secret = enrolment_secret(page)
    wrong = client.post(path, data={"secret": secret, "code": "000000", "csrf_token": csrf_token(client)})
    assert wrong.status_code == 422 and "Wrong code" in wrong.text
    now = pyotp.TOTP(secret).now()
    done = client.post(path, data={"secret": secret, "code": now, "csrf_token": csrf_token(client)})
    assert done.status_code == 200 and "not shown again" in done.text
    return secret, re.findall(r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>", done.text)


def test_an_operator_enrols_then_gives_a_code_at_each_login(dashboard):
    with password_login(dashboard, "operator") as (client, reply):
        assert reply.headers["location"] == "/"  # no second factor yet: signed in
        secret, codes = enrol(client, "/account/second-factor")
        assert len(codes) == 10
    with password_login(dashboard, "operator") as (client, reply):
        assert reply.headers["location"] == "/login/code"
        assert client.get("/", follow_redirects=False).status_code == 303  # not signed in yet
        token = csrf_token(client)
        wrong = client.post("/login/code", data={"code": "123456", "csrf_token": token})
        assert wrong.status_code == 401 and "Wrong code" in wrong.text
        code = next_code(secret)
        done = client.post("/login/code", data={"code": code, "csrf_token": token})
        assert done.status_code == 303 and client.get("/").status_code == 200
    with password_login(dashboard, "operator") as (client, _):  # the same code again: refused
        again = client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client)})
        assert again.status_code == 401
        by_recovery = client.post("/login/code", data={"code": codes[0], "csrf_token": csrf_token(client)})
        assert by_recovery.status_code == 303
    with password_login(dashboard, "operator") as (client, _):  # a recovery code is good once
        assert client.post("/login/code", data={"code": codes[0], "csrf_token": csrf_token(client)}).status_code == 401
    logins = audit_rows(dashboard, action="login", target=PERSONAS["operator"])
    assert [r.parameters.get("second_factor") for r in logins if r.outcome == "succeeded"][-2:] == [
        "code", "recovery code"
    ]
    assert audit_rows(dashboard, action="totp-enrol", target=PERSONAS["operator"])[-1].outcome == "succeeded"


def test_local_admin_totp_makes_an_admin_enrol_at_login(dashboard):
    with password_login(dashboard, "admin") as (client, reply):
        assert reply.headers["location"] == "/login/enrol"
        assert client.get("/settings", follow_redirects=False).status_code == 303  # not signed in yet
        enrol(client, "/login/enrol")
        assert client.get("/settings").status_code == 200  # signed in by the enrolment
    with password_login(dashboard, "admin") as (client, reply):
        assert reply.headers["location"] == "/login/code"


def test_wrong_codes_end_the_login_after_five(dashboard):
    with password_login(dashboard, "admin") as (client, reply):
        assert reply.headers["location"] == "/login/code"
        for _ in range(5):
            client.post("/login/code", data={"code": "000000", "csrf_token": csrf_token(client)})
        gone = client.post("/login/code", data={"code": "000000", "csrf_token": csrf_token(client)})
        assert gone.status_code == 401 and "log in again" in gone.text


def test_the_cli_resets_a_second_factor(dashboard):
    name = PERSONAS["auditor"]
    with password_login(dashboard, "auditor") as (client, _):
        enrol(client, "/account/second-factor")
    assert sent_to(dashboard, "auditor") == "/login/code"
    reset = dashboard.cli("user", "totp-reset", name, "--yes")
    assert reset.returncode == 0, reset.stderr
    with password_login(dashboard, "auditor") as (client, reply):
        assert reply.headers["location"] == "/"
    assert audit_rows(dashboard, action="totp-reset", target=name)[-1].outcome == "succeeded"


def test_password_logins_stopping_at_the_code_are_throttled(dashboard):
    """Each password login that gives no code counts: the codes cannot be guessed without end."""
    for _ in range(6):  # login_max_failures (5) at most, fewer when earlier tests stopped there too
        with password_login(dashboard, "admin") as (_, reply):
            if reply.status_code == 429:
                break
            assert reply.headers["location"] == "/login/code"
    else:
        pytest.fail("never throttled")


def test_bad_second_factor_forms_get_a_sentence(dashboard):
    with password_login(dashboard, "operator") as (client, _):
        token = csrf_token(client)
        too_long = client.post("/login/code", data={"code": "9" * 41, "csrf_token": token})
        assert too_long.status_code == 400 and "Traceback" not in too_long.text
    with httpx.Client(base_url=dashboard.url, headers={"Sec-Fetch-Site": "same-origin"}) as stranger:
        stranger.get("/login")
        no_step = stranger.post("/login/code", data={"code": "123456", "csrf_token": csrf_token(stranger)})
        assert no_step.status_code == 401 and "log in again" in no_step.text
