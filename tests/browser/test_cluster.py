"""The cluster page in a real browser: search, local keys per member, a refused value kept."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.usefixtures("server_fetched")]


def test_search_narrows_to_local_keys_shown_per_member(cluster, dashboard, page):
    page.goto(dashboard.url + "/cluster")
    form = page.locator("#config-form")
    expect(form.get_by_label("cluster.max_voters")).to_be_visible()
    form.get_by_label("Search keys").fill("cluster traffic")
    expect(form.get_by_label("cluster.max_voters")).to_have_count(0)
    for name in cluster.members:
        field = form.get_by_label(f"cluster.https_address@{name}")
        expect(field).to_have_value(cluster.address(name) + ":8443")


def test_a_refused_value_is_kept_with_the_reason(cluster, dashboard, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(dashboard.url + "/cluster")
    form = page.locator("#config-form")
    form.get_by_label("cluster.max_voters").fill("4")
    form.get_by_role("button", name="Save").click()
    expect(form).to_contain_text("Must be an odd number, at least 3")
    expect(form.get_by_label("cluster.max_voters")).to_have_value("4")
    assert cluster.incus("config", "get", "cluster.max_voters").stdout.strip() == ""
    assert [e for e in errors if "status of 422" not in e] == []  # the refusal itself is logged
