"""The dashboard's own refusals, kept apart from Incus's errors (webui/incus/errors.py), so
it is always clear whose words a user reads."""

from webui.audit.log import AuditUnavailable
from webui.incus.errors import IncusError


class Refused(Exception):
    """The dashboard refuses before anything reaches Incus: the rule's reason and an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# What a service call fails with: our refusal, Incus's own error in its own words, or the
# audit log's refusal to let a change happen unrecorded (503).
SERVICE_ERRORS = (Refused, IncusError, AuditUnavailable)
