"""The package's shape is enforced: layers by import-linter, types by mypy.

The contract lives in pyproject.toml (``[tool.importlinter]``): a part
(access, kfp, lifecycle, adopt) stands on ``core`` and reaches a sibling only
through an interface the contract names; hooks and the CLI sit on top.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO_ROOT

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed; pip install -e '.[test]'"
    return found


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contract_holds() -> None:
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_cross_import_between_parts_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(
        REPO_ROOT / "precommit_hooks",
        tmp_path / "precommit_hooks",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    init = tmp_path / "precommit_hooks" / "access" / "__init__.py"
    init.write_text(
        init.read_text() + "\nimport precommit_hooks.lifecycle.gate  # noqa\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "precommit_hooks.access -> precommit_hooks.lifecycle.gate" in result.stdout


def test_type_checker_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
