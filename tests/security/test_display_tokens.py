"""A wall display's token is its only key: it leaves the URL at once, and never reaches a log."""

import httpx
import pytest

pytestmark = pytest.mark.cluster


def test_the_token_is_not_in_the_access_log_nor_in_any_later_url(own_dashboard):
    server = own_dashboard()
    url = server.display_url("logged-wall")
    token = url.split("token=")[1]
    with httpx.Client() as wall:
        page = wall.get(url, follow_redirects=True)
        assert page.status_code == 200 and token not in str(page.url) and token not in page.text
        assert wall.get(server.url + "/noc").status_code == 200  # the cookie opens it from now on
    server.stop()
    log = server.log_file.read_text()
    assert '"GET /noc HTTP/1.1" 303' in log  # the first request was logged, without its query
    assert token not in log and "token=" not in log
