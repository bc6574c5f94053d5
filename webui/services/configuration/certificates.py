"""The cluster certificate: what it says, and whether a replacement can be sent.

A replacement is checked here first, since a bad one sent to Incus would be pushed to every
member and could leave the cluster unreachable over HTTPS."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

# Expiry closer than this gets a warning on every page that shows the certificate.
WARN_DAYS = 30


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    fingerprint: str  # SHA-256 of the DER, as `incus` prints fingerprints
    not_before: datetime
    not_after: datetime

    def days_left(self, at: datetime | None = None) -> int:
        return (self.not_after - (at or datetime.now(UTC))).days

    def expires_soon(self, at: datetime | None = None) -> bool:
        return self.days_left(at) < WARN_DAYS


class CertificateProblem(ValueError):
    """Why a certificate or key cannot be used, in a sentence for the form."""


def _load_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError as exc:
        raise CertificateProblem("The certificate is not a valid PEM certificate") from exc


@lru_cache(maxsize=4)  # every page shows the same certificate: parse it once
def describe(pem: str) -> CertificateInfo:
    certificate = _load_certificate(pem)
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def _load_key(pem: str) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as exc:
        # TypeError: the key is encrypted; Incus needs it in the clear.
        raise CertificateProblem("The key is not a valid unencrypted PEM private key") from exc


def check_replacement(certificate_pem: str, key_pem: str, at: datetime | None = None) -> CertificateInfo:
    """The new certificate's details, or CertificateProblem: not PEM, not matching, not valid now."""
    if not certificate_pem.strip():
        raise CertificateProblem("Paste the new certificate (PEM)")
    if not key_pem.strip():
        raise CertificateProblem("Paste the new certificate's private key (PEM)")
    certificate = _load_certificate(certificate_pem)
    key = _load_key(key_pem)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != certificate.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise CertificateProblem("The key does not match the certificate")
    info = describe(certificate_pem)
    at = at or datetime.now(UTC)
    if info.not_after <= at:
        raise CertificateProblem(f"The certificate expired on {info.not_after:%Y-%m-%d}")
    if info.not_before > at:
        raise CertificateProblem(f"The certificate is not valid before {info.not_before:%Y-%m-%d %H:%M} UTC")
    return info


def cluster_certificate(pem: str) -> CertificateInfo | None:
    """The certificate Incus reports (`environment.certificate`), or None when unknown or unreadable."""
    try:
        return describe(pem) if pem else None
    except CertificateProblem:
        return None
