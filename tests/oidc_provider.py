"""A real OpenID provider for the OIDC tests: `oidc-provider` from npm (tests/oidc, installed by
scripts/install), run with the machine's Node 20 on a free loopback port, with one client (the
dashboard) and accounts in two groups. Started and stopped by its fixture, by PID.

And a dashboard of the test's own pointed at it: signing in needs no Incus, so it runs with no
cluster behind it (the pages say Incus is unreachable)."""

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import RSAKey

from tests.conftest import ROOT, Dashboard, free_port

NODE = "/usr/bin/node"
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "incus-webui"
CLIENT_SECRET = "a client secret for the tests only"
# Two groups: admins and operators; and someone in a group that maps to no role.
ACCOUNTS = {
    "ann": {"groups": ["incus-admins"]},
    "olga": {"groups": ["staging-ops", "everyone"]},
    "nick": {"groups": ["everyone"]},
}
ROLES = {"incus-admins": "admin", "staging-ops": {"default": "operator", "other-cluster": "admin"}}


def new_key(kid: str) -> dict:
    """A private RSA signing key, as a JWK."""
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)
    return key.as_dict(private=True)


class OidcProvider:
    """The provider, its one client allowed back to each of `dashboards` (their URLs)."""

    def __init__(self, folder: Path, dashboards: list[str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.config_file = folder / "provider.json"
        self.log_file = folder / "provider.log"
        client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [url + "/auth/oidc/callback" for url in dashboards],
            "post_logout_redirect_uris": [url + "/login" for url in dashboards],
        }
        self.config = {
            "issuer": self.issuer, "port": self.port, "keys": [new_key("first")], "clients": [client],
            "accounts": ACCOUNTS,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.config_file.write_text(json.dumps(self.config))
        with self.log_file.open("a") as log:
            self.process = subprocess.Popen([NODE, str(SCRIPT), str(self.config_file)], stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, f"oidc-provider exited: {self.log_file.read_text()}"
            try:
                if httpx.get(self.issuer + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "oidc-provider did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def rotate_key(self, kid: str) -> None:
        """A new signing key in front (the old one still published), as a provider rotates."""
        self.config["keys"] = [new_key(kid), *self.config["keys"]]
        self.restart()

    def set_groups(self, account: str, groups: list[str]) -> None:
        """The account's groups from now on (the provider reads them at each sign-in and refresh)."""
        self.config["accounts"] = {**self.config["accounts"], account: {"groups": groups}}
        self.config_file.write_text(json.dumps(self.config))


def oidc_dashboard(folder: Path, issuer: str, port: int, personas: bool = True, **env: str) -> Dashboard:
    """A dashboard on `port` signing in through the provider, with no Incus behind it."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / "webui.toml"
    # The cluster its per-cluster group maps name (ROLES): "default".
    settings.write_text(f'socket = "{folder / "no-incus.socket"}"\ncluster_name = "default"\n')
    secret = folder / "client-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    return Dashboard(
        settings, folder / "webui.db", port=port, needs_incus=False, personas=personas,
        INCUS_WEBUI_OIDC_ISSUER=issuer,
        INCUS_WEBUI_OIDC_CLIENT_ID=CLIENT_ID,
        INCUS_WEBUI_OIDC_CLIENT_SECRET_FILE=str(secret),
        INCUS_WEBUI_OIDC_SCOPES="openid profile email groups offline_access",
        INCUS_WEBUI_OIDC_ROLES=json.dumps(ROLES),
        INCUS_WEBUI_OIDC_PROVIDER_NAME="Test ID",
        **env,
    )


def sign_in(client: httpx.Client, login: str, next_path: str = "/") -> httpx.Response:
    """Through the dashboard's "Sign in with" link and the provider's login form, as a browser
    would (`client` follows redirects); the reply where it ends."""
    form = client.get("/auth/oidc/login", params={"next": next_path}, follow_redirects=True)
    if "/interaction/" not in form.url.path:  # signed in at the provider already: straight back
        return form
    return submit_login(client, form, login)


def submit_login(client: httpx.Client, form: httpx.Response, login: str) -> httpx.Response:
    """The provider's login form (`form`, the page that shows it) filled in and sent."""
    action = re.search(r'<form[^>]*action="([^"]+)"', form.text)
    assert action, f"no login form at {form.url}: {form.text[:500]}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
    return client.post(
        form.url.join(action.group(1)), data={**hidden, "login": login, "password": "any"}, follow_redirects=True
    )


# The dashboards a module may start against the provider, each on a port the provider's client
# knows: as configured for most tests, with the password form hidden, and re-reading groups
# every 3 seconds.
DASHBOARDS: dict[str, dict[str, str]] = {
    "main": {},
    "oidc-only": {"INCUS_WEBUI_OIDC_ONLY": "true"},
    "fast-refresh": {"INCUS_WEBUI_OIDC_REFRESH": "0.05"},
}


class OidcRig:
    """The provider, and the DASHBOARDS against it, each started when first asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ports = {name: free_port() for name in DASHBOARDS}
        self.provider = OidcProvider(folder / "provider", [f"http://127.0.0.1:{p}" for p in self.ports.values()])
        self.provider.start()
        self.started: dict[str, Dashboard] = {}

    def dashboard(self, name: str = "main") -> Dashboard:
        if name not in self.started:
            # With oidc_only the personas' password login (the fixture's admin) is refused.
            personas = name != "oidc-only"
            self.started[name] = oidc_dashboard(
                self.folder / name, self.provider.issuer, self.ports[name], personas, **DASHBOARDS[name]
            )
        return self.started[name]

    def stop(self) -> None:
        for dashboard in self.started.values():
            dashboard.stop()
        self.provider.stop()


@pytest.fixture(scope="module")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcRig]:
    rig = OidcRig(tmp_path_factory.mktemp("oidc"))
    yield rig
    rig.stop()


def callback_url(client: httpx.Client, login: str) -> str:
    """Through the provider's login form, up to the redirect to the dashboard's callback, which is
    not followed: its URL (with the code and state), for a test to send when and where it likes."""
    form = client.get("/auth/oidc/login", follow_redirects=True)
    action = re.search(r'<form[^>]*action="([^"]+)"', form.text)
    assert action, f"no login form at {form.url}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
    reply = client.post(form.url.join(action.group(1)), data={**hidden, "login": login, "password": "any"})
    while "/auth/oidc/callback" not in reply.headers.get("location", ""):
        assert reply.is_redirect, f"the provider did not send the browser back: {reply.status_code} {reply.text[:300]}"
        reply = client.get(reply.url.join(reply.headers["location"]))
    return reply.headers["location"]
