"""check-pipelines through the real pre-commit client: a component change that
breaks a pipeline fails the commit, though no pipeline file changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.gitrepos import GIT_IDENTITY, commit_all, git, snapshot_working_tree
from tests.support.paths import FIXTURES

COMPONENT_REPO = FIXTURES / "pipelines" / "component_repo"
GREET = Path("workflows/components/greet/component.yaml")
UNUSED = Path("workflows/components/unused/component.yaml")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This repository's working tree as one commit: (path, sha)."""
    snapshot = tmp_path_factory.mktemp("hooks-repo")
    return snapshot, snapshot_working_tree(snapshot)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    return {**env, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home)}


@pytest.fixture()
def repo(tmp_path, hook_repo) -> Path:
    """The fixture repository, committed, with check-pipelines configured."""
    repo = tmp_path / "user repo"  # a space in the path, as users have
    shutil.copytree(COMPONENT_REPO, repo)
    path, sha = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n"
        "      - id: check-pipelines\n"
    )
    commit_all(repo)
    return repo


def pre_commit_run(repo: Path, env: dict[str, str]) -> tuple[int, str]:
    """``pre-commit run`` on the staged files, as ``git commit`` would."""
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # the first call builds the hook environment (pip, kfp)
    )
    return result.returncode, result.stdout + result.stderr


def rename_input(component: Path, old: str, new: str) -> None:
    text = component.read_text()
    text = text.replace(f"name: {old}", f"name: {new}")
    component.write_text(text.replace(f"inputValue: {old}", f"inputValue: {new}"))


def test_renaming_a_component_input_fails_the_pipeline_that_uses_it(repo, env):
    rename_input(repo / GREET, "who", "person")
    git(repo, "add", str(GREET))
    code, out = pre_commit_run(repo, env)
    assert code == 1, out
    assert (
        "workflows/greet_pipeline.py:16:0: error: the kfp compiler refused the "
        'pipeline: TypeError: greet() got an unexpected keyword argument "who". '
        f"(compiled because {GREET} changed) [pipeline-compile]"
    ) in out
    # broken_pipeline.py uses no component: not compiled, not reported.
    assert "broken_pipeline" not in out and "Traceback" not in out


def test_a_component_no_pipeline_uses_passes(repo, env):
    (repo / UNUSED).write_text((repo / UNUSED).read_text() + "description: idle\n")
    git(repo, "add", str(UNUSED))
    code, out = pre_commit_run(repo, env)
    assert code == 0, out
    assert "compile KFP pipelines" in out and "Passed" in out
