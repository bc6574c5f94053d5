"""Time-based one-time passwords (RFC 6238, through pyotp) and recovery codes: pure functions,
no database. A code is checked against the steps around now (one 30-second step either side,
for clocks a little apart) and is good once: the caller keeps the last step accepted."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno

ISSUER = "incus-webui"  # the name authenticator apps show beside the account
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code, an inline SVG element (drawn here: nothing leaves the machine)."""
    return str(segno.make_qr(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="QR code"))


def accepted_step(secret: str, code: str, last_step: int, at: datetime) -> int | None:
    """The time step `code` is valid for, if it is a code of `secret` around `at` and later than
    `last_step` (a code seen once is refused again); None otherwise."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for drift in (-1, 0, 1):
        when = at + timedelta(seconds=drift * totp.interval)
        if hmac.compare_digest(totp.at(when), code):
            step = int(totp.timecode(when))
            return step if step > last_step else None
    return None


def new_recovery_codes() -> list[str]:
    """Codes for when the authenticator is lost, each good once: shown once, stored hashed."""
    return [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()
