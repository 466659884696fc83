"""Generated projects pass their own gates, for every option that changes code or CI.

use_tekton x use_github_actions are all baked; license and python_version are
cycled through them so that each value is gated once. One virtual environment
is shared by every bake: it sees this test environment's packages through a
.pth file, so installing a project downloads nothing (`--no-index`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.template import bake

GATED = [
    {
        "use_tekton": True,
        "use_github_actions": True,
        "license": "MIT",
        "python_version": "3.10",
    },
    {
        "use_tekton": True,
        "use_github_actions": False,
        "license": "Apache-2.0",
        "python_version": "3.11",
    },
    {
        "use_tekton": False,
        "use_github_actions": True,
        "license": "BSD-3-Clause",
        "python_version": "3.12",
    },
    {
        "use_tekton": False,
        "use_github_actions": False,
        "license": "Proprietary",
        "python_version": "3.13",
    },
]
KFP_CLI = "import sys; from kfp.cli.__main__ import main; sys.exit(main())"
HYGIENE_FIXERS = (
    ["trailing-whitespace-fixer"],
    ["end-of-file-fixer"],
    ["mixed-line-ending", "--fix=lf"],
)


def gate_id(answers: dict) -> str:
    return "-".join(
        [
            "tekton" if answers["use_tekton"] else "no-tekton",
            "gha" if answers["use_github_actions"] else "no-gha",
            answers["license"],
            "py" + answers["python_version"],
        ]
    )


def clean_env() -> dict[str, str]:
    """The environment without this run's pytest and coverage settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_"))
    }


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a gate; fail the test with its output when it fails."""
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=clean_env(), timeout=600
    )
    assert (
        result.returncode == 0
    ), f"{' '.join(command)} failed in {cwd}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def gate_python(tmp_path_factory) -> str:
    """The interpreter of a virtualenv shared by every gated bake."""
    venv = tmp_path_factory.mktemp("gate-venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # This environment's packages (pip, black, kfp, ...) behind the venv's own.
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # dsp itself, as `make install` and CI put it beside the project (the
    # monitor-model component runs it); an editable install's finder is not
    # read from a path added here.
    paths.add(str(REPO_ROOT))
    Path(purelib, "test_environment.pth").write_text("\n".join(sorted(paths)) + "\n")
    # The generated pyproject declares PEP 639 licences: setuptools >= 77.
    if int(version("setuptools").split(".")[0]) < 77:
        run([str(python), "-m", "pip", "install", "-q", "setuptools>=77"], venv)
    return str(python)


def tracked_files(project: Path, *suffixes: str) -> list[str]:
    listed = run(["git", "ls-files"], project).stdout.split()
    return [name for name in listed if not suffixes or name.endswith(suffixes)]


@pytest.mark.slow
@pytest.mark.parametrize("answers", GATED, ids=gate_id)
def test_generated_project_passes_its_own_gates(tmp_path, gate_python, answers):
    answers = {**answers, "project_name": f"Gate {gate_id(answers)}"}
    print("answers:", json.dumps(answers, sort_keys=True))
    project = bake(tmp_path, **answers)
    python = gate_python

    run(
        [python, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation"]
        + ["-e", ".[dev]"],
        project,
    )
    run(["git", "init", "-q", "-b", "main"], project)
    run(["git", "add", "-A"], project)
    committer = ["-c", "user.name=Gate", "-c", "user.email=gate@example.com"]
    run(["git", *committer, "commit", "-q", "-m", "Generated"], project)

    tests = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"]
        + ["--cov-fail-under=100"],
        project,
    )
    assert "Required test coverage of 100% reached" in tests.stdout
    run([python, "-m", "black", "--check", "."], project)
    run([python, "-m", "flake8"], project)
    run(
        [python, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        project,
    )
    # `make pipeline`: kfp dsl compile, through this venv's interpreter.
    (project / "build").mkdir()
    run(
        [python, "-c", KFP_CLI, "dsl", "compile", "--py", "workflows/iris_pipeline.py"]
        + ["--output", "build/pipeline.yaml"],
        project,
    )
    assert (project / "build" / "pipeline.yaml").stat().st_size > 0

    files = tracked_files(project)
    for fixer in HYGIENE_FIXERS:
        module = "pre_commit_hooks." + fixer[0].replace("-", "_")
        run([python, "-m", module, *fixer[1:], *files], project)
    checks = {
        "check_yaml": [
            "--allow-multiple-documents",
            *tracked_files(project, ".yaml", ".yml"),
        ],
        "check_toml": tracked_files(project, ".toml"),
        "check_merge_conflict": files,
    }
    for module, arguments in checks.items():
        run([python, "-m", f"pre_commit_hooks.{module}", *arguments], project)
    run([python, "-m", "black", "-q", "."], project)
    # The formatters changed nothing, and the gates left no file git would add.
    assert run(["git", "status", "--porcelain"], project).stdout == ""
