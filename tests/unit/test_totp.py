"""TOTP codes (RFC 6238) and recovery codes: webui/auth/totp.py."""

from datetime import UTC, datetime, timedelta

import pyotp

from webui.auth import totp

AT = datetime(2026, 12, 7, 12, 0, 10, tzinfo=UTC)


def code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def test_the_code_shown_now_is_accepted_once():
    secret = totp.new_secret()
    step = totp.accepted_step(secret, code(secret, AT), 0, AT)
    assert step is not None
    assert totp.accepted_step(secret, code(secret, AT), step, AT) is None  # replayed


def test_a_code_one_step_off_is_accepted_two_are_not():
    secret = totp.new_secret()
    assert totp.accepted_step(secret, code(secret, AT - timedelta(seconds=30)), 0, AT) is not None
    assert totp.accepted_step(secret, code(secret, AT + timedelta(seconds=30)), 0, AT) is not None
    assert totp.accepted_step(secret, code(secret, AT + timedelta(seconds=90)), 0, AT) is None


def test_anything_but_six_digits_of_this_secret_is_refused():
    secret = totp.new_secret()
    good = code(secret, AT)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for given in (wrong, "", "12345", "1234567", "abcdef", code(totp.new_secret(), AT)):
        if given != good:
            assert totp.accepted_step(secret, given, 0, AT) is None
    assert totp.accepted_step(secret, f" {good[:3]} {good[3:]} ", 0, AT) is not None  # as apps group it


def test_the_qr_code_is_an_svg_drawn_here():
    uri = totp.enrolment_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alice")
    assert uri.startswith("otpauth://totp/incus-webui:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg") and "http" not in svg.split("xmlns", 1)[0]


def test_recovery_codes_are_distinct_and_compared_by_hash():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODES
    assert totp.code_hash(codes[0].upper() + " ") == totp.code_hash(codes[0])
