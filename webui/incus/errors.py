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
