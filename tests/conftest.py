"""Fixtures shared by every test module: where the repository and corpus are."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.paths import CORPUS
from tests.support.template import bake


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only corpus of real inputs beside the project (never copied in).

    Without it the tests that need it are skipped, with one reason; under
    DSP_REQUIRE_CORPUS=1 (set by .ci/run where the corpus exists) they fail.
    """
    if not CORPUS.is_dir():
        message = (
            f"the corpus of real inputs is not at {CORPUS}: put it there or set"
            " DSP_CORPUS to its folder"
        )
        if os.environ.get("DSP_REQUIRE_CORPUS") == "1":
            pytest.fail(message + " (DSP_REQUIRE_CORPUS=1 demands it)")
        pytest.skip(message)
    return CORPUS


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
