"""Bake projects with the real cookiecutter."""

from __future__ import annotations

from pathlib import Path

from tests.support.paths import REPO_ROOT


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
