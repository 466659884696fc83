"""The hooks through the real pre-commit client, in temporary git repositories.

The repository is snapshotted once per session (the working tree, uncommitted
changes included, committed into a scratch repository) so every call uses one
revision.  `pre-commit try-repo` builds a fresh hook environment on every call
(it uses its own temporary store, whatever PRE_COMMIT_HOME says), so it runs
once, on a project the template generated, with every hook; the other tests
use `pre-commit run` with a `.pre-commit-config.yaml` naming the snapshot, and
their environment, in a session PRE_COMMIT_HOME, is built once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.gitrepos import GIT_IDENTITY, commit_all, git, snapshot_working_tree
from tests.support.paths import FIXTURES, REPO_ROOT

REPO = REPO_ROOT
FIXTURES = FIXTURES
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def init_repo(path: Path) -> Path:
    """Commit everything under ``path`` into a new git repository."""
    commit_all(path)
    return path


@pytest.fixture(scope="session")
def hooks_snapshot(tmp_path_factory) -> tuple[Path, str]:
    """This repository's working tree as one commit: (path, sha)."""
    snapshot = tmp_path_factory.mktemp("hooks-repo")
    return snapshot, snapshot_working_tree(snapshot)


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    env.update(GIT_IDENTITY)
    env["PRE_COMMIT_HOME"] = str(home)
    env["PRE_COMMIT_COLOR"] = "never"
    return env


def try_repo(hooks_snapshot, env, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``pre-commit try-repo <snapshot> [hook] --ref <sha> args`` in ``cwd``."""
    path, sha = hooks_snapshot
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(path), *args, "--ref", sha],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # builds the environment: pip install of the repo and kfp
    )


def run_hook(
    hooks_snapshot, env, repo: Path, hook_id: str, *selection: str, args=()
) -> subprocess.CompletedProcess:
    """Configure ``hook_id`` in ``repo``'s .pre-commit-config.yaml and run it."""
    path, sha = hooks_snapshot
    config = (
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n"
        f"      - id: {hook_id}\n        args: {list(args)!r}\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    git(repo, "add", ".pre-commit-config.yaml")
    return subprocess.run(
        [*PRE_COMMIT, "run", hook_id, *(selection or ("--all-files",))],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # the first call builds the environment
    )


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


@pytest.fixture()
def user_repo(tmp_path) -> Path:
    repo = tmp_path / "user repo"  # a space in the path, as users have
    repo.mkdir()
    return repo


def test_check_profiles_through_pre_commit(hooks_snapshot, pre_commit_env, user_repo):
    shutil.copy(FIXTURES / "profiles" / "profiles.yaml", user_repo / "profiles.yaml")
    (user_repo / "team").mkdir()
    shutil.copy(
        FIXTURES / "profiles" / "overlap.yaml", user_repo / "team" / "profiles.yml"
    )
    # Not a profiles file by the manifest's pattern: pre-commit must not pass it.
    shutil.copy(FIXTURES / "yaml" / "binary.yaml", user_repo / "my-profiles.yaml")
    init_repo(user_repo)

    result = run_hook(hooks_snapshot, pre_commit_env, user_repo, "check-profiles")
    out = output(result)
    assert result.returncode == 1, out
    assert "team/profiles.yml:6:7: error: 'ALICE@example.com' is both admin" in out
    assert "[profiles-overlap]" in out
    assert "my-profiles.yaml" not in out
    assert "Traceback" not in out

    # The clean file alone passes.
    result = run_hook(
        hooks_snapshot,
        pre_commit_env,
        user_repo,
        "check-profiles",
        "--files",
        "profiles.yaml",
    )
    assert result.returncode == 0, output(result)
    assert "Passed" in result.stdout


def test_check_profiles_allowed_domain_args(hooks_snapshot, pre_commit_env, user_repo):
    shutil.copy(FIXTURES / "profiles" / "profiles.yaml", user_repo / "profiles.yaml")
    init_repo(user_repo)
    result = run_hook(
        hooks_snapshot,
        pre_commit_env,
        user_repo,
        "check-profiles",
        args=["--allowed-domain", "corp.example"],
    )
    out = output(result)
    assert result.returncode == 1, out
    assert out.count("[profiles-domain]") == 2


def test_check_tekton_through_pre_commit(hooks_snapshot, pre_commit_env, user_repo):
    tekton = user_repo / ".tekton"
    shutil.copytree(FIXTURES / "tekton" / "good", tekton)
    shutil.copy(
        FIXTURES / "tekton" / "bad" / "changed_files_with_owners.yaml",
        tekton / "owners.yaml",
    )
    # Outside .tekton/: not a Tekton file by the manifest's pattern.
    shutil.copy(
        FIXTURES / "tekton" / "bad" / "no_secret_ref.yaml", user_repo / "x.yaml"
    )
    init_repo(user_repo)

    result = run_hook(hooks_snapshot, pre_commit_env, user_repo, "check-tekton")
    out = output(result)
    assert result.returncode == 1, out
    assert ".tekton/owners.yaml:9:11: error: GitHub interceptor" in out
    assert "[github-owners-skipped]" in out
    assert "x.yaml" not in out and "[github-secret]" not in out

    # One changed file: references still resolve through the folder.
    result = run_hook(
        hooks_snapshot,
        pre_commit_env,
        user_repo,
        "check-tekton",
        "--files",
        ".tekton/triggers.yaml",
    )
    assert result.returncode == 0, output(result)


def test_check_components_through_pre_commit(
    hooks_snapshot, pre_commit_env, user_repo, corpus
):
    components = sorted((corpus / "kfp-components").rglob("component.yaml"))
    good = user_repo / "good" / "component.yaml"
    good.parent.mkdir()
    shutil.copy(components[0], good)
    bad = user_repo / "bad" / "component.yaml"
    bad.parent.mkdir()
    bad.write_text("name: broken\nimplementation: [\n")
    init_repo(user_repo)
    result = run_hook(hooks_snapshot, pre_commit_env, user_repo, "check-components")
    out = output(result)
    assert result.returncode == 1, out
    assert "bad/component.yaml:" in out and "[yaml-syntax]" in out
    good_lines = [line for line in out.splitlines() if "good/component" in line]
    assert not [line for line in good_lines if ": error:" in line], out
    assert "Traceback" not in out


def test_check_pipelines_through_pre_commit(hooks_snapshot, pre_commit_env, user_repo):
    workflows = user_repo / "workflows"
    workflows.mkdir()
    (workflows / "hello_pipeline.py").write_text(
        "from kfp import dsl\n\n\n@dsl.component\ndef hello(name: str) -> str:\n"
        "    return 'hello ' + name\n\n\n@dsl.pipeline(name='hello')\n"
        "def hello_pipeline(name: str = 'x'):\n    hello(name=name)\n"
    )
    (workflows / "broken_pipeline.py").write_text(
        "from kfp import dsl\n\nundefined_name\n"
    )
    init_repo(user_repo)
    result = run_hook(hooks_snapshot, pre_commit_env, user_repo, "check-pipelines")
    out = output(result)
    assert result.returncode == 1, out
    assert "workflows/broken_pipeline.py:3:" in out
    assert "hello_pipeline.py" not in out
    assert not (workflows / "hello_pipeline.yaml").exists()


@pytest.fixture()
def generated_repo(baked_project, tmp_path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(baked_project, project)
    return init_repo(project)


def test_generated_project_passes_every_hook_with_try_repo(
    hooks_snapshot, pre_commit_env, generated_repo
):
    # No hook id: every hook of the manifest at the pre-commit stage.
    result = try_repo(hooks_snapshot, pre_commit_env, generated_repo, "--all-files")
    out = output(result)
    assert result.returncode == 0, out
    for name in (
        "check profiles.yaml",
        "check KFP components",
        "compile KFP pipelines",
        "check Tekton files",
    ):
        (line,) = [line for line in result.stdout.splitlines() if line.startswith(name)]
        assert line.endswith("Passed"), line  # files were selected, not skipped


def test_generated_project_profiles_break_is_caught(
    hooks_snapshot, pre_commit_env, generated_repo
):
    profiles = generated_repo / "profiles.yaml"
    text = profiles.read_text()
    profiles.write_text(text.replace("admins:", "admns:", 1))
    git(generated_repo, "add", "profiles.yaml")
    result = run_hook(
        hooks_snapshot,
        pre_commit_env,
        generated_repo,
        "check-profiles",
        "--files",
        "profiles.yaml",
    )
    out = output(result)
    assert result.returncode == 1, out
    assert "did you mean 'admins'" in out


# --- a project baked from a local clone runs our hooks, unchanged ------------------


@pytest.fixture
def venv_python(tmp_path) -> Path:
    """A fresh virtualenv that sees this test environment's packages (a .pth
    file), so `make install` finds its requirements without downloading them."""
    import sysconfig

    venv = tmp_path / "venv"
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
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "test_environment.pth").write_text("\n".join(sorted(paths)) + "\n")
    return python


def test_a_project_baked_from_a_local_clone_runs_our_hooks_on_commit(
    hooks_snapshot, pre_commit_env, tmp_path, venv_python
):
    """cookiecutter <clone> --no-input, `make install`, `git commit`: the real git
    hooks run this repository's hooks from the clone at its commit."""
    import yaml
    from cookiecutter.main import cookiecutter

    clone, sha = hooks_snapshot  # a local git clone of this repository
    project = Path(cookiecutter(str(clone), no_input=True, output_dir=str(tmp_path)))
    config_path = project / ".pre-commit-config.yaml"
    config = yaml.safe_load(config_path.read_text())
    ours = config["repos"][-1]
    assert (ours["repo"], ours["rev"]) == (str(clone), sha)
    # Only the third-party hook repositories (unreachable here) are left out.
    config["repos"] = [ours]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    env = {**pre_commit_env, "PATH": f"{venv_python.parent}:{os.environ['PATH']}"}
    git(project, "init", "-q", "-b", "main")
    install = subprocess.run(
        ["make", "--no-print-directory", "install", f"PYTHON={venv_python}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert f"dsp-template @ git+{clone.as_uri()}@{sha}" in install.stdout
    dsp = subprocess.run(
        [str(venv_python), "-m", "precommit_hooks.cli", "onboard", "--help"],
        capture_output=True,
        text=True,
    )
    assert dsp.returncode == 0 and "profiles" in dsp.stdout

    git(project, "add", "-A")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "generated"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    ran = commit.stdout + commit.stderr
    names = ("profiles.yaml", "KFP components", "KFP pipelines", "Tekton files")
    for name in (
        f"{verb} {what}"
        for verb, what in zip(["check", "check", "compile", "check"], names)
    ):
        assert re.search(rf"{name}\.+Passed", ran), ran

    (project / "profiles.yaml").write_text("profiles:\n  name: Not A Label\n")
    git(project, "add", "-A")
    refused = subprocess.run(
        ["git", "commit", "-q", "-m", "break the profile"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    said = refused.stdout + refused.stderr  # git shows the hook's output on stderr
    assert refused.returncode != 0
    assert re.search(r"check profiles\.yaml\.+Failed", said), said
    assert "profiles.yaml:" in said
