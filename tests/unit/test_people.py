"""Who asked Incus, in words: on the requestors and the trust store a real Incus 6.0 sent
(`recorded/requestor_events.jsonl`: `incus cluster evacuate member3` and `restore`, first from
member1's and member3's unix sockets, then over HTTPS with the client certificate
`incus-webui`; `recorded/certificates.json`: that cluster's `incus query /1.0/certificates?recursion=1`)."""

import asyncio
import json

from tests.unit.replies import RECORDED, recorded_events
from webui.incus.models import Certificate, Event, Member, Requestor
from webui.live.hub import Hub
from webui.live.snapshot import ClusterSnapshot
from webui.live.watcher import Watcher
from webui.models import ClusterEvent
from webui.services.accounts import people
from webui.services.maintenance.runs import MaintenanceRun

CLIENT = "661f7f0d9c3df39e70fa8d4f2a43d4dc26e5cdc0620d2cb8358ea4380b538c09"  # incus-webui, in the recording
MEMBERS = tuple(Member(server_name=f"member{i}", url=f"https://127.0.34.{i}:8443") for i in (1, 2, 3))


def trust_store() -> dict[str, str]:
    certificates = [Certificate.model_validate(c) for c in json.loads((RECORDED / "certificates.json").read_text())]
    return {c.fingerprint: c.name for c in certificates}


def ended_runs() -> list[Event]:
    """The recorded `cluster-member-evacuated` and `-restored` events, in order."""
    return [e for e in recorded_events("requestor_events.jsonl") if e.action.startswith("cluster-member-")]


def requestor(event: Event) -> Requestor:
    return Requestor.model_validate(event.metadata["requestor"])


def snapshot() -> ClusterSnapshot:
    return ClusterSnapshot(members=MEMBERS, trust_store=trust_store())


def test_the_recorded_trust_store_names_the_client_and_each_member():
    assert trust_store()[CLIENT] == "incus-webui"
    assert sorted(n for n in trust_store().values() if n.startswith("member")) == ["member1", "member2", "member3"]


def test_the_incus_cli_over_a_unix_socket_reads_as_such_on_the_member_that_handled_it():
    unix = ended_runs()[0]
    assert requestor(unix) == Requestor(username="root", protocol="unix", address="@")
    words = people.describe(requestor(unix), trust_store(), snapshot().member_addresses, unix.location)
    assert words == "incus CLI (unix socket) on member3"


def test_another_unix_user_is_named():
    bob = Requestor(username="bob", protocol="unix", address="@")
    assert people.describe(bob, {}, {}, "member2") == "incus CLI as bob (unix socket) on member2"


def test_a_client_certificate_reads_as_its_trust_store_name_and_short_fingerprint():
    tls = ended_runs()[2]
    assert requestor(tls).protocol == "tls" and requestor(tls).username == CLIENT
    words = people.describe(requestor(tls), trust_store(), snapshot().member_addresses)
    assert words == "certificate incus-webui (fingerprint 661f7f0d) from 127.0.0.1"


def test_a_request_from_a_members_address_names_the_member():
    tls = Requestor(username=CLIENT, protocol="tls", address="127.0.34.2")
    assert people.describe(tls, trust_store(), snapshot().member_addresses).endswith("from member2")


def test_a_certificate_gone_from_the_trust_store_says_so():
    gone = Requestor(username="ab" * 32, protocol="tls", address="10.0.0.7")
    words = people.describe(gone, trust_store(), {})
    assert words == "a certificate not in the trust store (fingerprint abababab) from 10.0.0.7"


def test_a_member_asking_another_reads_as_that_member():
    # In evacuation_events.jsonl the moves are asked by the member evacuated, over "cluster".
    events = recorded_events("evacuation_events.jsonl")
    move = next(e for e in events if (e.metadata.get("requestor") or {}).get("protocol") == "cluster")
    fingerprint = requestor(move).username
    assert people.describe(requestor(move), {fingerprint: "member2"}, {}) == "cluster member member2"
    assert people.describe(requestor(move), {}, {}) == f"a cluster member (fingerprint {fingerprint[:8]})"


def test_nobody_asking_is_incus_itself():
    assert people.describe(Requestor(), trust_store(), {}) == "Incus itself"


def test_the_raw_identity_is_kept_in_incus_spelling_and_read_back():
    for event in ended_runs():
        spelled = people.spelled(requestor(event))
        assert people.parsed(spelled) == requestor(event)
    assert people.spelled(requestor(ended_runs()[0])) == "unix/root (@)"
    assert people.spelled(Requestor()) == ""


def test_what_older_versions_stored_still_reads_as_words():
    # Before: the fingerprint's first 12 characters, the protocol and the address.
    assert people.who(CLIENT[:12] + " tls 127.0.0.1", trust_store(), {}).words == (
        "certificate incus-webui (fingerprint 661f7f0d) from 127.0.0.1"
    )
    assert people.who("root unix @", {}, {}, "member2").words == "incus CLI (unix socket) on member2"
    assert people.who("alice", {}, {}) == people.Who("alice", "alice")  # an account, stored as the requestor


def test_a_run_asked_from_the_dashboard_reads_as_the_account_with_incus_identity_in_the_tooltip():
    dashboard = people.spelled(requestor(ended_runs()[2]))
    run = MaintenanceRun("op", "member3", "evacuate", None, requestor=dashboard, account="alice")
    assert people.asked_by(run, snapshot()) == people.Who("alice", dashboard)


def test_a_cli_run_reads_in_words_with_the_raw_identity_in_the_tooltip():
    run = MaintenanceRun("op", "member3", "evacuate", None, requestor="unix/root (@)")
    assert people.asked_by(run, snapshot()) == people.Who("incus CLI (unix socket) on member3", "unix/root (@)")


def test_a_history_entry_reads_in_words():
    event = ClusterEvent(
        location="member1", requestor_username=CLIENT, requestor_protocol="tls", requestor_address="127.0.34.1"
    )
    assert people.requested_by(event, snapshot()) == people.Who(
        "certificate incus-webui (fingerprint 661f7f0d) from member1", f"tls/{CLIENT} (127.0.34.1)"
    )


def test_audit_records_name_accounts_displays_and_the_command_line():
    assert people.acted("alice", "session", "127.0.0.1") == people.Who("alice", "alice · session · 127.0.0.1")
    assert people.acted("display:wall", "display", "10.0.0.9").words == "NOC display wall"
    assert people.acted("root", "cli", "local").words == "root (incus-webui command line)"
    assert people.acted("", "", "10.0.0.9").words == "nobody signed in"


class TrustStore:
    """`GET /1.0/certificates?recursion=1`, answered as recorded, counted."""

    def __init__(self) -> None:
        self.asked = 0

    async def certificates(self) -> list[Certificate]:
        self.asked += 1
        return [Certificate.model_validate(c) for c in json.loads((RECORDED / "certificates.json").read_text())]


def test_the_watcher_reads_the_trust_store_once_then_again_only_after_a_certificate_event():
    incus = TrustStore()
    watcher = Watcher(incus, Hub(lambda template, context: ""))  # type: ignore[arg-type]
    changed = Event(type="lifecycle", metadata={"action": "certificate-created", "source": "/1.0/certificates/x"})

    async def rounds() -> list[int]:
        counts = []
        for _ in range(3):
            await watcher.trust_store.refresh()
            counts.append(incus.asked)
        await watcher._handle(changed)
        await watcher.trust_store.refresh()
        return [*counts, incus.asked]

    assert asyncio.run(rounds()) == [1, 1, 1, 2]
    assert watcher.hub.snapshot.trust_store == trust_store()
