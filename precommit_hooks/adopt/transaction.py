"""All-or-nothing writes: every planned file is written, or none is.

Each file goes to a temporary file beside its target, then all are renamed into
place; if any step fails, what was already done is undone, so the repository is
left as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from precommit_hooks.core.findings import Refusal

if TYPE_CHECKING:  # plan.py imports Change from here
    from precommit_hooks.adopt.plan import Plan

CRUFT_FILE = ".cruft.json"
TEMP_SUFFIX = ".dsp-adopt-tmp"


@dataclass
class Change:
    """One file to write: its path relative to the repository and new bytes."""

    path: str
    content: bytes
    mode: int | None = None  # permission bits to give a new file
    original: bytes | None = None  # the user's bytes, for a merged file
    added: list[str] = field(default_factory=list)  # what a merge added

    @property
    def is_merge(self) -> bool:
        return self.original is not None


def _side_name(target: Path, role: str) -> Path:
    return target.with_name(
        f".{target.name}.{role}-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    )


def _make_parents(target: Path, created_dirs: list[Path]) -> None:
    """Create the missing folders above ``target``, recording each for undo."""
    missing = []
    parent = target.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir()
        created_dirs.append(folder)


def apply_plan(plan: "Plan", repo_dir: Path) -> None:
    """Write every change, or none: stage, then rename; undo on any failure.

    New files are written to temporary files beside their targets; a merged
    file's original is first hard-linked to a backup.  Only then is each
    staged file renamed over its target.  If anything fails, the renamed files
    are removed or restored from their backups, staged files and new folders
    are deleted, and a :class:`Refusal` names the file and the error.
    """
    # New files first, merges after, .cruft.json last: any order would be
    # undone on failure, this one keeps the state file from leading.
    order = sorted(
        plan.changes, key=lambda c: (c.path == CRUFT_FILE, c.is_merge, c.path)
    )
    created_dirs: list[Path] = []
    staged: list[tuple[Path, Path, Change, Path | None]] = []
    renamed: list[tuple[Path, Path | None]] = []
    current = ""
    try:
        for change in order:
            current = change.path
            target = repo_dir / change.path
            _make_parents(target, created_dirs)
            temp = _side_name(target, "new")
            backup = None
            with open(temp, "xb") as handle:
                staged.append((temp, target, change, None))
                handle.write(change.content)
            if change.is_merge:
                shutil.copymode(target, temp)
                backup = _side_name(target, "backup")
                os.link(target, backup)
                staged[-1] = (temp, target, change, backup)
            elif change.mode is not None:
                os.chmod(temp, change.mode)
        for temp, target, change, backup in staged:
            current = change.path
            os.replace(temp, target)
            renamed.append((target, backup))
    except OSError as exc:
        problems = _roll_back(staged, renamed, created_dirs)
        reason = exc.strerror or str(exc)
        message = f"cannot write {current} in {repo_dir}: {reason}; nothing was changed"
        if problems:
            message = (
                f"cannot write {current} in {repo_dir}: {reason}; and undoing failed "
                f"for {', '.join(problems)}: check them with git status"
            )
        raise Refusal(message) from None
    except BaseException:  # Ctrl-C midway: undo too, then let it through
        _roll_back(staged, renamed, created_dirs)
        raise
    for _temp, _target, _change, backup in staged:
        if backup is not None:
            with contextlib.suppress(OSError):  # all is written; a stray backup
                backup.unlink()


def _roll_back(
    staged: list[tuple[Path, Path, Change, Path | None]],
    renamed: list[tuple[Path, Path | None]],
    created_dirs: list[Path],
) -> list[str]:
    """Undo a partial :func:`apply_plan`; return the paths that could not be."""
    problems = []
    done = {target for target, _backup in renamed}
    for target, backup in reversed(renamed):
        try:
            if backup is None:
                target.unlink()
            else:
                os.replace(backup, target)
        except OSError:
            problems.append(str(target))
    for temp, target, _change, backup in staged:
        for leftover in (temp, None if target in done else backup):
            if leftover is not None and os.path.lexists(leftover):
                try:
                    leftover.unlink()
                except OSError:
                    problems.append(str(leftover))
    for folder in reversed(created_dirs):
        try:
            folder.rmdir()
        except OSError:
            problems.append(str(folder))
    return problems
