"""Incus's own rules for the names of its objects, and the one way a path to Incus is built.

A name that reaches a path comes from a URL or a form: `..` as a member name once sent the
dashboard's `PUT` to `/1.0/cluster` (httpx removes dot segments, as RFC 3986 says), which
Incus read as "disable clustering". So every name is checked against the rule Incus applies
when the object is made (`shared/validate/validate.go`, `cmd/incusd/api_project.go`), and every
path is built from segments encoded whole, where `.` and `..` cannot be."""

import re
from urllib.parse import quote

# IsAPIName: what Incus checks a cluster member's name (`server_name` on join and rename) and a
# cluster group's name against. Not IsHostname: Incus itself accepts `node_1` as a member.
# Spelled out as one pattern, which the OpenAPI schema publishes too (so a client can tell a
# name we refuse before sending it): control characters, white space (every character
# Python's and Go's unicode.IsSpace call so, named, since `\s` differs between regex
# dialects) and Incus's reserved characters nowhere; a letter or digit at both ends. Length
# is counted in characters (Incus counts bytes: a longer name in another script is left to it).
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_SPACE = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_RESERVED = "$?&+\"'`*/"  # none of them needs escaping in a class, in either dialect
API_NAME_PATTERN = f"^[a-zA-Z0-9](?:[^{_CONTROL}{_SPACE}{_RESERVED}]*[a-zA-Z0-9])?$"
API_NAME_MAX = 64
_API_NAME = re.compile(API_NAME_PATTERN.removesuffix("$") + r"\Z")  # `$` would allow a final newline
# An operation's id, as Incus writes it (uuid.New().String()).
OPERATION_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_OPERATION_ID = re.compile(OPERATION_ID_PATTERN.removesuffix("$") + r"\Z")
# IsHostname: instance names (instance.ValidName).
_HOSTNAME = re.compile(r"^[a-zA-Z0-9-]+$")


class InvalidName(ValueError):
    """A name Incus would never have given an object: refused before anything is sent."""


def api_name(value: str) -> str:
    """A cluster member's or group's name, as `validate.IsAPIName(name, false)` wants it, with
    Incus's words for the rule it breaks."""
    if len(value) > API_NAME_MAX:
        raise InvalidName(f"Maximum name length is {API_NAME_MAX} characters")
    if _API_NAME.match(value):
        return value
    if re.search(f"[{_CONTROL}]", value):
        raise InvalidName("Name cannot contain control characters")
    if any(c.isspace() for c in value):
        raise InvalidName("Name cannot contain white space")
    if reserved := [c for c in value if c in _RESERVED]:
        raise InvalidName(f"Name contains invalid character {reserved[0]!r}")
    raise InvalidName("Names must start and end with an alphanumeric character")


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
    if not _OPERATION_ID.match(value):
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
