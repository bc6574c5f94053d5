"""What keeps the audit chain honest from outside the database: the HMAC key its records are
signed with, and the checkpoints of the chain's head.

Anyone who can write the database could recompute a plain hash chain, or cut its newest
records off; they cannot sign a record without the key, and they cannot move a checkpoint
that a record which is gone had been written to. Both files live beside each other, apart
from the database (`audit_key_file`, `audit_checkpoint_file`); keep them on another volume,
or forward the checkpoints to syslog too, for a copy an intruder on this host cannot reach."""

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path


class KeyMissing(RuntimeError):
    pass


def load_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise KeyMissing(f"no audit key at {path}: run `incus-webui db upgrade`, which creates it") from exc


def checkpoint_path(key_path: Path) -> Path:
    """Where the checkpoints go unless told: beside the key."""
    return key_path.with_name(key_path.name + ".checkpoints")


def key_id(key: bytes) -> str:
    """Names the key in each record (not secret), so verify can say which key signed what."""
    return hashlib.sha256(b"incus-webui audit key id" + key).hexdigest()[:16]


def sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head as it was: record `id` had hash `hash` at `at`."""

    id: int
    hash: str
    at: str


class Checkpoints:
    """An append-only file of checkpoints, one JSON line each, signed with the key. Several
    dashboard processes append to the same file; O_APPEND keeps each short line whole."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.key = key

    def write(self, checkpoint: Checkpoint) -> None:
        line = self._line(checkpoint)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def replace(self, checkpoints: list[Checkpoint]) -> None:
        """The whole file anew: only for re-anchoring the chain (audit/reanchor.py), with no
        dashboard running. Written beside it, then renamed over it: whole or not at all."""
        lines = [self._line(c) + "\n" for c in checkpoints]
        temporary = self.path.with_name(self.path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, "".join(lines).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)

    def _line(self, checkpoint: Checkpoint) -> str:
        body = {"id": checkpoint.id, "hash": checkpoint.hash, "at": checkpoint.at}
        return json.dumps({**body, "mac": sign(self.key, json.dumps(body, sort_keys=True))}, sort_keys=True)

    def read(self) -> tuple[list[Checkpoint], str]:
        """(checkpoints, "" or why the file cannot be trusted)."""
        if not self.path.exists():
            return [], ""
        found: list[Checkpoint] = []
        for number, line in enumerate(self.path.read_text().splitlines(), 1):
            try:
                entry = json.loads(line)
                checkpoint = Checkpoint(int(entry["id"]), str(entry["hash"]), str(entry["at"]))
                mac = str(entry["mac"])
            except (ValueError, KeyError, TypeError):
                return found, f"checkpoint line {number} of {self.path} is not a checkpoint"
            body = {"id": checkpoint.id, "hash": checkpoint.hash, "at": checkpoint.at}
            if not hmac.compare_digest(mac, sign(self.key, json.dumps(body, sort_keys=True))):
                return found, f"checkpoint line {number} of {self.path} is not signed with the audit key"
            found.append(checkpoint)
        return found, ""
