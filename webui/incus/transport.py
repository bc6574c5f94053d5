"""How requests reach Incus: the local unix socket, or HTTPS with a pinned cluster certificate.

Over HTTPS the transport keeps a list of member addresses, the configured ones first and then
those the cluster itself reports, and moves to the next one when the member in use stops
answering. Every member serves the same cluster certificate, so one pin covers them all.
"""

import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from prometheus_client import Counter, Histogram
from websockets.asyncio.client import ClientConnection

from webui.incus.errors import IncusUnreachable, RefusedPath

log = logging.getLogger(__name__)

# A frozen member still accepts TCP connections (the kernel does), so only timeouts tell.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
# Idle connections are kept past the state round's 10 s (httpx keeps 20, for 5 s): each round
# asks up to 48 things of a member at once, and otherwise opened every one anew, a TLS handshake
# each on both sides (a fifth of the dashboard's time with 10 clusters). A connection Incus
# closed meanwhile is noticed by the pool before it is used.
LIMITS = httpx.Limits(max_keepalive_connections=64, keepalive_expiry=60)


@dataclass
class Connection:
    """Where and how to reach Incus."""

    addresses: list[str] = field(default_factory=list)  # https://host:port, tried in order
    socket: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    server_cert: Path | None = None  # the pinned cluster certificate

    def describe(self) -> str:
        return f"unix:{self.socket}" if self.socket else ", ".join(self.addresses)


def pinned_ssl_context(connection: Connection, pinned: str | None = None) -> ssl.SSLContext:
    """Trust exactly the cluster certificate (Incus certificates are self-signed) and
    present the dashboard's client certificate. Member URLs are IP addresses the
    certificate does not name, so the pin, not the host name, is what is checked.
    Without a pinned certificate, the system's CAs and the host name are checked.
    `pinned` (PEM) overrides the configured file: the cluster's certificate was replaced."""
    if connection.server_cert is None and pinned is None:
        # A cluster certificate signed by a public CA: the usual checks, host name included.
        context = ssl.create_default_context()
    else:
        if pinned is not None:
            context = ssl.create_default_context(cadata=pinned)
        else:
            context = ssl.create_default_context(cafile=str(connection.server_cert))
        context.check_hostname = False
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.minimum_version = ssl.TLSVersion.TLSv1_3  # Incus requires TLS 1.3
    if connection.client_cert and connection.client_key:
        context.load_cert_chain(str(connection.client_cert), str(connection.client_key))
    return context


# /metrics labels requests to Incus by endpoint, from a bounded set: the words of Incus's
# paths stay, any other segment (a member, a group, an operation, an instance: names Incus
# accepts at any length) becomes {name}, so the label is one per kind of request.
_WORDS = frozenset({
    "", "1.0", "cluster", "members", "groups", "operations", "instances", "certificates", "certificate",
    "storage-pools", "networks", "state", "events", "resources", "metadata", "configuration", "wait",
    "websocket", "join-token", "projects", "profiles", "images", "warnings", "metrics",
})
_MAX_SEGMENTS = 8


def endpoint(path: str) -> str:
    """/1.0/cluster/members/m1/state?x=y -> /1.0/cluster/members/{name}/state"""
    segments = path.split("?", 1)[0].split("/")[:_MAX_SEGMENTS]
    return "/".join(segment if segment in _WORDS else "{name}" for segment in segments)


def check_path(path: str) -> None:
    """Refuse a path that would not reach Incus as written: httpx removes dot segments, so
    `/1.0/cluster/members/..` would be sent as `/1.0/cluster`. Paths are built from encoded
    segments (`names.path`); this is the last word before anything is sent."""
    sent = httpx.URL("http://incus" + path).raw_path.decode("ascii")
    if sent != path:
        raise RefusedPath(path, sent)


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__  # httpx's timeouts have no message


def _untrusted(error: BaseException) -> bool:
    """Whether the member's certificate failed the pin (httpx wraps ssl's error)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# Where to look for the certificate to trust when the pinned one fails: PEMs, in order (the
# shared database's, then the configured file read again). Never the network's word alone.
PinSource = Callable[[], Awaitable[list[str]]]


class Transport:
    """One pooled HTTP client for the whole process, with failover across members."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        # For /metrics: every attempt (one per member tried), and those that failed.
        self.latency = Histogram(
            "incus_webui_upstream_request_duration_seconds",
            "Requests sent to Incus and their time, by method and endpoint.",
            ["method", "endpoint"],
            registry=None,
        )
        self.errors = Counter(
            "incus_webui_upstream_errors",
            "Requests to Incus that failed: unreachable, or Incus's HTTP status.",
            ["method", "endpoint", "reason"],
            registry=None,
        )
        if connection.socket:
            self._ssl = None
            self._http = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=str(connection.socket)),
                base_url="http://incus",
                timeout=timeout,
            )
            self.candidates = ["http://incus"]
        else:
            if not connection.addresses:
                raise ValueError("no Incus address configured")
            self._ssl = pinned_ssl_context(connection)
            self._http = httpx.AsyncClient(verify=self._ssl, timeout=timeout, limits=LIMITS)
            self.candidates = [a.rstrip("/") for a in connection.addresses]
        self.current = self.candidates[0]
        self._retired: list[httpx.AsyncClient] = []  # clients with an old pin, closed with us
        self.pin_source: PinSource | None = None
        self.pinned = connection.server_cert.read_text() if connection.server_cert and not connection.socket else ""

    def repin(self, certificate: str) -> None:
        """Trust `certificate` (PEM) instead of the pinned one from now on: once the cluster
        certificate is replaced, every member serves the new one and the old pin fails. The
        old client is not closed now (that would break requests in flight) but with us."""
        if self.is_unix:
            return
        self.pinned = certificate
        self._ssl = pinned_ssl_context(self.connection, certificate)
        self._retired.append(self._http)
        self._http = httpx.AsyncClient(verify=self._ssl, timeout=self._http.timeout, limits=LIMITS)

    @property
    def is_unix(self) -> bool:
        return self._ssl is None

    def learn(self, urls: Iterable[str]) -> None:
        """Add member URLs the cluster reports, so failover works from one configured address."""
        if self.is_unix:
            return
        for url in urls:
            url = url.rstrip("/")
            if url and url not in self.candidates:
                self.candidates.append(url)

    def _order(self) -> list[str]:
        """The member in use first, then the others in their known order."""
        return [self.current] + [c for c in self.candidates if c != self.current]

    def _failed(self, base: str, error: Exception) -> None:
        log.warning("Incus at %s did not answer (%s); trying another member", base, _describe(error))

    async def _repin_from_source(self, error: BaseException, tried: set[str]) -> bool:
        """After a certificate the pin refused: trust the first certificate the pin source
        knows that was not `tried` yet (another process, or the CLI, replaced it). True when
        the pin changed; `tried` grows with the old pin, so a round never loops."""
        if self.is_unix or self.pin_source is None or not _untrusted(error):
            return False
        tried.add(self.pinned.strip())
        for certificate in await self.pin_source():
            if certificate.strip() and certificate.strip() not in tried:
                log.warning("the cluster certificate changed: now trusting the one in the shared database or settings")
                self.repin(certificate)
                return True
        return False

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        failover: bool = True,
    ) -> httpx.Response:
        # Retrying elsewhere is safe when the request never reached Incus (connect errors),
        # and for reads; a write that may have been received is not sent twice. A request
        # Incus forwards to another member (`?target=`, member state) can time out because
        # that member is down while ours is fine: failover=False keeps it from moving us.
        check_path(path)
        errors: list[str] = []
        labels = (method, endpoint(path))
        tried: set[str] = set()

        async def send(base: str) -> httpx.Response:
            return await self._http.request(
                method,
                base + path,
                params=params,
                json=json,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )

        for base in self._order():
            started = time.perf_counter()
            try:
                try:
                    response = await send(base)
                except httpx.ConnectError as exc:
                    # The pin refused the certificate: nothing reached Incus, so with each
                    # newer pin the source knows, the same member again.
                    while await self._repin_from_source(exc, tried):
                        try:
                            response = await send(base)
                            break
                        except httpx.ConnectError as again:
                            exc = again
                    else:
                        raise exc
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self.errors.labels(*labels, "unreachable").inc()
                errors.append(f"{base}: {_describe(exc)}")
                self._failed(base, exc)
                continue
            except httpx.TransportError as exc:
                self.errors.labels(*labels, "unreachable").inc()
                if method != "GET" or not failover:
                    raise IncusUnreachable(f"{base} stopped answering: {_describe(exc)}") from exc
                errors.append(f"{base}: {_describe(exc)}")
                self._failed(base, exc)
                continue
            finally:
                self.latency.labels(*labels).observe(time.perf_counter() - started)
            if response.is_error:
                self.errors.labels(*labels, str(response.status_code)).inc()
            if base != self.current:
                log.warning("now talking to Incus at %s", base)
                self.current = base
            return response
        raise IncusUnreachable("Incus is unreachable: " + "; ".join(errors))

    async def websocket(self, path: str) -> ClientConnection:
        """Open a WebSocket (for /1.0/events) on the member in use, failing over like request()."""
        check_path(path)
        errors: list[str] = []
        tried: set[str] = set()
        for base in self._order():
            try:
                try:
                    ws = await self._connect_websocket(base, path)
                except ssl.SSLCertVerificationError as exc:
                    while await self._repin_from_source(exc, tried):  # as in request()
                        try:
                            ws = await self._connect_websocket(base, path)
                            break
                        except ssl.SSLCertVerificationError as again:
                            exc = again
                    else:
                        raise exc
            except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
                errors.append(f"{base}: {_describe(exc)}")
                self._failed(base, exc)
                continue
            self.current = base
            return ws
        raise IncusUnreachable("Incus is unreachable: " + "; ".join(errors))

    async def _connect_websocket(self, base: str, path: str) -> ClientConnection:
        if self.is_unix:
            assert self.connection.socket is not None
            return await websockets.unix_connect(
                str(self.connection.socket),
                uri="ws://incus" + path,
                open_timeout=CONNECT_TIMEOUT,
                ping_interval=5,
                ping_timeout=5,
                max_size=None,
            )
        return await websockets.connect(
            "wss://" + base.removeprefix("https://") + path,
            ssl=self._ssl,
            open_timeout=CONNECT_TIMEOUT,
            ping_interval=5,
            ping_timeout=5,
            max_size=None,
        )

    async def aclose(self) -> None:
        for client in self._retired:
            await client.aclose()
        await self._http.aclose()
