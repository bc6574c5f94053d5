"""The README's OpenID Connect section holds: its settings example loads as written, and it
names every oidc_ setting."""

import re
import tomllib

from tests.conftest import ROOT
from webui.settings import Settings

SECTION = "Signing in with OpenID Connect"


def section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split(f"\n## {SECTION}\n", 1)[1].split("\n## ", 1)[0]


def test_the_settings_example_loads_as_written():
    block = re.search(r"^```toml\n(.*?)^```", section(), re.S | re.M)
    assert block, "no TOML example"
    settings = Settings(**tomllib.loads(block.group(1)))
    assert settings.oidc_roles["staging-ops"] == {"staging": "operator", "prod": "auditor"}


def test_every_oidc_setting_is_documented():
    text = section()
    missing = [name for name in Settings.model_fields if name.startswith("oidc_") and name not in text]
    assert not missing, f"undocumented: {missing}"
    assert "cluster_name" in text
