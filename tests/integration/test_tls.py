"""HTTPS without a proxy: `serve --tls-cert --tls-key`, Secure cookies and HSTS when on, and a
sentence instead of a traceback for a key that cannot serve."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.certs import make_certificate
from tests.conftest import Dashboard


def write_pair(folder: Path, name: str) -> tuple[Path, Path]:
    certificate, key = make_certificate()
    (folder / f"{name}.crt").write_text(certificate)
    (folder / f"{name}.key").write_text(key)
    return folder / f"{name}.crt", folder / f"{name}.key"


def serve(*flags: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webui.cli", "serve", *map(str, flags)],
                          capture_output=True, text=True, timeout=90)


@pytest.mark.cluster
def test_https_sets_secure_cookies_and_hsts(cluster, tmp_path):
    certificate, key = write_pair(tmp_path, "webui")
    server = Dashboard(cluster.settings_file, tmp_path / "webui.db", ca=certificate,
                       INCUS_WEBUI_TLS_CERT=str(certificate), INCUS_WEBUI_TLS_KEY=str(key))
    try:
        assert server.url.startswith("https://")
        reply = server.admin.get("/")
        assert reply.status_code == 200
        assert reply.headers["strict-transport-security"] == "max-age=31536000"
        fresh = server.login("operator")  # a new browser: the CSRF cookie, then the session
        try:
            names = {cookie.name for cookie in fresh.cookies.jar}
            assert names == {"__Host-incus_webui_csrf", "__Host-incus_webui_session"}
            assert all(cookie.secure for cookie in fresh.cookies.jar)
        finally:
            fresh.close()
    finally:
        server.stop()


@pytest.mark.cluster
def test_plain_http_sends_no_hsts(dashboard):
    assert "strict-transport-security" not in dashboard.get("/").headers


def test_a_key_of_another_certificate_is_refused_in_a_sentence(tmp_path):
    certificate, _ = write_pair(tmp_path, "one")
    _, other_key = write_pair(tmp_path, "two")
    result = serve("--tls-cert", certificate, "--tls-key", other_key)
    assert result.returncode == 1
    assert result.stderr.strip() == f"incus-webui: the key {other_key} does not belong to the certificate {certificate}"


def test_an_unreadable_certificate_is_refused_in_a_sentence(tmp_path):
    _, key = write_pair(tmp_path, "one")
    result = serve("--tls-cert", tmp_path / "missing.crt", "--tls-key", key)
    assert result.returncode == 1
    assert result.stderr.strip() == f"incus-webui: cannot read {tmp_path / 'missing.crt'}: No such file or directory"


def test_a_certificate_without_its_key_is_refused(tmp_path):
    certificate, _ = write_pair(tmp_path, "one")
    result = serve("--tls-cert", certificate)
    assert result.returncode == 1
    assert "tls_cert and tls_key go together" in result.stderr
