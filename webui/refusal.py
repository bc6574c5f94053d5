"""Refusing a request from pure ASGI middleware, before any route runs: Incus's error envelope
under /api/, plain text elsewhere (no templates at that layer)."""

import json

from starlette.types import Scope, Send


async def refuse(scope: Scope, send: Send, status: int, message: str, close: bool = False) -> None:
    if scope["path"].startswith("/api/"):
        body = json.dumps({"type": "error", "error": message, "error_code": status}).encode()
        content_type = b"application/json"
    else:
        body = message.encode()
        content_type = b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type)]
    if close:  # the rest of the request body is not read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
