"""Formats defined once and copied byte for byte into the template.

The generated project cannot import this package in its container images,
so it carries copies of the few modules that define a format both sides must
agree on.  This module lists them and writes or checks the copies::

    python -m precommit_hooks.lifecycle.shared_formats --check   # exit 1 on drift
    python -m precommit_hooks.lifecycle.shared_formats --write

A test runs ``--check``; a source that cookiecutter would render differently
(a Jinja marker in it) is refused, so the rendered copy stays identical too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from precommit_hooks.core.files import write_atomic

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = "{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}"
# (source in this repository, copy in the template)
COPIES = (
    ("precommit_hooks/core/atomic.py", f"{PACKAGE_DIR}/atomic.py"),
    ("precommit_hooks/lifecycle/ormb_format.py", f"{PACKAGE_DIR}/ormb_format.py"),
    (
        "precommit_hooks/schemas/regression-case.schema.json",
        f"{PACKAGE_DIR}/regression_case.schema.json",
    ),
)
JINJA_MARKERS = ("{{", "{%", "{#")


def drift(root: Path = REPO_ROOT) -> list[str]:
    """One line per copy that is missing or differs from its source."""
    problems = []
    for source, copy in COPIES:
        data = (root / source).read_bytes()
        marker = next((m for m in JINJA_MARKERS if m.encode() in data), None)
        if marker:
            problems.append(f"{source}: has {marker!r}; cookiecutter would render it")
        target = root / copy
        if not target.is_file() or target.read_bytes() != data:
            problems.append(
                f"{copy}: differs from {source}; run python -m "
                "precommit_hooks.lifecycle.shared_formats --write"
            )
    return problems


def write(root: Path = REPO_ROOT) -> None:
    """Copy every source over its template copy."""
    for source, copy in COPIES:
        write_atomic(root / copy, (root / source).read_bytes())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 on drift")
    action.add_argument("--write", action="store_true", help="refresh the copies")
    args = parser.parse_args(argv)
    if not (REPO_ROOT / PACKAGE_DIR).is_dir():
        sys.stderr.write(f"{REPO_ROOT}: not a checkout of the template repository\n")
        return 1
    if args.write:
        write()
    problems = drift()
    for line in problems:
        sys.stderr.write(line + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
