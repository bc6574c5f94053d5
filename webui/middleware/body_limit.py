"""A cap on request bodies (pure ASGI, so SSE streams pass untouched).

Every form and JSON body the dashboard accepts is a few hundred bytes; without a cap, one
request could make the process buffer (and python-multipart parse) as much as a client sends.
A declared Content-Length over the cap is refused before reading; a chunked body is counted
as it arrives and refused when it passes the cap."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.middleware._http import header, refuse

MAX_BODY = 64 * 1024


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Reads carry no body the routes would read; passing them through untouched also keeps
        # this layer off every SSE frame's path (1,000 streams: one wrapper call each per frame).
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = header(scope, b"content-length")
        if length.isdigit() and int(length) > self.max_body:
            await refuse(scope, send, 413, f"Request body too large: at most {self.max_body // 1024} KiB", close=True)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:  # too late to say so; the connection just ends
                raise
            await refuse(scope, send, 413, f"Request body too large: at most {self.max_body // 1024} KiB", close=True)
