"""The README's install, run as a user runs it: the wheel, built from the sdist, installed by the
README's own `pip install` into an empty virtualenv (nothing of this test environment on its
path; its dependencies at the versions of requirements.lock, from the registry or pip's cache),
then every command of the README's install sections, line by line, as written. A README that
drifts from the code (a renamed flag, a step that no longer works) fails here.

What the test fills in, and why:
- The README writes to /opt, /usr/local/bin, /etc and /var/lib/incus-webui: here each lives under
  a throwaway root folder (the same paths, prefixed), so the test never touches the machine's.
  The system user `incus-webui` is real: created by the README's `useradd`, removed afterwards.
- A real Incus host has Incus's socket at /var/lib/incus/unix.socket; the test cluster has none
  there. Once the README has written webui.toml, the test adds the cluster's address and
  certificates to it (README: "Pointing it at a real cluster") and a free port; for the second
  section it names a member's socket (INCUS_WEBUI_SOCKET) and the incus CLI remote `prod`.
- `systemctl daemon-reload && systemctl enable --now` needs systemd as PID 1, which CI's
  container lacks: the test checks the unit with `systemd-analyze verify` instead, and runs its
  ExecStart line itself, as the unit's User, in its WorkingDirectory, then opens a page.
- `pipx install` is not run (pipx is not installed on CI's machine); it installs the same wheel.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, csrf_token, free_port

pytestmark = pytest.mark.cluster

SECTIONS = ("Install on an Incus host", "Pointing it at a real cluster")
# The README's paths that the test moves under its root folder (README's /var/lib/incus, Incus's
# own, and /usr/sbin/nologin stay as they are).
MOVED = re.compile(r"(?<![\w.])(/opt/|/usr/local/bin/|/etc/|/var/lib/incus-webui)")
SYSTEMCTL = "systemctl daemon-reload && systemctl enable --now incus-webui"
USER = "incus-webui"


def readme_commands(section: str) -> list[str]:
    """The command lines of the README section's `sh` blocks, in order."""
    readme = (ROOT / "README.md").read_text()
    assert f"\n## {section}\n" in readme, f"the README has no section {section!r}"
    body = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", body, re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


class Host:
    """A throwaway root folder standing for the Incus host's file system."""

    def __init__(self, root: Path, wheel: Path, pins: Path) -> None:
        self.root = root
        self.bin = root / "usr/local/bin"
        self.env = {
            "PATH": f"{self.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.environ.get("HOME", "/root"),  # pip's cache
            "LANG": "C.UTF-8",
            # The README's `pip install` as written; the versions it picks are the lock's.
            "PIP_CONSTRAINT": str(pins),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        for folder in ("opt", "usr/local/bin", "etc/systemd/system", "var/lib"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(wheel, root)  # "copy it to the host": the README runs `pip install ./<wheel>`

    def moved(self, text: str) -> str:
        return MOVED.sub(lambda m: f"{self.root}{m[1]}", text)

    def run(self, line: str, cwd: Path | None = None, **env: str) -> str:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", self.moved(line)], cwd=cwd or self.root,
                                env={**self.env, **env}, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"README: {line}\n{result.stdout}{result.stderr}"
        return result.stdout

    def python(self, code: str) -> str:
        return subprocess.run([self.root / "opt/incus-webui/bin/python", "-c", code], cwd=self.root,
                              env=self.env, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    work = tmp_path_factory.mktemp("wheel")
    # Like `python -m build`: the sdist first, then the wheel from the unpacked sdist.
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(ROOT)], check=True,
                   capture_output=True)
    assert sorted(p.suffix for p in (work / "dist").iterdir()) == [".gz", ".whl"]
    pins = work / "pins.txt"  # the lock's versions; its hashes would ask one of the wheel too
    pins.write_text("".join(f"{pin}\n" for pin in re.findall(r"^([\w.-]+==\S+)", (ROOT / "requirements.lock")
                                                              .read_text(), re.M)))
    if subprocess.run(["getent", "passwd", USER], capture_output=True).returncode == 0:
        pytest.fail(f"the user {USER} exists already: this test creates it (README's useradd) and removes it")
    # Not under pytest's temporary folder: the service's user must reach its own files.
    root = Path(tempfile.mkdtemp(prefix="incus-webui-host-", dir="/var/tmp"))
    root.chmod(0o755)
    try:
        yield Host(root, next((work / "dist").glob("*.whl")), pins)
    finally:
        subprocess.run(["userdel", USER], capture_output=True)
        shutil.rmtree(root)


def connect(config: Path, cluster, port: int) -> None:
    """What a real Incus host has without saying (its socket): the cluster's address and
    certificates, readable by the service's user alone, and a port no other test uses."""
    for name, source in (("client.crt", cluster.client_cert), ("client.key", cluster.client_key),
                         ("cluster.crt", cluster.cluster_cert)):
        shutil.copy(source, config.parent / name)
        shutil.chown(config.parent / name, USER, USER)
        (config.parent / name).chmod(0o600)
    folder = config.parent
    config.write_text(config.read_text() + f'addresses = ["{cluster.url(cluster.members[0])}"]\n'
                      f'client_cert = "{folder}/client.crt"\nclient_key = "{folder}/client.key"\n'
                      f'server_cert = "{folder}/cluster.crt"\nport = {port}\n')


def said_by(said: dict[str, str], command: str) -> str:
    """What the README's line running `command` printed."""
    return next(out for line, out in said.items() if command in line)


def member_rows(url: str, output: str) -> list[str]:
    """The members on the dashboard's first page, logged in as the account `user add` printed."""
    name, password = re.search(r"user (\S+) \(admin\) created; password: (\S+)", output).groups()
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=url, timeout=30) as browser:
        while browser_health(browser) != 200:
            assert time.monotonic() < deadline, "the dashboard did not become healthy"
            time.sleep(0.3)
        browser.get("/login")
        reply = browser.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(browser)})
        assert reply.status_code == 303, reply.text
        return sorted(re.findall(r'<tr id="member-([^"]+)"', browser.get("/").text))


def browser_health(browser: httpx.Client) -> int:
    try:
        return browser.get("/healthz").status_code
    except httpx.TransportError:
        return 0


def served(command: list[str], url: str, output: str, cwd: Path, env: dict[str, str]) -> list[str]:
    """Start a long-running `serve`, read its member table, stop it."""
    log = cwd / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        return member_rows(url, output)
    except (AssertionError, httpx.HTTPError) as exc:
        raise AssertionError(f"{' '.join(command)}: {exc}\n{log.read_text()}") from exc
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_readme_install_on_an_incus_host_runs_as_written(cluster, host: Host):
    lines = readme_commands("Install on an Incus host")
    assert SYSTEMCTL in lines
    config = host.root / "etc/incus-webui/webui.toml"
    port = free_port()
    said = {}
    for line in lines:
        if line == SYSTEMCTL:
            said[line] = start_the_unit(host, port, said)
            continue
        said[line] = host.run(line)
        if config.is_file() and "addresses" not in config.read_text():
            connect(config, cluster, port)
    # The wheel alone, not the checkout, and nothing of the postgres extra or the tests.
    where = host.python("import importlib.util as u, webui; print(webui.__file__, u.find_spec('psycopg'),"
                        " u.find_spec('pytest'))").split()
    assert where[0].startswith(str(host.root / "opt/incus-webui/")) and where[1:] == ["None", "None"], where
    lock = set(re.findall(r"^([\w.-]+==\S+)", (ROOT / "requirements.lock").read_text().lower(), re.M))
    frozen = subprocess.run([host.root / "opt/incus-webui/bin/pip", "freeze", "--exclude", "incus-webui"],
                            env=host.env, capture_output=True, text=True, check=True).stdout
    assert set(frozen.lower().replace("_", "-").split()) - {p.replace("_", "-") for p in lock} == set()
    assert "systemd-unit" in subprocess.run([host.bin / "incus-webui", "--help"], env=host.env,
                                                         capture_output=True, text=True, check=True).stdout
    assert "no problems found" in said_by(said, "incus-webui doctor")  # as root
    assert sorted(cluster.members) == said[SYSTEMCTL]


def start_the_unit(host: Host, port: int, said: dict[str, str]) -> list[str]:
    """No systemd as PID 1 here: verify the unit, then do what it would do, as its user."""
    unit = host.root / "etc/systemd/system/incus-webui.service"
    verdict = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert (verdict.returncode, verdict.stdout + verdict.stderr) == (0, "")
    settings = dict(re.findall(r"^(\w+)=(.*)$", unit.read_text(), re.M))
    assert settings["User"] == USER
    added = said_by(said, "incus-webui user add")
    return served(["runuser", "-u", settings["User"], "--", *host.moved(settings["ExecStart"]).split()],
                  f"http://127.0.0.1:{port}", added, Path(host.moved(settings["WorkingDirectory"])), host.env)


def test_the_readme_commands_for_a_real_cluster_run_as_written(cluster, host: Host):
    if not (host.bin / "incus-webui").exists():
        pytest.skip("runs the dashboard the install test installed")
    lines = readme_commands("Pointing it at a real cluster")
    home = host.root / "root"
    home.mkdir()
    conf = home / "incus-conf"  # the incus CLI's configuration, with the cluster as the remote "prod"
    shutil.copytree(cluster.incus_conf, conf)
    remote = next((conf / "servercerts").glob("*.crt"))
    remote.rename(conf / "servercerts/prod.crt")
    (conf / "config.yml").write_text((conf / "config.yml").read_text().replace(f"{remote.stem}:", "prod:"))
    port = free_port()
    env = {**host.env, "INCUS_CONF": str(conf), "INCUS_WEBUI_PORT": str(port),
           "INCUS_WEBUI_SOCKET": str(cluster.incus_dir(cluster.members[0]) / "unix.socket")}
    said: dict[str, str] = {}
    for line in lines:
        if line.split()[:2] == ["incus-webui", "serve"]:
            added = said_by(said, "incus-webui user add")
            assert served(["bash", "-c", f"exec {line}"], f"http://127.0.0.1:{port}", added, home, env) == sorted(
                cluster.members), line
        else:
            said[line] = host.run(line, cwd=home, **{k: env[k] for k in ("INCUS_CONF", "INCUS_WEBUI_PORT",
                                                                          "INCUS_WEBUI_SOCKET")})
    assert (home / "incus-webui.db").is_file()
    assert "no problems found" in said_by(said, "incus-webui doctor")
    assert sum(line.split()[:2] == ["incus-webui", "serve"] for line in lines) == 2
