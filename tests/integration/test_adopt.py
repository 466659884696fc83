"""``dsp adopt``: merges, refusals, atomic writes, and cruft check/update after it.

The integration tests build real git repositories (a plain Python package and a
monorepo with the project in a subfolder), adopt this repository's template with
the real ``dsp`` command, then run the real ``cruft check`` and ``cruft update``
against a git copy of the template.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from precommit_hooks.adopt import command as adopt_module
from precommit_hooks.adopt import merge as merge_module
from precommit_hooks.adopt import plan as plan_module
from precommit_hooks.adopt import render as render_module
from precommit_hooks.adopt import transaction
from precommit_hooks.adopt.merge import (
    MARK,
    MergeError,
    merge_gitignore,
    merge_precommit_config,
)
from precommit_hooks.adopt.plan import unified_diff
from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Refusal
from tests.support.paths import REPO_ROOT

REPO_ROOT = REPO_ROOT
SLUG_DIR = "{{cookiecutter.project_slug}}"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}

USER_PRECOMMIT = """\
# Our own hooks: keep them exactly as they are.
repos:
- repo: https://github.com/psf/black-pre-commit-mirror
  rev: 24.10.0
  hooks:
  - id: black
    args: [--line-length=100]
- repo: local
  hooks:
  - id: no-print
    name: no print statements
    entry: '\\bprint\\('
    language: pygrep
    types: [python]

# pre-commit.ci settings
ci:
  autofix_prs: false
"""

USER_GITIGNORE = "*.log\n.venv/\n# editors\n.idea/\n"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=True,
    )
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def dsp_adopt(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``dsp adopt`` command line (JSON output unless asked)."""
    fmt = [] if any(a.startswith("--format") for a in args) else ["--format=json"]
    return subprocess.run(
        [sys.executable, "-m", "precommit_hooks.cli", "adopt", *fmt, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def cruft(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cruft", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )


def tree_state(root: Path) -> dict[str, tuple[str, int]]:
    """Every path under ``root`` (``.git`` aside) with its content hash and mode."""
    state = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_dir():
                state[rel] = ("dir", path.stat().st_mode)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state[rel] = (digest, path.stat().st_mode)
    return state


def is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(line in it for line in small)


def kept_around_one_insertion(original: bytes, merged: bytes) -> bool:
    """``merged`` is ``original`` with text inserted at one place (and appended)."""
    common = os.path.commonprefix([original, merged])
    rest = original[len(common) :]
    return len(merged) > len(original) and merged.find(rest, len(common)) != -1


def make_python_package(root: Path) -> dict[str, bytes]:
    """A plain Python package with hooks of its own; returns its files."""
    files = {
        "README.md": b"# Acme Tools\n\nSmall tools we already ship.\n",
        "pyproject.toml": (
            b'[project]\nname = "acme-tools"\nversion = "1.2.0"\n'
            b'requires-python = ">=3.10"\n'
        ),
        "src/acme_tools/__init__.py": b'"""Acme tools."""\n\n__version__ = "1.2.0"\n',
        "src/acme_tools/clean.py": b"def clean(text):\n    return text.strip()\n",
        "tests/test_clean.py": (
            b"from acme_tools.clean import clean\n\n\n"
            b"def test_clean():\n    assert clean(' a ') == 'a'\n"
        ),
        ".gitignore": USER_GITIGNORE.encode(),
        ".pre-commit-config.yaml": USER_PRECOMMIT.encode(),
    }
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


def render(template: Path, output: Path, **answers: str) -> Path:
    """The template rendered by real cookiecutter, for comparison."""
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(template), no_input=True, extra_context=answers, output_dir=str(output)
        )
    )


def rendered_files(project: Path) -> dict[str, bytes]:
    found = {}
    for folder, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(project).as_posix()] = path.read_bytes()
    return found


def hook_ids(text: str) -> list[tuple[str, str]]:
    root = yamlio.parse(text).documents[0]
    return [
        (repo["repo"], hook["id"]) for repo in root["repos"] for hook in repo["hooks"]
    ]


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's template as a git repository, as cruft needs one.

    The working tree's files are copied (not cloned), so the template under
    test is the one on disk, committed or not.
    """
    repo = tmp_path_factory.mktemp("template") / "dsp-template"
    repo.mkdir()
    for name in ("cookiecutter.json", "local_extensions.py"):
        shutil.copy2(REPO_ROOT / name, repo / name)
    for folder in ("hooks", SLUG_DIR):
        shutil.copytree(
            REPO_ROOT / folder,
            repo / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "template")
    return repo


@pytest.fixture()
def own_template(template_repo: Path, tmp_path: Path) -> Path:
    """A clone of the template that a test may change and commit to."""
    clone = tmp_path / "template-clone"
    git(tmp_path, "clone", "-q", str(template_repo), str(clone))
    return clone


@pytest.fixture()
def python_package(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    repo = tmp_path / "acme-tools"
    repo.mkdir()
    files = make_python_package(repo)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "acme tools")
    return repo, files


# --------------------------------------------------------------------------
# .gitignore merge
# --------------------------------------------------------------------------


def test_gitignore_merge_appends_missing_lines_with_their_comments() -> None:
    template = "# Python\n__pycache__/\n.venv/\n\n# training output\nartifacts/\n"
    merged, added = merge_gitignore(USER_GITIGNORE, template)
    assert added == ["__pycache__/", "artifacts/"]
    assert merged.startswith(USER_GITIGNORE)
    tail = merged[len(USER_GITIGNORE) :]
    assert tail == (
        f"\n# {MARK}\n# Python\n__pycache__/\n\n# training output\nartifacts/\n"
    )


def test_gitignore_merge_nothing_missing_keeps_the_text() -> None:
    assert merge_gitignore(USER_GITIGNORE, ".venv/\n  *.log\n") == (USER_GITIGNORE, [])


def test_gitignore_merge_keeps_crlf_and_a_missing_final_newline() -> None:
    user = "*.log\r\n.venv/"
    merged, added = merge_gitignore(user, "dist/\n")
    assert added == ["dist/"]
    assert merged == f"*.log\r\n.venv/\r\n\r\n# {MARK}\r\ndist/\r\n"


# --------------------------------------------------------------------------
# .pre-commit-config.yaml merge
# --------------------------------------------------------------------------

LOCAL_REPO = """\
repos:
- repo: local
  hooks:
  - id: a
    name: a
    entry: a
    language: system
"""

TEMPLATE_PRECOMMIT = """\
default_install_hook_types: [pre-commit, pre-push]
repos:
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: 25.1.0
    hooks:
      - id: black
  - repo: https://github.com/dsp-platform/dsp-template
    rev: v0.1.0
    hooks:
      - id: check-profiles
        files: (^|/)profiles\\.ya?ml$
      - id: model-regression
        stages: [pre-push]
"""


def test_precommit_merge_inserts_missing_hooks_inside_repos_and_keeps_every_byte():
    merged, added, notes = merge_precommit_config(USER_PRECOMMIT, TEMPLATE_PRECOMMIT)
    assert notes == []
    assert added == [
        "hook check-profiles (https://github.com/dsp-platform/dsp-template)",
        "hook model-regression (https://github.com/dsp-platform/dsp-template)",
        "setting default_install_hook_types",
    ]
    # Every original line survives, in order, and the user's hooks come first.
    assert is_subsequence(USER_PRECOMMIT.splitlines(), merged.splitlines())
    ids = hook_ids(merged)
    assert ids[:2] == hook_ids(USER_PRECOMMIT)
    assert ids[2:] == [
        ("https://github.com/dsp-platform/dsp-template", "check-profiles"),
        ("https://github.com/dsp-platform/dsp-template", "model-regression"),
    ]
    root = yamlio.parse(merged).documents[0]
    assert root["ci"] == {"autofix_prs": False}
    assert root["default_install_hook_types"] == ["pre-commit", "pre-push"]
    assert root["repos"][2]["rev"] == "v0.1.0"
    assert root["repos"][2]["hooks"][0]["files"] == "(^|/)profiles\\.ya?ml$"
    # The new repo goes before the user's "ci" block and its comment.
    lines = merged.splitlines()
    assert lines.index(f"# {MARK}") < lines.index("# pre-commit.ci settings")
    # Inserted entries follow the user's indentation (dash at column 0).
    assert "- repo: https://github.com/dsp-platform/dsp-template" in lines
    assert "  - id: check-profiles" in lines
    # Flow lists stay as the template wrote them.
    assert "    stages: [pre-push]" in lines
    assert "default_install_hook_types: [pre-commit, pre-push]" in lines


def test_precommit_merge_into_pre_commits_own_sample_config(tmp_path: Path) -> None:
    """The file most projects start from: ``pre-commit sample-config``'s layout."""
    sample = subprocess.run(
        [sys.executable, "-m", "pre_commit", "sample-config"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    merged, added, _notes = merge_precommit_config(sample, TEMPLATE_PRECOMMIT)
    assert merged.startswith(sample)
    assert len(added) == 4  # black, check-profiles, model-regression, install types
    assert hook_ids(merged)[: len(hook_ids(sample))] == hook_ids(sample)
    assert "    -   id: check-profiles" in merged.splitlines()  # the sample's style
    assert merge_module.validate_precommit_config(merged, tmp_path) is None


def test_precommit_merge_nothing_missing_returns_the_user_text() -> None:
    template = "repos:\n- repo: local\n  hooks:\n  - id: no-print\n"
    assert merge_precommit_config(USER_PRECOMMIT, template) == (USER_PRECOMMIT, [], [])


def test_precommit_merge_adds_only_install_settings_and_notes_the_rest() -> None:
    user = "default_install_hook_types: [pre-commit]\n" + USER_PRECOMMIT
    template = (
        "exclude: ^data/\nfail_fast: true\ndefault_stages: [pre-commit]\n"
        + TEMPLATE_PRECOMMIT
    )
    merged, added, notes = merge_precommit_config(user, template)
    root = yamlio.parse(merged).documents[0]
    # exclude and fail_fast would change the user's hooks; default_stages too,
    # since the user already chose the installed hook types.
    assert not {"exclude", "fail_fast", "default_stages"} & set(root)
    assert not [a for a in added if a.startswith("setting")]
    assert len(notes) == 4
    assert any("add pre-push to your default_install_hook_types" in n for n in notes)
    assert all(".pre-commit-config.yaml" in n for n in notes)


def test_precommit_merge_keeps_crlf() -> None:
    user = USER_PRECOMMIT.replace("\n", "\r\n")
    merged, _added, _notes = merge_precommit_config(user, TEMPLATE_PRECOMMIT)
    assert "\n" not in merged.replace("\r\n", "")
    assert is_subsequence(user.split("\r\n"), merged.split("\r\n"))


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        ("repos: [{repo: local, hooks: [{id: x}]}]\n", "flow"),
        ("repos:\n- repo: x\n  hooks: [\n", "not valid YAML"),
        ("ci: {}\n", "no list of repos"),
        ("repos:\n- repo: x\n  rev: 1\n", "no list of hooks"),
        ("- repos\n", "not one YAML mapping"),
        ("repos: []\n", "empty repos list"),
        # An explicit document end: what follows would be a second document.
        (LOCAL_REPO + "...\n", "appending would break the file"),
        # Kept trailing blank lines of a block scalar belong to it: inserting
        # before them would change the user's entry, so nothing is inserted.
        (
            LOCAL_REPO.replace("    entry: a\n", "")
            + "    entry: |+\n      a\n\n\nci: {}\n",
            "would change the meaning of your entries",
        ),
    ],
)
def test_precommit_merge_refuses_what_it_cannot_append_to(user: str, reason: str):
    with pytest.raises(MergeError, match=reason):
        merge_precommit_config(user, TEMPLATE_PRECOMMIT)


def test_precommit_merge_appends_to_a_file_without_a_final_newline() -> None:
    user = LOCAL_REPO.rstrip("\n")
    merged, added, _notes = merge_precommit_config(user, TEMPLATE_PRECOMMIT)
    assert merged.startswith(user + "\n# " + MARK)
    assert len(added) == 4
    assert hook_ids(merged)[0] == ("local", "a")


def test_unified_diff_of_binary_files() -> None:
    assert unified_diff("logo.png", b"\x89PNG\xff", b"\x89PNG\xfe") == (
        "Binary files a/logo.png and b/logo.png differ\n"
    )


def test_unified_diff_applies_with_git(tmp_path: Path) -> None:
    yours, template = b"one\ntwo\nthree", b"one\n2\nthree\nfour\n"
    (tmp_path / "f.txt").write_bytes(yours)
    (tmp_path / "f.diff").write_text(unified_diff("f.txt", yours, template))
    git(tmp_path, "init", "-q")
    git(tmp_path, "apply", "f.diff")
    assert (tmp_path / "f.txt").read_bytes() == template


# --------------------------------------------------------------------------
# adoption of a plain Python package, then cruft check and cruft update
# --------------------------------------------------------------------------


def test_adopt_python_package_keeps_every_byte_and_cruft_updates_it(
    python_package: tuple[Path, dict[str, bytes]],
    own_template: Path,
    tmp_path: Path,
) -> None:
    repo, before = python_package
    answers = {"project_name": "Acme Tools"}
    done = dsp_adopt(
        "--no-input",
        "--template",
        str(own_template),
        "--extra-context",
        "project_name=Acme Tools",
        str(repo),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    merged = {m["path"]: m for m in result["merged"]}
    conflicts = {c["path"]: c for c in result["conflicts"]}

    # Every file that existed is byte-identical, except the merged ones, which
    # keep every original line (in order) and every original hook.
    assert set(merged) <= {".gitignore", ".pre-commit-config.yaml"}
    for rel, content in before.items():
        now = (repo / rel).read_bytes()
        if rel in merged:
            assert is_subsequence(content.splitlines(), now.splitlines()), rel
            assert kept_around_one_insertion(content, now), rel
        else:
            assert now == content, rel
    if ".gitignore" in merged:
        assert (repo / ".gitignore").read_bytes().startswith(before[".gitignore"])
    if ".pre-commit-config.yaml" in merged:
        text = (repo / ".pre-commit-config.yaml").read_text()
        assert set(hook_ids(USER_PRECOMMIT)) <= set(hook_ids(text))
        check = subprocess.run(
            [sys.executable, "-m", "pre_commit", "validate-config"],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr

    # The template's files are all there: the new ones exactly as cookiecutter
    # renders them, the differing ones reported as conflicts with a diff.
    reference = {
        rel: content
        for rel, content in rendered_files(
            render(own_template, tmp_path / "ref", **answers)
        ).items()
        if not plan_module.is_example(rel, "acme_tools")  # only with --with-example
    }
    for rel, content in reference.items():
        assert (repo / rel).is_file(), rel
        if rel not in before:
            assert (repo / rel).read_bytes() == content, rel
            assert rel in result["added"]
        elif rel not in merged and content != before[rel]:
            assert conflicts[rel]["diff"].startswith(f"--- a/{rel}\n+++ b/{rel}\n")
    expected_conflicts = {
        rel
        for rel, content in reference.items()
        if rel in before and rel not in merged and content != before[rel]
    }
    assert set(conflicts) == expected_conflicts
    assert "pyproject.toml" in conflicts  # the user's own, kept
    # The repository's package is left alone: the example's code is not brought.
    assert not [rel for rel in result["added"] if rel.startswith(("src/", "tests/"))]
    assert result["added"] == sorted(
        [rel for rel in reference if rel not in before] + [".cruft.json"]
    )

    # .cruft.json records the template, its commit and the answers.
    state = json.loads((repo / ".cruft.json").read_text())
    assert state["template"] == str(own_template)
    assert state["commit"] == git(own_template, "rev-parse", "HEAD").strip()
    assert state["commit"] == result["commit"]
    cookiecutter_answers = state["context"]["cookiecutter"]
    assert cookiecutter_answers["project_name"] == "Acme Tools"
    assert cookiecutter_answers["_template"] == str(own_template)

    commit_all(repo, "adopt the dsp template")
    checked = cruft(repo, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # A later template change comes in with cruft update.  A change to a file
    # the user kept (a conflict) does not apply to the user's text: cruft
    # leaves it untouched, with the template's hunk in a .rej file.
    with open(own_template / SLUG_DIR / "pyproject.toml", "a") as handle:
        handle.write("\n# template change to a kept file\n")
    # A line appended to the template's .gitignore applies to the merged one
    # when the template's last lines are the merged file's last lines too.
    template_ignore = (own_template / SLUG_DIR / ".gitignore").read_text()
    merged_ignore = (repo / ".gitignore").read_text()
    context_matches = merged_ignore.endswith(
        "".join(template_ignore.splitlines(keepends=True)[-3:])
    )
    (own_template / SLUG_DIR / ".gitignore").write_text(template_ignore + "mlruns/\n")
    changed = _change_template(own_template, result["added"])
    assert cruft(repo, "check").returncode != 0
    updated = cruft(repo, "update", "-y")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (repo / "pyproject.toml").read_bytes() == before["pyproject.toml"]
    rejected = (repo / "pyproject.toml.rej").read_text()
    assert "+# template change to a kept file" in rejected
    if context_matches:
        assert (repo / ".gitignore").read_text() == merged_ignore + "mlruns/\n"
    else:
        assert "+mlruns/" in (repo / ".gitignore.rej").read_text()
        assert (repo / ".gitignore").read_text() == merged_ignore
    _assert_update_arrived(repo, changed)


def _change_template(template: Path, added: list[str]) -> str:
    """Commit a change to the template: a new file and a line in an added one.

    Returns the relative path of the changed file.
    """
    slug = template / SLUG_DIR
    candidates = [
        rel
        for rel in added
        if rel != ".cruft.json" and (slug / rel).is_file() and "{{" not in rel
    ]
    assert candidates, "the adoption added no file the template names literally"
    target = candidates[0]
    with open(slug / target, "a", encoding="utf-8") as handle:
        handle.write("\n# template change after adoption\n")
    (slug / "docs").mkdir(exist_ok=True)
    (slug / "docs" / "ADOPTED.md").write_text("# {{ cookiecutter.project_name }}\n")
    commit_all(template, "template: a new file and a changed one")
    return target


def _assert_update_arrived(project: Path, changed: str) -> None:
    assert (project / "docs" / "ADOPTED.md").is_file()
    name = json.loads((project / ".cruft.json").read_text())["context"]
    title = name["cookiecutter"]["project_name"]
    assert (project / "docs" / "ADOPTED.md").read_text() == f"# {title}\n"
    assert (
        (project / changed).read_text().endswith("\n# template change after adoption\n")
    )
    assert not list(project.rglob(f"{Path(changed).name}.rej"))
    commit_all(project, "cruft update")
    assert cruft(project, "check").returncode == 0


def test_a_project_made_with_cruft_create_gets_template_changes_with_cruft_update(
    own_template: Path, tmp_path: Path
) -> None:
    made = cruft(
        tmp_path, "create", "--no-input", "--output-dir", "out", str(own_template)
    )
    assert made.returncode == 0, made.stdout + made.stderr
    (project,) = (tmp_path / "out").iterdir()
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "cruft create")
    assert cruft(project, "check").returncode == 0
    changed = _change_template(own_template, sorted(rendered_files(project)))
    updated = cruft(project, "update", "-y")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    _assert_update_arrived(project, changed)


def test_adopt_an_older_template_release_with_answers_from_a_config_file(
    python_package: tuple[Path, dict[str, bytes]], own_template: Path, tmp_path: Path
) -> None:
    repo, _files = python_package
    git(own_template, "tag", "v1")
    released = git(own_template, "rev-parse", "v1").strip()
    changed = _change_template(own_template, [".flake8", "Makefile"])
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text('default_context:\n  project_name: "From Config"\n')

    done = dsp_adopt(
        "--no-input",
        "--template",
        str(own_template),
        "--checkout",
        "v1",
        "--config-file",
        str(config),
        str(repo),
    )
    assert done.returncode == 0, done.stderr
    state = json.loads((repo / ".cruft.json").read_text())
    assert (state["checkout"], state["commit"]) == ("v1", released)
    assert state["context"]["cookiecutter"]["project_name"] == "From Config"
    # Wired to the repository's own package; the example's code stays out.
    assert state["context"]["cookiecutter"]["package_name"] == "acme_tools"
    assert not (repo / "src" / "from_config").exists()
    assert not (repo / "docs" / "ADOPTED.md").exists()  # not in v1

    commit_all(repo, "adopt the dsp template v1")
    assert cruft(repo, "check").returncode != 0  # the template moved on
    updated = cruft(repo, "update", "-y")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    _assert_update_arrived(repo, changed)


# --------------------------------------------------------------------------
# a monorepo with the project in a subfolder
# --------------------------------------------------------------------------


def test_adopt_into_a_monorepo_subfolder(own_template: Path, tmp_path: Path) -> None:
    mono = tmp_path / "mono"
    (mono / "services" / "api").mkdir(parents=True)
    (mono / "services" / "api" / "main.go").write_text("package main\n")
    (mono / ".gitignore").write_text("node_modules/\n")
    (mono / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: go-fmt\n    name: gofmt\n"
        "    entry: gofmt -l\n    language: system\n    types: [go]\n"
    )
    project = mono / "ml" / "iris"
    project.mkdir(parents=True)
    (project / "README.md").write_text("# Iris, in the monorepo\n")
    (project / ".gitignore").write_text("*.ckpt")  # no final newline
    git(mono, "init", "-q", "-b", "main")
    commit_all(mono, "monorepo")
    outside = {
        rel: state
        for rel, state in tree_state(mono).items()
        if not rel.startswith("ml/")
    }
    # Work in progress elsewhere in the monorepo does not block the adoption.
    (mono / "services" / "api" / "main.go").write_text("package main // wip\n")

    done = dsp_adopt("--no-input", "--template", str(own_template), str(project))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["repo_dir"] == str(project)
    assert (project / "README.md").read_text() == "# Iris, in the monorepo\n"
    assert (project / ".gitignore").read_text().startswith("*.ckpt\n")
    assert ".gitignore" in {m["path"] for m in result["merged"]}
    assert (project / ".cruft.json").is_file()
    assert any("pre-commit reads only" in note for note in result["notes"])
    if any(path.startswith(".github/workflows/") for path in result["added"]):
        assert any("GitHub runs workflows only from" in n for n in result["notes"])
    # Nothing outside the subfolder changed (the work in progress aside).
    now = {r: s for r, s in tree_state(mono).items() if not r.startswith("ml/")}
    del now["services/api/main.go"], outside["services/api/main.go"]
    assert now == outside

    git(mono, "checkout", "--", "services")
    commit_all(mono, "adopt the dsp template in ml/iris")
    checked = cruft(project, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    changed = _change_template(own_template, result["added"])
    updated = cruft(project, "update", "-y")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    _assert_update_arrived(project, changed)
    assert not (mono / "docs").exists()  # cruft applied the patch in the subfolder


# --------------------------------------------------------------------------
# dry run, refusals, atomicity
# --------------------------------------------------------------------------


def test_dry_run_lists_the_changes_and_changes_nothing(
    python_package: tuple[Path, dict[str, bytes]], template_repo: Path
) -> None:
    repo, _files = python_package
    before = tree_state(repo)
    done = dsp_adopt(
        "--no-input", "--dry-run", "--template", str(template_repo), str(repo)
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["dry_run"] is True
    assert ".cruft.json" in result["added"] and result["conflicts"]
    assert tree_state(repo) == before
    assert git(repo, "status", "--porcelain") == ""

    # The real run then does what the dry run listed.
    real = json.loads(
        dsp_adopt("--no-input", "--template", str(template_repo), str(repo)).stdout
    )
    assert real["added"] == result["added"]
    assert real["merged"] == result["merged"]
    assert real["conflicts"] == result["conflicts"]

    # Adopting again (after unlinking) finds nothing more to add or merge.
    commit_all(repo, "adopt")
    (repo / ".cruft.json").unlink()
    commit_all(repo, "unlink the template")
    again = dsp_adopt("--no-input", "--template", str(template_repo), str(repo))
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert (second["added"], second["merged"]) == ([".cruft.json"], [])
    assert second["conflicts"] == result["conflicts"]


def test_dirty_tree_is_refused_unless_allowed(
    python_package: tuple[Path, dict[str, bytes]], template_repo: Path
) -> None:
    repo, _files = python_package
    (repo / "README.md").write_text("# edited, not committed\n")
    before = tree_state(repo)
    done = dsp_adopt("--no-input", "--template", str(template_repo), str(repo))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "README.md" in done.stderr and "--allow-dirty" in done.stderr
    assert tree_state(repo) == before

    # A dry run needs no clean tree: it has nothing to undo.
    dry = dsp_adopt(
        "--no-input", "--dry-run", "--template", str(template_repo), str(repo)
    )
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["dry_run"] is True
    assert tree_state(repo) == before

    allowed = dsp_adopt(
        "--no-input", "--allow-dirty", "--template", str(template_repo), str(repo)
    )
    assert allowed.returncode == 0, allowed.stderr
    assert (repo / "README.md").read_text() == "# edited, not committed\n"


def test_untracked_folder_and_existing_cruft_json_are_refused(
    tmp_path: Path, template_repo: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    done = dsp_adopt("--no-input", "--template", str(template_repo), str(plain))
    assert done.returncode == 1 and "not in a git repository" in done.stderr

    (plain / ".cruft.json").write_text("{}\n")
    done = dsp_adopt(
        "--no-input", "--allow-dirty", "--template", str(template_repo), str(plain)
    )
    assert done.returncode == 1 and "cruft update" in done.stderr
    assert sorted(p.name for p in plain.iterdir()) == [".cruft.json"]


def test_bad_template_and_answers_are_refused_in_one_line(
    python_package: tuple[Path, dict[str, bytes]], tmp_path: Path, template_repo: Path
) -> None:
    repo, _files = python_package
    before = tree_state(repo)
    missing = dsp_adopt(
        "--no-input", "--template", str(tmp_path / "nowhere"), str(repo)
    )
    bad_pair = dsp_adopt(
        "--no-input",
        "--template",
        str(template_repo),
        "--extra-context",
        "oops",
        str(repo),
    )
    for done in (missing, bad_pair):
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "KEY=VALUE" in bad_pair.stderr
    assert "Failed to clone" in missing.stderr
    assert tree_state(repo) == before


def test_a_pipe_or_folder_as_config_file_is_refused_before_rendering(
    python_package: tuple[Path, dict[str, bytes]],
    tmp_path: Path,
    template_repo: Path,
    fifo: Path,
) -> None:
    repo, _files = python_package
    before = tree_state(repo)
    for path, problem in (
        (fifo, "is not a regular file (a pipe or device?)"),
        (tmp_path, "is a folder, not a file"),
    ):
        done = dsp_adopt(
            "--no-input",
            "--template",
            str(template_repo),
            "--config-file",
            str(path),
            str(repo),
        )
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr == (
            f"dsp adopt: {path}: {problem}; name the cookiecutter config file (YAML)\n"
        )
    assert tree_state(repo) == before


def test_answers_the_template_refuses_are_refused_without_a_traceback(
    python_package: tuple[Path, dict[str, bytes]], template_repo: Path
) -> None:
    repo, _files = python_package
    before = tree_state(repo)
    done = dsp_adopt(
        "--no-input",
        "--template",
        str(template_repo),
        "--extra-context",
        "author_email=not-an-email",
        str(repo),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "not-an-email" in done.stderr  # the template's own reason
    # Then one line that says where the reason is and what to change.
    assert done.stderr.splitlines()[-1] == (
        f"dsp adopt: the generation hook of the template {template_repo} stopped "
        "(its reason is above); change that answer in --extra-context or "
        "--config-file"
    )
    assert tree_state(repo) == before


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(transaction.TEMP_SUFFIX)]


def test_a_failing_rename_rolls_everything_back(
    python_package: tuple[Path, dict[str, bytes]],
    template_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """os.replace fails on the last merged file: earlier renames are undone."""
    repo, _files = python_package
    before = tree_state(repo)
    real_replace = os.replace
    renamed = []

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst).name == ".pre-commit-config.yaml" and Path(dst).parent == repo:
            raise OSError(28, "No space left on device")
        real_replace(src, dst, *args, **kwargs)
        renamed.append(dst)

    monkeypatch.setattr(transaction.os, "replace", failing_replace)
    with pytest.raises(
        Refusal,
        match=r"cannot write \.pre-commit-config\.yaml.*"
        r"No space left on device; nothing was changed",
    ):
        adopt_module.adopt(repo, template=str(template_repo))
    monkeypatch.undo()
    assert any(Path(p).parent == repo and Path(p).name == ".gitignore" for p in renamed)
    assert len(renamed) > 3  # new files and the merged .gitignore were in place
    assert tree_state(repo) == before
    assert git(repo, "status", "--porcelain", "--ignored") == ""
    assert _leftovers(repo) == []


def _immutable(path: Path, on: bool) -> bool:
    done = subprocess.run(
        ["chattr", "+i" if on else "-i", str(path)], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.mark.parametrize(
    ("locked", "failing"),
    [
        # a package folder the example (--with-example) adds modules to
        ("src/acme_tools", "src/acme_tools/"),
        (".gitignore", ".gitignore"),  # a file the adoption merges
    ],
)
def test_a_path_the_process_cannot_write_leaves_the_repository_as_it_was(
    python_package: tuple[Path, dict[str, bytes]],
    template_repo: Path,
    tmp_path: Path,
    locked: str,
    failing: str,
) -> None:
    """A real write failure: ``chattr +i`` stops even root from writing."""
    probe = tmp_path / "probe"
    probe.mkdir()
    if shutil.which("chattr") is None or not _immutable(probe, True):
        pytest.skip("chattr +i is not permitted here (needs CAP_LINUX_IMMUTABLE)")
    _immutable(probe, False)
    repo, _files = python_package
    before = tree_state(repo)
    assert _immutable(repo / locked, True)
    try:
        done = dsp_adopt(  # the example writes into src/
            "--no-input", "--with-example", "--template", str(template_repo), str(repo)
        )
    finally:
        _immutable(repo / locked, False)
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith(f"dsp adopt: cannot write {failing}")
    assert done.stderr.endswith("Operation not permitted; nothing was changed\n")
    assert tree_state(repo) == before
    assert git(repo, "status", "--porcelain", "--ignored") == ""


# --------------------------------------------------------------------------
# planning: what cannot be written is a conflict, never a failure
# --------------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_plan_reports_paths_it_must_not_write_as_conflicts(tmp_path: Path) -> None:
    rendered, repo, elsewhere = tmp_path / "rendered", tmp_path / "repo", tmp_path / "x"
    _write(
        rendered,
        {
            "src/pkg/__init__.py": "",
            "docs/index.md": "# docs\n",
            "README.md": "# same\n",
            "data/.gitkeep": "",
            "Makefile": "all:\n",
            ".pre-commit-config.yaml": TEMPLATE_PRECOMMIT,
        },
    )
    _write(
        repo,
        {
            "Makefile/README": "a folder where the template has a file\n",
            "src": "a file where the template has a folder\n",
            "README.md": "# same\n",
            ".pre-commit-config.yaml": "repos: [\n",
        },
    )
    elsewhere.mkdir()
    (repo / "docs").symlink_to(elsewhere)
    before = tree_state(repo)

    plan = plan_module.plan_adoption(rendered, repo, tmp_path)
    reasons = {c["path"]: c["reason"] for c in plan.conflicts}
    assert reasons["src/pkg/__init__.py"] == (
        "src is a file where the template has a folder"
    )
    assert reasons["docs/index.md"] == "docs is a symbolic link"
    assert reasons["Makefile"] == (
        "Makefile is a folder where the template has a file; kept as it is"
    )
    assert reasons[".pre-commit-config.yaml"].startswith(
        "cannot merge automatically: your .pre-commit-config.yaml is not valid YAML"
    )
    assert plan.skipped == [
        {"path": "README.md", "reason": "identical to the template"}
    ]
    assert [c.path for c in plan.changes] == ["data/.gitkeep"]

    transaction.apply_plan(plan, repo)
    assert (repo / "data" / ".gitkeep").read_bytes() == b""
    after = tree_state(repo)
    del after["data/.gitkeep"], after["data"]
    assert after == before
    assert list(elsewhere.iterdir()) == []


def test_gitignore_plan_skips_a_complete_file_and_keeps_a_non_utf8_one(
    tmp_path: Path,
) -> None:
    rendered, repo = tmp_path / "rendered", tmp_path / "repo"
    _write(rendered, {".gitignore": "a/\nb/\n", "sub/.gitignore": "c/\n"})
    _write(repo, {".gitignore": "# mine\nb/\na/\n"})
    (repo / "sub").mkdir()
    (repo / "sub" / ".gitignore").write_bytes(b"caf\xe9/\n")  # Latin-1

    plan = plan_module.plan_adoption(rendered, repo, tmp_path)
    assert plan.changes == []
    assert plan.skipped == [
        {"path": ".gitignore", "reason": "already has everything the template adds"}
    ]
    (conflict,) = plan.conflicts
    assert conflict["path"] == "sub/.gitignore"
    assert "it is not UTF-8 text" in conflict["reason"]
    assert conflict["diff"].startswith("Binary files")


def test_a_merge_pre_commit_rejects_becomes_a_conflict(tmp_path: Path) -> None:
    rendered, repo = tmp_path / "rendered", tmp_path / "repo"
    user = "repos:\n- repo: https://example.com/hooks\n  hooks:\n  - id: mine\n"
    _write(rendered, {".pre-commit-config.yaml": TEMPLATE_PRECOMMIT})
    _write(repo, {".pre-commit-config.yaml": user})  # no rev: pre-commit refuses

    plan = plan_module.plan_adoption(rendered, repo, tmp_path)
    assert plan.changes == []
    (conflict,) = plan.conflicts
    assert "pre-commit validate-config rejects the merge" in conflict["reason"]
    assert conflict["diff"].startswith("--- a/.pre-commit-config.yaml\n")


def test_default_template_is_the_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "precommit_hooks" / "adopt").mkdir(parents=True)
    (checkout / "cookiecutter.json").write_text("{}\n")
    monkeypatch.setattr(
        render_module,
        "__file__",
        str(checkout / "precommit_hooks" / "adopt" / "render.py"),
    )
    monkeypatch.setattr(
        render_module,
        "_installed_from",
        lambda: {"url": checkout.as_uri(), "dir_info": {"editable": True}},
    )
    with pytest.raises(Refusal, match="pass --template PATH_OR_URL"):
        render_module.default_template()  # not a git repository: cruft could not clone
    git(checkout, "init", "-q")
    assert render_module.default_template() == (str(checkout.resolve()), None)


def test_default_template_is_the_git_url_pip_installed_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = {
        "url": "https://git.example.com/platform/dsp-template.git",
        "vcs_info": {
            "vcs": "git",
            "commit_id": "a" * 40,
            "requested_revision": "v0.2.0",
        },
    }
    monkeypatch.setattr(render_module, "_installed_from", lambda: record)
    assert render_module.default_template() == (record["url"], "v0.2.0")
    del record["vcs_info"]["requested_revision"]
    assert render_module.default_template() == (record["url"], "a" * 40)


def test_subfolder_notes_name_what_only_works_at_the_top(tmp_path: Path) -> None:
    sub = tmp_path / "ml" / "iris"
    sub.mkdir(parents=True)
    git(tmp_path, "init", "-q")
    plan = plan_module.Plan(
        changes=[
            transaction.Change(".github/workflows/ci.yml", b""),
            transaction.Change(".pre-commit-config.yaml", b""),
        ]
    )
    notes = adopt_module.subfolder_notes(plan, sub.resolve())
    top = tmp_path.resolve()
    assert notes == [
        f"pre-commit reads only {top}/.pre-commit-config.yaml: copy the hooks of "
        ".pre-commit-config.yaml there, or run `pre-commit run -c "
        "ml/iris/.pre-commit-config.yaml`",
        f"GitHub runs workflows only from {top}/.github/workflows: move the added "
        "ones there and set their working-directory to ml/iris",
    ]
    assert adopt_module.subfolder_notes(plan, top) == []


# --------------------------------------------------------------------------
# readable output, answers as data, nested repositories, large files
# --------------------------------------------------------------------------


def test_the_default_output_is_a_readable_summary_with_next_steps(
    python_package: tuple[Path, dict[str, bytes]], template_repo: Path
) -> None:
    repo, _files = python_package
    done = subprocess.run(  # the default format, as a user runs it
        [sys.executable, "-m", "precommit_hooks.cli", "adopt", "--no-input"]
        + ["--template", str(template_repo), str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"dsp adopt {repo.resolve()}: template ")
    assert "\nadded (" in out and "  profiles.yaml\n" in out
    assert "\nmerged (your text kept, these added) (" in out
    assert "  .gitignore: " in out
    assert "\nconflicts (kept as you wrote them) (" in out
    assert "  README.md: exists and differs from the template" in out
    assert "`git apply`" in out
    assert "\nnext steps:\n  1. review the change: git status && git diff" in out
    # The example's code and tests stay out; the package is the repository's own.
    assert "src/acme_tools/data.py" not in out and "tests/test_train.py" not in out
    makefile = (repo / "Makefile").read_text()
    assert "acme_tools" in makefile
    assert not (repo / "src" / "acme_tools" / "train.py").exists()


def test_with_example_brings_the_example_code(
    python_package: tuple[Path, dict[str, bytes]], template_repo: Path
) -> None:
    repo, _files = python_package
    done = dsp_adopt(
        "--no-input", "--with-example", "--template", str(template_repo), str(repo)
    )
    assert done.returncode == 0, done.stderr
    added = json.loads(done.stdout)["added"]
    assert "src/acme_tools/train.py" in added and "tests/test_train.py" in added


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ["--extra-context", "description={{ cycler.__init__.__globals__ }}"],
            "description",
        ),
        (["--extra-context", "project_name={% set x = 1 %}"], "project_name"),
        (["--extra-context", "author_name={# c #}"], "author_name"),
    ],
)
def test_template_markers_in_answers_are_refused_before_rendering(
    python_package: tuple[Path, dict[str, bytes]],
    template_repo: Path,
    tmp_path: Path,
    args: list[str],
    named: str,
) -> None:
    repo, _files = python_package
    before = tree_state(repo)
    done = dsp_adopt(
        "--no-input", "--dry-run", *args, "--template", str(template_repo), str(repo)
    )
    assert done.returncode == 1
    assert done.stdout == ""
    line = done.stderr.strip()
    assert (
        line.count("\n") == 0 and f"answer {named} contains the template marker" in line
    )
    assert "Traceback" not in done.stderr
    assert tree_state(repo) == before


def test_a_config_files_default_context_is_checked_too(
    python_package: tuple[Path, dict[str, bytes]], template_repo: Path, tmp_path: Path
) -> None:
    repo, _files = python_package
    proof = tmp_path / "ran"
    config = tmp_path / "config.yaml"
    config.write_text(
        'default_context:\n  project_name: "{{ cycler.__init__.__globals__.os'
        f".system('touch {proof}') }}}}\"\n"
    )
    done = dsp_adopt(
        "--no-input",
        "--dry-run",
        "--config-file",
        str(config),
        "--template",
        str(template_repo),
        str(repo),
    )
    assert done.returncode == 1
    assert f"--config-file {config} answer project_name contains" in done.stderr
    assert not proof.exists()


def test_submodules_and_nested_repositories_are_conflicts_never_written(
    tmp_path: Path,
) -> None:
    rendered, repo = tmp_path / "rendered", tmp_path / "repo"
    for rel in ("vendor/lib/README.md", "workflows/x.py", "top.txt"):
        (rendered / rel).parent.mkdir(parents=True, exist_ok=True)
        (rendered / rel).write_text("template\n")
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "workflows").mkdir()
    git(repo / "workflows", "init", "-q")  # a nested repository
    (repo / "vendor" / "lib").mkdir(parents=True)
    # A submodule that is not checked out: only the index knows it.
    sha = "a" * 40
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},vendor/lib")
    plan = plan_module.plan_adoption(rendered, repo, tmp_path)
    reasons = {c["path"]: c["reason"] for c in plan.conflicts}
    assert reasons["vendor/lib/README.md"].startswith(
        "vendor/lib is a git submodule or nested repository"
    )
    assert reasons["workflows/x.py"].startswith("workflows is a git submodule")
    assert [c.path for c in plan.changes] == ["top.txt"]


def test_a_large_conflicting_file_is_compared_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered, repo = tmp_path / "rendered", tmp_path / "repo"
    rendered.mkdir()
    repo.mkdir()
    (rendered / ".gitignore").write_text("a/\n")
    (rendered / "same.bin").write_bytes(b"x" * 100)
    (repo / "same.bin").write_bytes(b"x" * 100)
    monkeypatch.setattr(plan_module, "MAX_READ_BYTES", 50)
    with open(repo / ".gitignore", "wb") as big:
        big.truncate(1000)  # sparse: larger than the cap
    real_read_bytes = Path.read_bytes

    def guarded(path: Path) -> bytes:
        assert path.parent != repo, f"read {path} whole"
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    plan = plan_module.plan_adoption(rendered, repo, tmp_path)
    (conflict,) = plan.conflicts
    assert conflict["path"] == ".gitignore" and "no diff shown" in conflict["reason"]
    assert plan.skipped == [{"path": "same.bin", "reason": "identical to the template"}]


def test_a_configured_hook_repository_gets_no_second_entry() -> None:
    user = (
        "repos:\n- repo: https://github.com/pre-commit/pre-commit-hooks.git\n"
        "  rev: v4.0.0\n  hooks:\n  - id: trailing-whitespace\n"
    )
    template = (
        "repos:\n- repo: https://github.com/pre-commit/pre-commit-hooks\n"
        "  rev: v6.0.0\n  hooks:\n  - id: trailing-whitespace\n"
        "  - id: check-yaml\n"
    )
    merged, added, notes = merge_precommit_config(user, template)
    assert merged == user and added == []
    (note,) = notes
    assert "you already use https://github.com/pre-commit/pre-commit-hooks" in note
    assert "check-yaml" in note


# --------------------------------------------------------------------------
# after adoption, the repository's own gates and our hooks pass
# --------------------------------------------------------------------------

SHOP = {
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n'
    ),
    "src/shop/__init__.py": '"""Shop."""\n',
    "src/shop/prices.py": (
        'def total(prices):\n    """The sum of the prices."""\n    return sum(prices)\n'
    ),
    "tests/test_prices.py": (
        "from shop.prices import total\n\n\n"
        "def test_total():\n    assert total([1, 2]) == 3\n"
    ),
}


def test_after_adoption_own_tests_lint_and_our_hooks_pass(tmp_path: Path) -> None:
    from tests.support.gitrepos import snapshot_working_tree

    template = tmp_path / "dsp-template"
    template.mkdir()
    sha = snapshot_working_tree(template)  # the whole repository: hooks included
    repo = tmp_path / "shop"
    for rel, text in SHOP.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "shop")

    done = dsp_adopt("--no-input", "--template", str(template), str(repo))
    assert done.returncode == 0, done.stderr
    assert not [p for p in json.loads(done.stdout)["added"] if p.startswith("src/")]
    commit_all(repo, "adopt")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
    for target in ("test", "lint"):
        gate = subprocess.run(
            ["make", "--no-print-directory", target, f"PYTHON={sys.executable}"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
        )
        assert gate.returncode == 0, f"make {target}:\n{gate.stdout}{gate.stderr}"

    config = yamlio.parse((repo / ".pre-commit-config.yaml").read_text()).documents
    ours = [r for r in config[0]["repos"] if r["repo"] == str(template)]
    assert [(r["repo"], r["rev"]) for r in ours] == [(str(template), sha)]
    # The third-party hook repositories are unreachable here: run ours only.
    only_ours = tmp_path / "ours.yaml"
    only_ours.write_text(
        f"repos:\n- repo: {template}\n  rev: {sha}\n  hooks:\n"
        + "".join(f"  - id: {h['id']}\n" for h in ours[0]["hooks"])
    )
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    hooks = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "run",
            "--all-files",
            "-c",
            str(only_ours),
        ],
        cwd=repo,
        env={**env, **GIT_ENV},
        capture_output=True,
        text=True,
    )
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    assert "check profiles.yaml" in hooks.stdout and "Failed" not in hooks.stdout
    assert git(repo, "status", "--porcelain") == ""
