"""A real PostgreSQL server for the database tests: Debian's binaries, a throwaway cluster
in a temporary folder, listening on 127.0.0.1 only, stopped at the end."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=None)


def _as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, text=True)


class PostgresServer:
    def __init__(self, port: int) -> None:
        if BIN is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="incus-webui-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        _as_postgres(str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        _as_postgres(
            str(BIN / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "start",
            "-o", f"-h 127.0.0.1 -p {port} -k {self.dir}",
        )
        self.data = data

    def create_database(self, name: str) -> str:
        _as_postgres(str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)
