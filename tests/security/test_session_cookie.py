"""Over HTTPS the session cookie is `__Host-` prefixed, as the CSRF cookie is: a browser takes
such a cookie only from this very origin over HTTPS (Secure, Path=/, no Domain), so a sibling
subdomain or a plain-HTTP reply cannot plant one; and the dashboard reads no other name."""

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Dashboard
from tests.integration.test_tls import write_pair

pytestmark = pytest.mark.cluster


@pytest.fixture
def https_dashboard(cluster, tmp_path) -> Iterator[Dashboard]:
    certificate, key = write_pair(tmp_path, "webui")
    server = Dashboard(cluster.settings_file, tmp_path / "webui.db", ca=certificate,
                       INCUS_WEBUI_TLS_CERT=str(certificate), INCUS_WEBUI_TLS_KEY=str(key))
    yield server
    server.stop()


def test_over_https_the_session_cookie_is_host_prefixed(https_dashboard):
    session = [cookie for cookie in https_dashboard.admin.cookies.jar if cookie.name.endswith("incus_webui_session")]
    assert [cookie.name for cookie in session] == ["__Host-incus_webui_session"]
    assert session[0].secure and session[0].path == "/" and not session[0].domain_specified


def test_over_https_a_session_under_the_plain_name_is_not_read(https_dashboard):
    """A sibling subdomain can set `incus_webui_session` for this host (with Domain=): it
    must not log anyone in, even holding a real session (here the admin's own)."""
    session = https_dashboard.admin.cookies["__Host-incus_webui_session"]
    assert httpx.get(https_dashboard.url + "/", cookies={"__Host-incus_webui_session": session},
                     verify=https_dashboard.verify, follow_redirects=False).status_code == 200
    reply = httpx.get(https_dashboard.url + "/", cookies={"incus_webui_session": session},
                      verify=https_dashboard.verify, follow_redirects=False)
    assert reply.status_code == 303 and "/login" in reply.headers["location"]


def test_logging_out_over_https_ends_the_prefixed_session(https_dashboard):
    client = https_dashboard.login("operator")
    try:
        session = client.cookies["__Host-incus_webui_session"]
        assert client.post("/logout").status_code == 303
        assert "__Host-incus_webui_session" not in client.cookies
        reply = httpx.get(https_dashboard.url + "/", cookies={"__Host-incus_webui_session": session},
                          verify=https_dashboard.verify, follow_redirects=False)
        assert reply.status_code == 303
    finally:
        client.close()
