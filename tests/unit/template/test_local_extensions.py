"""The template's Jinja extension: hooks_repo/hooks_rev default to the template used."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.support.gitrepos import git
from tests.support.paths import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    "template_local_extensions", REPO_ROOT / "local_extensions.py"
)
extensions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(extensions)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    folder = tmp_path / "my template"
    folder.mkdir()
    (folder / "cookiecutter.json").write_text("{}\n")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "first")
    return folder


def test_a_local_clone_is_its_own_path_at_its_head(template: Path) -> None:
    git(template, "remote", "add", "origin", "https://example.com/org/t.git")
    assert extensions.template_repo(template) == str(template)
    assert extensions.template_commit(template) == git(template, "rev-parse", "HEAD")


def test_a_clone_cookiecutter_made_is_the_url_it_came_from(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clones = tmp_path / "cookiecutters"
    clone = clones / "t"
    clones.mkdir()
    git(tmp_path, "clone", "-q", str(template), str(clone))
    monkeypatch.setattr(extensions, "_clone_roots", lambda: [clones.resolve()])
    assert extensions.template_repo(clone.resolve()) == str(template)
    assert extensions.template_commit(clone) == git(template, "rev-parse", "HEAD")


def test_a_folder_outside_git_has_no_commit(tmp_path: Path) -> None:
    assert extensions.template_commit(tmp_path) == ""


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("https://github.com/org/t", "dsp-template @ git+https://github.com/org/t@abc"),
        (
            "git@github.com:org/t.git",
            "dsp-template @ git+ssh://git@github.com/org/t.git@abc",
        ),
        ("/srv/t", "dsp-template @ git+file:///srv/t@abc"),
    ],
)
def test_dsp_requirement_is_a_pip_requirement(repo: str, expected: str) -> None:
    assert extensions.dsp_requirement(repo, "abc") == expected
    from packaging.requirements import Requirement

    assert Requirement(expected).url == expected.split(" @ ", 1)[1]


@pytest.mark.parametrize(
    ("name", "tool"),
    [("tmpab3_x9zq", True), ("tmp.FFjZA68L3q", False), ("template", False)],
)
def test_only_crufts_temporary_clone_counts_as_a_tool_clone(
    name: str, tool: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(extensions, "_clone_roots", lambda: [])
    folder = Path(tempfile.gettempdir()).resolve() / name  # `mktemp -d` is a user's
    assert extensions.is_tool_clone(folder) is tool
