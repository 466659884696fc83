"""Fixtures shared by every test module: where the repository and corpus are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only corpus of real inputs beside the project (never copied in)."""
    if not CORPUS.is_dir():
        pytest.fail(f"the corpus is missing: expected it at {CORPUS}")
    return CORPUS


TEMPLATE_SLUG_DIR = REPO_ROOT / "{{cookiecutter.project_slug}}"


def bake(output_dir: Path, **answers: object) -> Path:
    """Generate a project with real cookiecutter (no prompts) and return its path.

    `answers` override the defaults of cookiecutter.json, e.g.
    `bake(tmp_path, use_tekton=False, license="MIT")`.
    """
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(REPO_ROOT),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
        )
    )


@pytest.fixture(scope="session")
def baked_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project generated with the default answers, shared by the session.

    Treat it as read-only: copy it (shutil.copytree) before changing anything.
    """
    return bake(tmp_path_factory.mktemp("baked"))
