"""Errors that keep Incus's own words."""


class IncusError(Exception):
    """An error reply from Incus: its HTTP status and its message, exactly as sent."""

    def __init__(self, status: int, message: str, error_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code if error_code is not None else status


class IncusUnreachable(IncusError):
    """No configured or known cluster member answered."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message)


class RefusedPath(IncusError):
    """A request that would reach another path than the one meant: never sent."""

    def __init__(self, meant: str, sent: str) -> None:
        super().__init__(400, f"Refused: a request meant for {meant[:200]} would have been sent to {sent[:200]}")
