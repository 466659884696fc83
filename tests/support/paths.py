"""Where the repository, the test fixtures and the external corpus are."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
TEMPLATE_SLUG_DIR = REPO_ROOT / "{{cookiecutter.project_slug}}"
# The read-only corpus of real inputs: $DSP_CORPUS, else ../shared/corpus beside
# the checkout. Never copied into the repository.
CORPUS = Path(os.environ.get("DSP_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")
