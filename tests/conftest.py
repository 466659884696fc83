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
