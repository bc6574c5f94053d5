"""The dashboard's own refusals, kept apart from Incus's errors (webui/incus/errors.py), so
it is always clear whose words a user reads."""

from collections.abc import Callable

from webui.audit.log import AuditUnavailable
from webui.incus.errors import IncusError
from webui.incus.names import InvalidName


class Refused(Exception):
    """The dashboard refuses before anything reaches Incus: the rule's reason and an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def valid_name(check: Callable[[str], str], value: str, what: str) -> str:
    """`value` if it passes Incus's rule for such a name (`webui.incus.names`), else 400 with
    Incus's words for the rule it breaks, the name cut short."""
    try:
        return check(value)
    except InvalidName as exc:
        shown = value if len(value) <= 64 else value[:64] + "…"
        raise Refused(400, f"Invalid {what} {shown!r}: {exc}") from None


# What a service call fails with: our refusal, Incus's own error in its own words, or the
# audit log's refusal to let a change happen unrecorded (503).
SERVICE_ERRORS = (Refused, IncusError, AuditUnavailable)
