"""Signing in as a person does: the dashboard's "Sign in with" button, the provider's own login
form (oidc-provider's, tests/oidc_provider.py), and back; logging out at both. No cluster."""

import re

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser


def test_a_person_signs_in_through_the_providers_form_and_out_of_both(browser: Browser, oidc):
    dashboard = oidc.dashboard()
    page = browser.new_context().new_page()
    try:
        page.goto(dashboard.url + "/settings")  # redirected to the login form
        page.get_by_role("link", name="Sign in with Test ID").click()
        page.get_by_placeholder("Enter any login").fill("ann")  # the provider's page now
        page.get_by_placeholder("and password").fill("anything")
        page.get_by_role("button", name="Sign-in").click()
        page.wait_for_url(dashboard.url + "/settings")
        expect(page.locator(".whoami")).to_contain_text("ann (admin)")
        expect(page.locator("#oidc-account-1")).to_contain_text("incus-admins")

        page.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Yes, sign me out").click()  # the provider asks
        page.wait_for_url(re.compile(re.escape(dashboard.url + "/login")))
        page.get_by_role("link", name="Sign in with Test ID").click()
        expect(page.get_by_placeholder("Enter any login")).to_be_visible()  # signed out there too
    finally:
        page.context.close()
