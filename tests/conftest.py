"""Fixtures shared by every test module: where the repository and corpus are."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

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


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe where a file is expected: opening it to read blocks forever.

    Readers must refuse it before opening; should one open it anyway, a late
    writer sends end-of-file so the test fails instead of hanging.
    """
    path = tmp_path / "pipe"
    os.mkfifo(path)

    def unblock() -> None:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # no reader is waiting: nothing to unblock
            pass

    timer = threading.Timer(30, unblock)
    timer.daemon = True
    timer.start()
    yield path
    timer.cancel()
