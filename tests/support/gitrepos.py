"""Git repositories for tests and benchmarks: a fixed identity, commits, and a
snapshot of this repository's working tree that pre-commit can install from.

pre-commit installs a hook repository at a commit; the snapshot turns the
working tree (uncommitted changes included) into one, so the tests exercise
the code as it is on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.paths import REPO_ROOT as REPO

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with the test identity; its stdout, stripped."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def commit_all(path: Path) -> str:
    """Make ``path`` a new git repository with everything in one commit; its sha."""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial", "--no-verify")
    return git(path, "rev-parse", "HEAD")


def snapshot_working_tree(target: Path) -> str:
    """Copy this repository's working tree into ``target`` and commit it; the sha."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        name = os.fsdecode(raw)
        source = REPO / name
        if not source.is_file():
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name, follow_symlinks=False)
    return commit_all(target)
