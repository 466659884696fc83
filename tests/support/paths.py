"""Where the repository, the test fixtures and the external corpus are."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
TEMPLATE_SLUG_DIR = REPO_ROOT / "{{cookiecutter.project_slug}}"
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
