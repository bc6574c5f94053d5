from datetime import UTC, datetime, timedelta

import pytest

from tests.certs import make_certificate
from webui.services.configuration.certificates import (
    CertificateProblem,
    check_replacement,
    cluster_certificate,
    describe,
)


def test_a_valid_certificate_and_its_key_pass_with_their_details():
    certificate, key = make_certificate("new cluster", days=400)
    info = check_replacement(certificate, key)
    assert "CN=new cluster" in info.subject
    assert len(info.fingerprint) == 64
    assert 398 <= info.days_left() <= 400
    assert not info.expires_soon()


def test_a_key_of_another_certificate_is_refused():
    certificate, _ = make_certificate()
    _, other_key = make_certificate()
    with pytest.raises(CertificateProblem, match="does not match"):
        check_replacement(certificate, other_key)


def test_an_expired_certificate_is_refused():
    certificate, key = make_certificate(days=10, starts=datetime.now(UTC) - timedelta(days=20))
    with pytest.raises(CertificateProblem, match="expired"):
        check_replacement(certificate, key)


def test_a_certificate_not_yet_valid_is_refused():
    certificate, key = make_certificate(starts=datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(CertificateProblem, match="not valid before"):
        check_replacement(certificate, key)


@pytest.mark.parametrize(
    ("certificate", "key", "problem"),
    [
        ("", "x", "Paste the new certificate"),
        ("x", "", "private key"),
        ("-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----", "x", "not a valid PEM certificate"),
    ],
)
def test_missing_or_garbled_input_says_what_is_wrong(certificate, key, problem):
    with pytest.raises(CertificateProblem, match=problem):
        check_replacement(certificate, key)


def test_a_garbled_key_is_refused():
    certificate, _ = make_certificate()
    with pytest.raises(CertificateProblem, match="not a valid unencrypted PEM private key"):
        check_replacement(certificate, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")


def test_expiry_within_thirty_days_is_flagged():
    certificate, _ = make_certificate(days=20)
    assert describe(certificate).expires_soon()


def test_an_unreadable_cluster_certificate_shows_as_unknown():
    assert cluster_certificate("") is None
    assert cluster_certificate("garbage") is None

