"""Lockout as a weapon: an anonymous client hammering an account from one address must not
keep its owner, elsewhere, out; parallel guesses must not slip past the count; and a burst of
refused attempts must not flood the audit log."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.conftest import PASSWORD, PERSONAS
from tests.security.conftest import audit_rows, from_address, rss_kib
from webui import db

pytestmark = pytest.mark.cluster

MAX_PER_NAME = 5  # login_max_failures' default


def attempt(client, name: str, password: str) -> int:
    client.get("/login")
    data = {"name": name, "password": password, "csrf_token": client.cookies["incus_webui_csrf"]}
    return client.post("/login", data=data).status_code


def test_an_attacker_elsewhere_cannot_lock_the_admin_out(own_dashboard):
    server = own_dashboard()
    admin = PERSONAS["admin"]
    with from_address(server, 201) as attacker:
        codes = [attempt(attacker, admin, "guess") for _ in range(MAX_PER_NAME + 10)]
        assert codes[:MAX_PER_NAME] == [401] * MAX_PER_NAME and set(codes[MAX_PER_NAME:]) == {429}
        assert attempt(attacker, admin, PASSWORD) == 429  # even the right password, from there
    with from_address(server, 202) as real_admin:
        assert attempt(real_admin, admin, PASSWORD) == 303


def test_parallel_guesses_get_no_more_tries_than_sequential_ones(own_dashboard):
    server = own_dashboard()
    clients = [from_address(server, 203) for _ in range(20)]
    try:
        for client in clients:
            client.get("/login")
        with ThreadPoolExecutor(len(clients)) as pool:
            codes = list(pool.map(lambda c: attempt(c, PERSONAS["operator"], "guess"), clients))
    finally:
        for client in clients:
            client.close()
    assert codes.count(401) == MAX_PER_NAME and codes.count(429) == len(clients) - MAX_PER_NAME


def test_a_burst_of_throttled_attempts_is_one_record_with_its_count(own_dashboard):
    server = own_dashboard()
    name = PERSONAS["auditor"]
    with from_address(server, 204) as attacker:
        codes = [attempt(attacker, name, "guess") for _ in range(MAX_PER_NAME + 25)]
    assert codes.count(429) == 25
    throttled = audit_rows(server, action="login", target=name, error="throttled")
    assert len(throttled) == 1  # the first refusal; the others are counted, not each recorded
    # When the lockout is over, the burst's count is recorded once, with the next attempt.
    engine = db.make_engine(server.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE login_throttle SET window_start = '2000-01-01 00:00:00'"))
    engine.dispose()
    with from_address(server, 204) as attacker:
        assert attempt(attacker, name, PASSWORD) == 303
    throttled = audit_rows(server, action="login", target=name, error="throttled")
    assert len(throttled) == 2 and throttled[-1].parameters == {"refused": 25}


def test_concurrent_failed_logins_hash_a_few_at_a_time(own_dashboard):
    """Each argon2id hash holds 64 MiB while it runs: failed logins from many addresses at once
    (no throttle applies to any one of them) must not add up to gigabytes."""
    server = own_dashboard("hashing")
    clients = [from_address(server, 150 + i) for i in range(12)]
    peak, done = [rss_kib(server)], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(rss_kib(server))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    try:
        base = rss_kib(server)
        sampler.start()
        for _ in range(3):
            with ThreadPoolExecutor(len(clients)) as pool:
                codes = set(pool.map(lambda c: attempt(c, f"nobody-{id(c)}", "guess"), clients))
            assert codes <= {401, 429}, codes
    finally:
        done.set()
        sampler.join()
        for client in clients:
            client.close()
    grown = (max(peak) - base) / 1024
    assert grown <= 3 * 64, f"{grown:.0f} MiB more at the peak of 12 failed logins at once"
