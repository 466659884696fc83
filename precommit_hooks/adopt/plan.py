"""Planning an adoption: compare the rendered template with the repository.

Nothing is written here: each template file becomes a change (added or merged),
a conflict (kept as the user wrote it, with the reason and the diff), or is
skipped.
"""

from __future__ import annotations

import difflib
import filecmp
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from precommit_hooks.adopt.merge import (
    GITIGNORE,
    PRECOMMIT_CONFIG,
    MergeError,
    merge_gitignore,
    merge_precommit_config,
    validate_precommit_config,
)
from precommit_hooks.adopt.transaction import Change

# A file of the repository is read whole only below this size (merges, diffs);
# a larger one is compared by streaming and reported without a diff.
MAX_READ_BYTES = 4 * 2**20


@dataclass
class Plan:
    """What adoption would do; nothing is written until :func:`apply_plan`."""

    changes: list[Change] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def unified_diff(path: str, yours: bytes, template: bytes) -> str:
    """A ``git apply``-able diff from the user's file to the template's."""
    try:
        old = yours.decode("utf-8").splitlines(keepends=True)
        new = template.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"Binary files a/{path} and b/{path} differ\n"
    out = []
    for line in difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"):
        out.append(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        )
    return "".join(out)


def _template_files(rendered: Path) -> list[Path]:
    """Every file of the rendered project, relative, ``.git`` excluded."""
    found = []
    for folder, dirs, files in os.walk(rendered):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            found.append((Path(folder) / name).relative_to(rendered))
    return found


def _blocking_parent(repo_dir: Path, relative: Path) -> str | None:
    """Why a parent folder of ``relative`` cannot hold the template's file."""
    current = repo_dir
    for part in relative.parts[:-1]:
        current = current / part
        if current.is_symlink():
            return f"{current.relative_to(repo_dir)} is a symbolic link"
        if current.exists() and not current.is_dir():
            where = current.relative_to(repo_dir)
            return f"{where} is a file where the template has a folder"
        if not current.exists():
            return None
    return None


def _merge(
    name: str, yours: bytes, theirs: bytes, workdir: Path
) -> tuple[bytes, list[str], list[str]]:
    """Merge one file: its new bytes, what was added, notes on what was not."""
    try:
        user_text = yours.decode("utf-8")
        template_text = theirs.decode("utf-8")
    except UnicodeDecodeError:
        raise MergeError("it is not UTF-8 text") from None
    notes: list[str] = []
    if name == GITIGNORE:
        merged, added = merge_gitignore(user_text, template_text)
    else:
        merged, added, notes = merge_precommit_config(user_text, template_text)
        if added:
            complaint = validate_precommit_config(merged, workdir)
            if complaint:
                raise MergeError(
                    f"pre-commit validate-config rejects the merge: {complaint}"
                )
    return merged.encode("utf-8"), added, notes


def submodules(repo_dir: Path) -> set[str]:
    """The gitlinks (submodules) of the index under ``repo_dir``, relative to it.

    A submodule that is not checked out is an empty folder: only the index
    knows it.
    """
    done = subprocess.run(
        ["git", "-C", str(repo_dir), "ls-files", "--stage", "-z", "--", "."],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return set()
    prefix = subprocess.run(
        ["git", "-C", str(repo_dir), "rev-parse", "--show-prefix"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    found = set()
    for record in done.stdout.split(b"\0"):
        meta, _, path = record.partition(b"\t")
        if meta.startswith(b"160000"):
            found.add(os.fsdecode(path)[len(prefix) :])
    return found


def nested_repository(repo_dir: Path, relative: Path, gitlinks: set[str]) -> str:
    """The submodule or nested git repository holding ``relative``, or ""."""
    for depth in range(1, len(relative.parts)):
        folder = "/".join(relative.parts[:depth])
        if folder in gitlinks or os.path.lexists(repo_dir / folder / ".git"):
            return folder
    return ""


def is_example(name: str, package: str) -> bool:
    """The iris example's code and its tests, brought only with --with-example."""
    return name.startswith((f"src/{package}/", "tests/"))


def plan_adoption(
    rendered: Path,
    repo_dir: Path,
    workdir: Path,
    *,
    skip: Callable[[str], bool] = lambda name: False,
) -> Plan:
    """Compare the rendered template with the repository; decide every file.

    ``skip(name)`` leaves a template file out (the example, unless asked for).
    """
    plan = Plan()
    gitlinks = submodules(repo_dir)
    for relative in _template_files(rendered):
        name = relative.as_posix()
        if skip(name):
            continue
        conflict = _unwritable(repo_dir, relative, gitlinks)
        if conflict:
            plan.conflicts.append({"path": name, "reason": conflict, "diff": ""})
            continue
        _plan_file(plan, name, rendered / relative, repo_dir / relative, workdir)
    return plan


def _unwritable(repo_dir: Path, relative: Path, gitlinks: set[str]) -> str | None:
    """Why adoption must not write ``relative`` at all, or None."""
    name = relative.as_posix()
    holder = nested_repository(repo_dir, relative, gitlinks)
    if holder:
        return (
            f"{holder} is a git submodule or nested repository; adoption never "
            "writes into one: add the file there yourself if it belongs there"
        )
    blocked = _blocking_parent(repo_dir, relative)
    if blocked:
        return blocked
    target = repo_dir / relative
    if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
        if target.is_symlink():
            kind = "a symbolic link"
        elif target.is_dir():
            kind = "a folder where the template has a file"
        else:
            kind = "not a regular file"
        return f"{name} is {kind}; kept as it is"
    return None


def _plan_file(plan: Plan, name: str, source: Path, target: Path, work: Path) -> None:
    """Add, skip, merge or report one template file whose target may be written."""
    if not os.path.lexists(target):
        mode = source.stat().st_mode & 0o777
        plan.changes.append(Change(name, source.read_bytes(), mode=mode))
        return
    size = target.stat().st_size
    if size == source.stat().st_size and filecmp.cmp(source, target, shallow=False):
        plan.skipped.append({"path": name, "reason": "identical to the template"})
        return
    if size > MAX_READ_BYTES:  # compared above by streaming; never read whole
        plan.conflicts.append(
            {
                "path": name,
                "reason": f"exists and differs from the template; kept as you wrote"
                f" it (over {MAX_READ_BYTES // 2**20} MiB: no diff shown)",
                "diff": "",
            }
        )
        return
    yours, theirs = target.read_bytes(), source.read_bytes()
    if target.name in (GITIGNORE, PRECOMMIT_CONFIG):
        _plan_merge(plan, name, yours, theirs, work)
        return
    plan.conflicts.append(
        {
            "path": name,
            "reason": "exists and differs from the template; kept as you wrote it",
            "diff": unified_diff(name, yours, theirs),
        }
    )


def _plan_merge(plan: Plan, name: str, yours: bytes, theirs: bytes, work: Path) -> None:
    """Merge ``.gitignore`` or ``.pre-commit-config.yaml``, or report why not."""
    try:
        merged, added, notes = _merge(Path(name).name, yours, theirs, work)
    except MergeError as exc:
        plan.conflicts.append(
            {
                "path": name,
                "reason": f"cannot merge automatically: {exc}; merge the diff by hand",
                "diff": unified_diff(name, yours, theirs),
            }
        )
        return
    plan.notes.extend(notes)
    if not added:
        plan.skipped.append(
            {"path": name, "reason": "already has everything the template adds"}
        )
        return
    plan.changes.append(Change(name, merged, original=yours, added=added))
