"""Incus's own rules for the names of its objects, and the one way a path to Incus is built.

A name that reaches a path comes from a URL or a form: `..` as a member name once sent the
dashboard's `PUT` to `/1.0/cluster` (httpx removes dot segments, as RFC 3986 says), which
Incus read as "disable clustering". So every name is checked against the rule Incus applies
when the object is made (`shared/validate/validate.go`, `cmd/incusd/api_project.go`), and every
path is built from segments encoded whole, where `.` and `..` cannot be."""

import re
import uuid
from urllib.parse import quote

# IsAPIName: what Incus checks a cluster member's name (`server_name` on join and rename) and a
# cluster group's name against. Not IsHostname: Incus itself accepts `node_1` as a member.
_API_NAME_RESERVED = set('$?&+"\'`*/')
_API_NAME_ENDS = re.compile(r"^[a-zA-Z0-9](?:.*[a-zA-Z0-9])?$", re.DOTALL)
# IsHostname: instance names (instance.ValidName).
_HOSTNAME = re.compile(r"^[a-zA-Z0-9-]+$")


class InvalidName(ValueError):
    """A name Incus would never have given an object: refused before anything is sent."""


def _printable(value: str) -> None:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise InvalidName("Name cannot contain control characters")


def api_name(value: str) -> str:
    """A cluster member's or group's name, as `validate.IsAPIName(name, false)` wants it."""
    if len(value) > 64:
        raise InvalidName("Maximum name length is 64 characters")
    _printable(value)
    if any(c.isspace() for c in value):
        raise InvalidName("Name cannot contain white space")
    if reserved := sorted(_API_NAME_RESERVED.intersection(value)):
        raise InvalidName(f"Name contains invalid character {reserved[0]!r}")
    if not _API_NAME_ENDS.match(value):
        raise InvalidName("Names must start and end with an alphanumeric character")
    return value


def hostname(value: str) -> str:
    """An instance's name, as `validate.IsHostname` wants it."""
    if not 1 <= len(value) <= 63:
        raise InvalidName("Name must be 1-63 characters long")
    if value.startswith("-") or value.endswith("-"):
        raise InvalidName('Name must not start or end with "-" character')
    if value.isdigit():
        raise InvalidName("Name cannot be a number")
    if not _HOSTNAME.match(value):
        raise InvalidName("Name can only contain alphanumeric and hyphen characters")
    return value


def project(value: str) -> str:
    """A project's name: `projectValidateName`, within IsAPIName (which `.`/`..` already fail)."""
    api_name(value)
    if "_" in value:
        raise InvalidName("Project names may not contain underscores")
    return value


def operation_id(value: str) -> str:
    """An operation's id: Incus makes them with uuid.New(), always in this form."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise InvalidName("Not an operation id (a UUID)") from None
    if str(parsed) != value:
        raise InvalidName("Not an operation id (a UUID)")
    return value


def number(value: str) -> str:
    """The dashboard's own ids (API tokens, displays): decimal digits."""
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise InvalidName("Not an id (a number)")
    return value


def segment(name: str) -> str:
    """One name as one path segment, every character but letters, digits and `-_.~` encoded;
    "", "." and ".." refused, since a URL cannot carry them as a name."""
    if name in ("", ".", ".."):
        raise InvalidName(f"{name!r} cannot be a name")
    return quote(name, safe="")


def path(*segments: str) -> str:
    """`/1.0/` and the segments, each encoded whole: the only way a path to Incus is made."""
    return "/1.0/" + "/".join(segment(s) for s in segments)
