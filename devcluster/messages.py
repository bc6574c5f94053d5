"""What the dev cluster tells the person running it: progress lines on standard error
(silenced by INCUS_WEBUI_DEV_QUIET=1) and the error it stops with."""

import os
import sys


class DevClusterError(RuntimeError):
    pass


def log(msg: str) -> None:
    if os.environ.get("INCUS_WEBUI_DEV_QUIET") != "1":
        print(f"[devcluster] {msg}", file=sys.stderr, flush=True)
