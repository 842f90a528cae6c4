"""Every exit code macro-deploy can return is documented in docs/deploy.md's table, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

from macro_ai_deploy.exitcodes import ExitCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_every_exit_code_has_a_row():
    text = DOC.read_text()
    table = text[text.index("## Exit codes") : text.index("## Commands")]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    codes = {int(c) for c in ExitCode} | {8}  # 8: `config diff --exit-code` found changes
    assert codes == documented
