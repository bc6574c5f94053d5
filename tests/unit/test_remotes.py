from pathlib import Path

import pytest

from webui.incus.remotes import load_remote
from webui.settings import Settings

CONFIG = """
default-remote: prod
remotes:
  prod:
    addr: https://10.0.0.1:8443,https://10.0.0.2:8443
    auth_type: tls
    project: default
    protocol: incus
    public: false
  here:
    addr: unix:///run/custom/unix.socket
  sso:
    addr: https://sso.example:8443
    auth_type: oidc
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    (tmp_path / "config.yml").write_text(CONFIG)
    (tmp_path / "client.crt").write_text("cert")
    (tmp_path / "client.key").write_text("key")
    (tmp_path / "servercerts").mkdir()
    (tmp_path / "servercerts" / "prod.crt").write_text("pinned")
    return tmp_path


def test_a_remote_lists_every_address_and_its_pinned_certificate(conf: Path):
    connection = load_remote("prod", conf)
    assert connection.addresses == ["https://10.0.0.1:8443", "https://10.0.0.2:8443"]
    assert connection.client_cert == conf / "client.crt"
    assert connection.server_cert == conf / "servercerts" / "prod.crt"


def test_a_per_remote_client_certificate_wins(conf: Path):
    (conf / "clientcerts").mkdir()
    (conf / "clientcerts" / "prod.crt").write_text("own")
    (conf / "clientcerts" / "prod.key").write_text("own")
    assert load_remote("prod", conf).client_cert == conf / "clientcerts" / "prod.crt"


def test_a_unix_remote_uses_its_socket(conf: Path):
    assert load_remote("here", conf).socket == Path("/run/custom/unix.socket")


def test_unknown_and_unsupported_remotes_say_why(conf: Path):
    with pytest.raises(ValueError, match=r'remote "nope" not found .* \(known: here, prod, sso\)'):
        load_remote("nope", conf)
    with pytest.raises(ValueError, match="oidc"):
        load_remote("sso", conf)


def test_settings_find_the_remote_through_incus_conf(conf: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INCUS_CONF", str(conf))
    assert Settings(remote="prod").connection().addresses[1] == "https://10.0.0.2:8443"


def test_settings_without_any_incus_say_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("INCUS_SOCKET", "")
    monkeypatch.delenv("INCUS_DIR", raising=False)
    monkeypatch.setattr("webui.incus.remotes.DEFAULT_SOCKETS", (tmp_path / "none.socket",))
    with pytest.raises(ValueError, match="--remote"):
        Settings().connection()
