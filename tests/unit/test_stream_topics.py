"""Which topics a stream may listen to: only those the pages use."""

import pytest

from tests.live_pages import PAGES
from webui.identity import Grants, Identity
from webui.routes.stream import allowed_topics
from webui.services.errors import Refused

MEMBERS = frozenset({"member1", "member2"})
OPERATOR = Identity("bob", "operator", "session")


def test_a_member_page_is_in_the_version_for_the_viewers_role():
    requested = ["members", "member:member1", "operations", "maintenance", "audit"]
    topics = allowed_topics(OPERATOR, requested, MEMBERS, PAGES)
    # No audit for an operator.
    assert topics == ["members", "member:member1:operator", "operations:operator", "maintenance:operator"]


@pytest.mark.parametrize(
    "topic", ["member:ghost", "member:", "member:member1:admin", "maintenance:admin", "anything", "*", "ping"]
)
def test_a_topic_no_page_uses_is_refused(topic):
    with pytest.raises(Refused) as refused:
        allowed_topics(OPERATOR, ["members", topic], MEMBERS, PAGES)
    assert refused.value.status == 400


def test_a_display_reads_only_the_wall():
    display = Identity("display:wall", "display", "display")
    assert allowed_topics(display, ["members", "audit", "noc", "member:member1"], MEMBERS, PAGES) == ["noc"]


def test_every_clusters_audit_records_are_for_those_who_audit_every_cluster():
    staging_auditor = Identity("ben", "operator", "session", Grants("operator", (("staging", "auditor"),)))
    assert allowed_topics(staging_auditor.at("staging"), ["members", "audit"], MEMBERS, PAGES) == ["members"]
    auditor = Identity("carol", "auditor", "session")
    assert allowed_topics(auditor.at("staging"), ["audit"], MEMBERS, PAGES) == ["audit"]
