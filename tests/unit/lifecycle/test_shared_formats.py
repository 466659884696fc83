"""The template's copies of the shared formats: byte-identical, also once baked."""

from __future__ import annotations

import shutil

from tests.support.paths import REPO_ROOT
from tests.support.template import bake

from precommit_hooks.lifecycle import shared_formats


def test_the_template_copies_match_their_sources():
    assert shared_formats.drift() == []
    assert shared_formats.main(["--check"]) == 0


def test_drift_and_jinja_markers_are_reported(tmp_path):
    for source, copy in shared_formats.COPIES:
        for path in (source, copy):
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / path, tmp_path / path)
    assert shared_formats.drift(tmp_path) == []
    source, copy = shared_formats.COPIES[1]  # the ORMB format
    (tmp_path / copy).write_text("# a hand edit\n")
    (tmp_path / source).write_text("x = '{{ cookiecutter.answer }}'\n")
    problems = shared_formats.drift(tmp_path)
    assert problems[0] == f"{source}: has '{{{{'; cookiecutter would render it"
    assert problems[1].startswith(f"{copy}: differs from {source}; run python -m")
    shared_formats.write(tmp_path)
    assert (tmp_path / copy).read_bytes() == (tmp_path / source).read_bytes()


def test_a_baked_project_carries_the_same_bytes(tmp_path):
    project = bake(tmp_path)
    package = project / "src" / "iris_classifier"
    for source, copy in shared_formats.COPIES:
        name = copy.rsplit("/", 1)[1]
        assert (package / name).read_bytes() == (REPO_ROOT / source).read_bytes()
