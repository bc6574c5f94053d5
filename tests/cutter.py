"""A TCP relay on a free loopback port in front of a dashboard, which a test can use to break a
browser's connections (a flaky network, a proxy restarting), to keep the dashboard unreachable
for a while, or to hold what the dashboard sends and let it go at once (a slow or busy link
delivers several frames in one read)."""

import socket
import threading

from tests.conftest import free_port


class Cutter:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.open = True  # False: the door is shut, a new connection is closed at once
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        # While held: what the dashboard sent on each connection, not passed on yet.
        self._held: dict[socket.socket, bytearray] | None = None
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, downstream: bool) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    if downstream and self._held is not None:
                        self._held.setdefault(sink, bytearray()).extend(data)
                        continue
                sink.sendall(data)
        except OSError:
            pass
        self._close(source, sink)

    def _close(self, *sockets: socket.socket) -> None:
        with self._lock:
            for sock in sockets:
                self._sockets.discard(sock)
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def cut(self) -> None:
        """Break every open connection, both ways."""
        with self._lock:
            sockets = list(self._sockets)
        self._close(*sockets)

    def hold(self) -> None:
        """Keep what the dashboard sends from here on (requests still go through)."""
        with self._lock:
            self._held = {}

    def held(self) -> bytes:
        """Everything held so far, on all connections."""
        with self._lock:
            return b"".join(bytes(data) for data in (self._held or {}).values())

    def release(self) -> None:
        """Pass on what was held, each connection's in one write, and stop holding."""
        with self._lock:
            held, self._held = self._held or {}, None
            for sink, data in held.items():
                try:
                    sink.sendall(data)
                except OSError:
                    pass  # that connection ended meanwhile (a page's own request, answered)

    def stop(self) -> None:
        self._listener.close()
        self.cut()
