"""Incus's reply envelopes (sync, async, error): the shapes /api/v1 answers in, and the one
error body every layer refuses with, so an API client parses the dashboard as it parses Incus."""

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from webui.incus.models import Operation

T = TypeVar("T")


class Sync(BaseModel, Generic[T]):
    """Incus's sync reply envelope."""

    type: Literal["sync"] = "sync"
    status: str = "Success"
    status_code: int = 200
    operation: str = ""
    error_code: int = 0
    error: str = ""
    metadata: T


class Error(BaseModel):
    """Incus's error reply envelope."""

    type: Literal["error"] = "error"
    error: str
    error_code: int


class Async(BaseModel):
    """Incus's reply to a request that started an operation (HTTP 202)."""

    type: Literal["async"] = "async"
    status: str = "Operation created"
    status_code: int = 100
    operation: str
    metadata: Operation


def error_body(status: int, message: str) -> dict[str, Any]:
    return Error(error=message, error_code=status).model_dump()


# The error replies an /api/v1 route documents in the OpenAPI schema.
ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": Error} for status in (400, 403, 404, 409, 412, 503)}
