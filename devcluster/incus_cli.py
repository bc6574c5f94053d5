"""Running the incus command-line client against the dev cluster: on one member's unix socket
(as root on that machine would), or over HTTPS with the client certificate (as the dashboard
does). A failed command's error keeps Incus's own words (its stderr)."""

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

INCUS = "/usr/bin/incus"


class IncusCommandError(subprocess.CalledProcessError):
    """A failed ``incus`` command; str() includes its stderr."""

    def __str__(self) -> str:  # pragma: no cover - trivial
        cmd = " ".join(str(c) for c in self.cmd) if isinstance(self.cmd, (list, tuple)) else self.cmd
        err = (self.stderr or "").strip() or (self.output or "").strip()
        return f"`{cmd}` failed with exit status {self.returncode}: {err}"


def local_env(incus_dir: Path, conf_dir: Path) -> dict[str, str]:
    """The environment for the CLI to talk to the daemon of incus_dir over its unix socket."""
    env = dict(os.environ)
    env["INCUS_DIR"] = str(incus_dir)
    # Make sure the CLI talks to the unix socket of that member, whatever
    # the caller's own CLI configuration says.
    env["INCUS_CONF"] = str(conf_dir)
    env.pop("INCUS_SOCKET", None)
    env.pop("INCUS_REMOTE", None)
    env.pop("INCUS_PROJECT", None)
    return env


def remote_env(incus_conf: Path) -> dict[str, str]:
    """The environment for the CLI to use the remotes and client certificate of incus_conf."""
    env = dict(os.environ)
    env.pop("INCUS_DIR", None)
    env["INCUS_CONF"] = str(incus_conf)
    return env


def run_incus(
    args: Sequence[str], env: dict[str, str], where: str, *, check: bool, input: str | None, timeout: float | None
) -> subprocess.CompletedProcess[str]:
    """Run ``incus ARGS``; a timeout is an IncusCommandError that says where the CLI was talking to."""
    cmd = [INCUS, *[str(a) for a in args]]
    try:
        r = subprocess.run(
            cmd,
            env=env,
            input=input,
            text=True,
            capture_output=True,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise IncusCommandError(-1, cmd, e.output, f"timed out after {timeout}s ({where})") from None
    if check and r.returncode != 0:
        raise IncusCommandError(r.returncode, cmd, r.stdout, r.stderr)
    return r
