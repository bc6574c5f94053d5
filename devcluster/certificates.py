"""The client certificate the dashboard and the incus CLI present to the dev cluster, and the
fingerprint by which the cluster's trust store knows it."""

import hashlib
import os
import ssl
import subprocess
from pathlib import Path


def fingerprint(pem_path: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(pem_path.read_text())
    return hashlib.sha256(der).hexdigest()


def generate_client_cert(crt: Path, key: Path) -> None:
    crt.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:secp384r1",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/O=incus-webui/CN=incus-webui-dev",
            "-addext",
            "extendedKeyUsage=clientAuth",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        check=True,
        capture_output=True,
    )
    os.chmod(key, 0o600)
