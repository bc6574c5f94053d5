"""Incus's own rules for the names of its objects, and the one way a path to Incus is built.

A name that reaches a path comes from a URL or a form: `..` as a member name once sent the
dashboard's `PUT` to `/1.0/cluster` (httpx removes dot segments, as RFC 3986 says), which
Incus read as "disable clustering". So every name is checked against the rule Incus applies
when the object is made (`shared/validate/validate.go`, `cmd/incusd/api_project.go`), and every
path is built from segments encoded whole, where `.` and `..` cannot be."""

import re
from urllib.parse import quote

# IsAPIName: what Incus checks a cluster member's name (`server_name` on join and rename) and a
# cluster group's name against (not IsHostname: Incus accepts `node_1` as a member), within
# printable ASCII: a name that reaches a URL here is a host's name in practice, a look-alike
# in another script is refused, and the rule is one pattern every regex dialect reads alike,
# which the OpenAPI schema publishes too. A letter or digit at both ends; between them, none
# of Incus's reserved characters (nor `[\]^`).
_RESERVED = "$?&+\"'`*/"
_MIDDLE = "!#%(),.0-9:;<=>@A-Z_a-z{|}~-"
API_NAME_PATTERN = f"^[a-zA-Z0-9](?:[{_MIDDLE}]*[a-zA-Z0-9])?$"
API_NAME_MAX = 64
_API_NAME = re.compile(API_NAME_PATTERN.removesuffix("$") + r"\Z")  # `$` would allow a final newline
# An operation's or a warning's id, as Incus writes it (uuid.New().String()).
OPERATION_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_OPERATION_ID = re.compile(OPERATION_ID_PATTERN.removesuffix("$") + r"\Z")
# IsHostname: instance names (instance.ValidName).
_HOSTNAME = re.compile(r"^[a-zA-Z0-9-]+$")


class InvalidName(ValueError):
    """A name Incus would never have given an object: refused before anything is sent."""


def api_name(value: str) -> str:
    """A cluster member's or group's name, with Incus's words for the rule it breaks."""
    if len(value) > API_NAME_MAX:
        raise InvalidName(f"Maximum name length is {API_NAME_MAX} characters")
    if _API_NAME.match(value):
        return value
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        raise InvalidName("Name cannot contain control characters")
    if any(c.isspace() for c in value):
        raise InvalidName("Name cannot contain white space")
    if wrong := [c for c in value[1:-1] if c in _RESERVED or not c.isascii() or c in "[\\]^"]:
        raise InvalidName(f"Name contains invalid character {wrong[0]!r}")
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


def operation_id(value: str, what: str = "an operation") -> str:
    """An operation's id (or a warning's): Incus makes them with uuid.New(), always in this form."""
    if not _OPERATION_ID.match(value):
        raise InvalidName(f"Not {what} id (a UUID)")
    return value


def warning_uuid(value: str) -> str:
    return operation_id(value, "a warning")


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
