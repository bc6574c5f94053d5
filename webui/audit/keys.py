"""What keeps the audit chain honest from outside the database: the HMAC key its records are
signed with, and the checkpoints of the chain's head.

Anyone who can write the database could recompute a plain hash chain, or cut its newest
records off; they cannot sign a record without the key, and they cannot move a checkpoint
that a record which is gone had been written to. Both files live beside each other, apart
from the database (`audit_key_file`, `audit_checkpoint_file`); keep them on another volume,
or forward the checkpoints to syslog too, for a copy an intruder on this host cannot reach.

The key file also keeps, after the key, the first checkpoint the key ever wrote (its anchor):
proof that the key has signed records. Without it, emptying the database and removing the
checkpoint file left a log indistinguishable from a new one. Removing the anchor means
rewriting the key file, which takes reading the key: whoever can do that can forge records
anyway. (A new database with the old key therefore fails to verify: give it a new key.)"""

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path


class KeyMissing(RuntimeError):
    pass


def load_key(path: Path) -> bytes:
    """The key: the file's first line (its anchor follows, see the module docstring)."""
    try:
        return bytes.fromhex(path.read_text().partition("\n")[0].strip())
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


def _mac(key: bytes, checkpoint: Checkpoint) -> str:
    return sign(key, json.dumps({"id": checkpoint.id, "hash": checkpoint.hash, "at": checkpoint.at}, sort_keys=True))


def _line(key: bytes, checkpoint: Checkpoint) -> str:
    body = {"id": checkpoint.id, "hash": checkpoint.hash, "at": checkpoint.at, "mac": _mac(key, checkpoint)}
    return json.dumps(body, sort_keys=True) + "\n"


def _parse(key: bytes, line: str) -> tuple[Checkpoint | None, str]:
    """(the checkpoint of a line, None and what is wrong with it when it is not one signed with `key`)."""
    try:
        entry = json.loads(line)
        checkpoint = Checkpoint(int(entry["id"]), str(entry["hash"]), str(entry["at"]))
        mac = str(entry["mac"])
    except (ValueError, KeyError, TypeError):
        return None, "is not a checkpoint"
    if not hmac.compare_digest(mac, _mac(key, checkpoint)):
        return None, "is not signed with the audit key"
    return checkpoint, ""


def _append(path: Path, line: str) -> None:
    """Several dashboard processes append to the same file; O_APPEND keeps each short line whole."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _replace_file(path: Path, text: str) -> None:
    """Written beside it, then renamed over it: whole or not at all."""
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


class Checkpoints:
    """An append-only file of checkpoints, one JSON line each, signed with the key; the first
    one ever written is also appended to the key file (`key_file`), as its anchor."""

    def __init__(self, path: Path, key: bytes, key_file: Path | None = None) -> None:
        self.path = path
        self.key = key
        self.key_file = key_file
        self._anchored = False  # known to be, once seen or written: never read again

    def write(self, checkpoint: Checkpoint) -> None:
        line = _line(self.key, checkpoint)
        _append(self.path, line)
        if self.key_file and not self._anchored:
            if self.anchor() is None:
                _append(self.key_file, line)
            self._anchored = True

    def anchor(self) -> Checkpoint | None:
        """The first checkpoint this key wrote (kept in the key file), None before any."""
        if self.key_file is None:
            return None
        lines = self.key_file.read_text().splitlines()[1:]
        return next((found for line in lines if (found := _parse(self.key, line)[0])), None)

    def replace(self, checkpoints: list[Checkpoint]) -> None:
        """The whole file anew, and the key file's anchor if its record was re-signed: only for
        re-anchoring the chain (audit/reanchor.py), with no dashboard running."""
        _replace_file(self.path, "".join(_line(self.key, c) for c in checkpoints))
        anchor = self.anchor()
        if anchor is not None and self.key_file is not None:
            kept = next((c for c in checkpoints if c.id == anchor.id), anchor)
            key_line = self.key_file.read_text().splitlines()[0]
            _replace_file(self.key_file, key_line + "\n" + _line(self.key, kept))

    def read(self) -> tuple[list[Checkpoint], str]:
        """(checkpoints, "" or why the file cannot be trusted)."""
        if not self.path.exists():
            return [], ""
        found: list[Checkpoint] = []
        for number, line in enumerate(self.path.read_text().splitlines(), 1):
            checkpoint, wrong = _parse(self.key, line)
            if checkpoint is None:
                return found, f"checkpoint line {number} of {self.path} {wrong}"
            found.append(checkpoint)
        return found, ""
