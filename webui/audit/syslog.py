"""An off-host copy of every audit record: one RFC 5424 syslog message each, with the record
(as the JSON export writes it) for its message, so the copy can be checked against the chain.

`audit_syslog`: "udp://host:514", "tcp://host:601" (octet-counted, RFC 6587) or a local
socket path such as "/dev/log"."""

import json
import logging
import socket
from datetime import UTC
from urllib.parse import urlparse

from webui.models import AuditRecord

log = logging.getLogger(__name__)

FACILITY_AUTHPRIV = 10
SEVERITY = {"denied": 4, "failed": 4, "unknown": 4}  # warning; the rest notice (5)


def message(record: AuditRecord, as_dict: dict[str, object], hostname: str) -> bytes:
    pri = FACILITY_AUTHPRIV * 8 + SEVERITY.get(record.outcome, 5)
    at = record.at if record.at.tzinfo else record.at.replace(tzinfo=UTC)
    timestamp = at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    body = json.dumps(as_dict, sort_keys=True, separators=(",", ":"))
    # PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
    return f"<{pri}>1 {timestamp} {hostname} incus-webui - audit - {body}".encode()


class SyslogForwarder:
    def __init__(self, target: str) -> None:
        self.target = target
        url = urlparse(target)
        self.hostname = socket.gethostname()[:255] or "-"
        if url.scheme in ("udp", "tcp"):
            self.family = socket.AF_INET6 if ":" in (url.hostname or "") else socket.AF_INET
            self.address: str | tuple[str, int] = (url.hostname or "127.0.0.1", url.port or 514)
            self.kind = socket.SOCK_DGRAM if url.scheme == "udp" else socket.SOCK_STREAM
        else:
            self.family, self.address, self.kind = socket.AF_UNIX, target, socket.SOCK_DGRAM

    def send(self, record: AuditRecord, as_dict: dict[str, object]) -> None:
        """Sent after the record is committed; a copy that fails is logged, never retried (the
        database and its checkpoints remain the record)."""
        data = message(record, as_dict, self.hostname)
        try:
            with socket.socket(self.family, self.kind) as sock:
                sock.settimeout(2)
                sock.connect(self.address)
                sock.sendall(f"{len(data)} ".encode() + data if self.kind == socket.SOCK_STREAM else data)
        except OSError as exc:
            log.warning("audit record %s not copied to syslog at %s: %s", record.id, self.target, exc)
