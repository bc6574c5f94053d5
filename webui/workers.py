"""`workers` > 1: several server processes on one port, each with its own socket bound with
SO_REUSEPORT, so the kernel spreads new connections over them (one process feeds as many
streams as one core can). The parent only starts them, passes on SIGTERM and SIGINT, and
exits when they have all exited, with the first failing one's status."""

import os
import signal
import socket
import sys
from collections.abc import Callable

from webui.settings import Settings

# Connections the kernel holds for a process that has not accepted them yet: a reconnect
# storm (every page of a restarted dashboard at once) overflowed uvicorn's 2,048 with resets.
# The kernel caps it at net.core.somaxconn (4,096 by default).
BACKLOG = 4096


def shared_port(settings: Settings) -> socket.socket:
    """This process's own listening socket on the shared host and port."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def serve(count: int, run: Callable[[], None]) -> None:
    """Run `run` in `count` forked processes until they all exit."""
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the child serves, then leaves without running the parent's cleanup
            code = 0
            try:
                run()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                code = 1
                sys.excepthook(*sys.exc_info())
            finally:
                sys.stdout.flush()
                os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            try:
                os.kill(child, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    if status:
        raise SystemExit(abs(status) if status > 0 else 128 - status)
