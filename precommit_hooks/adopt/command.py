"""``dsp adopt``: bring the template into an existing repository without losing a byte.

The template is rendered by ``cruft create`` into a temporary folder (so the
``.cruft.json`` it writes is exactly what ``cruft check`` and ``cruft update``
expect: template URL, commit, checkout and the cookiecutter context), and then
only what is missing is brought into the repository:

* a file the repository lacks is added;
* a file that exists and differs is kept as the user wrote it and reported as a
  conflict, with the template's version as a unified diff;
* ``.pre-commit-config.yaml`` and ``.gitignore`` are merged: the template's
  missing hooks (with the install settings they need) and ignore lines are
  added; the user's text is kept byte for byte around them.

Everything is planned first and written last: each file goes to a temporary
file beside its target, then all are renamed into place; if any step fails,
what was already done is undone, so the repository is left as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Refusal, print_json, refuse_special_file

PRECOMMIT_CONFIG = ".pre-commit-config.yaml"
GITIGNORE = ".gitignore"
CRUFT_FILE = ".cruft.json"
MARK = "added by dsp adopt from the template"
_TEMP_SUFFIX = ".dsp-adopt-tmp"


class MergeError(Exception):
    """A file cannot be merged automatically; the message says why."""


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


@dataclass
class Plan:
    """What adoption would do; nothing is written until :func:`apply_plan`."""

    changes: list[Change] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# git
# --------------------------------------------------------------------------


def _git(repo_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo_dir), *args],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise Refusal("git is not installed: dsp adopt and cruft need it") from None


def git_toplevel(path: Path) -> Path | None:
    """The top folder of the git work tree holding ``path``, or None."""
    done = _git(path, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        return None
    return Path(done.stdout.strip()).resolve()


def refuse_dirty(repo_dir: Path) -> None:
    """Refuse a folder outside git or with uncommitted changes under it.

    Only ``repo_dir`` counts, so the rest of a monorepo may be mid-work; the
    point is that ``git diff`` and ``git checkout`` can review and undo adoption.
    """
    if git_toplevel(repo_dir) is None:
        raise Refusal(
            f"{repo_dir} is not in a git repository, so the change could not be "
            "reviewed or undone: run `git init` and commit first, or pass --allow-dirty"
        )
    status = _git(repo_dir, "status", "--porcelain", "--untracked-files=all", "--", ".")
    if status.returncode != 0:
        raise Refusal(f"git status failed in {repo_dir}: {status.stderr.strip()}")
    dirty = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise Refusal(
            f"{repo_dir} has uncommitted changes ({shown}): commit or stash them "
            "first so the adoption can be reviewed and undone, or pass --allow-dirty"
        )


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------


def _installed_from() -> dict[str, Any]:
    """pip's record of where this package was installed from (PEP 610), or {}."""
    from importlib import metadata

    try:
        text = metadata.distribution("dsp-template").read_text("direct_url.json")
        return json.loads(text) if text else {}
    except (metadata.PackageNotFoundError, ValueError):
        return {}


def default_template() -> tuple[str, str | None]:
    """The template this ``dsp`` came from, and the revision to check out.

    * installed from git (``pip install 'dsp-template @ git+URL@REV'``): that
      URL at that revision, so the template matches the hooks;
    * otherwise the source checkout the package runs from (``pip install -e .``),
      when it holds ``cookiecutter.json`` and is a git repository (cruft clones
      the template, so it must be one), at its current commit.
    """
    origin = _installed_from()
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and origin.get("url"):
        return origin["url"], vcs.get("requested_revision") or vcs.get("commit_id")
    root = Path(__file__).resolve().parents[2]
    if (root / "cookiecutter.json").is_file() and git_toplevel(root) == root:
        return str(root), None
    raise Refusal(
        "no --template given and this dsp was installed neither from git nor from "
        "a git checkout of the template: pass --template PATH_OR_URL (a git "
        "repository with cookiecutter.json)"
    )


@contextlib.contextmanager
def _quiet_rendering(live: bool) -> Iterator[None]:
    """Keep stdout for the JSON summary and tracebacks away from the user.

    What the template's hooks print on stdout (e.g. "cd <slug>" next steps,
    wrong for an adoption) is held back and shown on stderr only if rendering
    fails; with prompts (``live``) it goes to stderr as it comes.
    cookiecutter's logger, which logs a failed hook with its traceback, is
    muted: the refusal says what failed, the hook's own message says why.
    """
    logger = logging.getLogger("cookiecutter")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)  # its child loggers inherit this
    sys.stdout.flush()
    saved = os.dup(1)
    held = None if live else tempfile.TemporaryFile()
    os.dup2(2 if held is None else held.fileno(), 1)
    failed = True
    # Python-level prints follow fd 1 when held; prompts must show when live.
    redirect = (
        contextlib.redirect_stdout(sys.stderr) if live else contextlib.nullcontext()
    )
    try:
        with redirect:
            yield
        failed = False
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        logger.setLevel(level)
        if held is not None:
            if failed:
                held.seek(0)
                sys.stderr.write(held.read().decode("utf-8", "replace"))
            held.close()


def render_template(
    template: str,
    output_dir: Path,
    *,
    checkout: str | None = None,
    no_input: bool = True,
    config_file: str | None = None,
    extra_context: dict[str, str] | None = None,
) -> Path:
    """Render ``template`` with ``cruft create`` into ``output_dir``.

    Returns the generated project folder, ``.cruft.json`` included.
    """
    if importlib.util.find_spec("cruft") is None:
        raise Refusal(
            "dsp adopt needs cookiecutter and cruft: pip install 'dsp-template[adopt]'"
        )
    import cruft
    from click import ClickException
    from cookiecutter.exceptions import CookiecutterException, FailedHookException

    try:
        with _quiet_rendering(live=not no_input):
            return Path(
                cruft.create(
                    template,
                    output_dir=output_dir,
                    config_file=Path(config_file) if config_file else None,
                    extra_context=extra_context or None,
                    no_input=no_input,
                    checkout=checkout,
                )
            )
    except FailedHookException:
        # The hook printed its reason on stderr just above this line.
        raise Refusal(
            f"the generation hook of the template {template} stopped (its reason is "
            "above); change that answer in --extra-context or --config-file"
        ) from None
    except ClickException as exc:  # cruft's errors
        problem = exc.format_message()
    except (CookiecutterException, ValueError, OSError) as exc:
        problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - template hooks run arbitrary code
        problem = f"{type(exc).__name__}: {exc}"
    raise Refusal(
        f"cannot render the template {template}: {_one_line(problem).rstrip('.')}; "
        "fix the template URL, --checkout or the answers"
    )


def _one_line(text: str) -> str:
    """Git's and the template's multi-line errors, as one line."""
    return " ".join(text.split())


# --------------------------------------------------------------------------
# merging
# --------------------------------------------------------------------------


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def merge_gitignore(user_text: str, template_text: str) -> tuple[str, list[str]]:
    """The user's ``.gitignore`` with the template's missing lines appended.

    Returns the merged text (the user's text unchanged when nothing is
    missing) and the lines added.  A template comment directly above a missing
    line comes along, so the appended block explains itself.
    """
    have = {line.strip() for line in user_text.splitlines()}
    groups: list[list[str]] = []
    added: list[str] = []
    comments: list[str] = []
    current: list[str] | None = None
    for line in template_text.splitlines():
        stripped = line.strip()
        if not stripped:
            comments, current = [], None
            continue
        if stripped.startswith("#"):
            if current is not None:  # a comment after patterns starts a new group
                current = None
                comments = []
            comments.append(line.rstrip())
            continue
        if stripped in have or stripped in added:
            continue
        if current is None:
            current = list(comments)
            groups.append(current)
        current.append(line.rstrip())
        added.append(stripped)
    if not added:
        return user_text, []
    nl = _newline(user_text)
    head = nl if user_text and not user_text.endswith("\n") else ""
    if user_text.strip():
        head += nl  # a blank line between the user's lines and ours
    body = (nl + nl).join(nl.join(group) for group in groups)
    return user_text + head + f"# {MARK}{nl}" + body + nl, added


def _plain(value: Any) -> Any:
    """PosDict/PosList to plain dict/list, for comparing and dumping."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _precommit_root(text: str, who: str) -> yamlio.PosDict:
    try:
        loaded = yamlio.parse(text, PRECOMMIT_CONFIG)
    except yamlio.YamlError as exc:
        raise MergeError(f"{who} {PRECOMMIT_CONFIG} is not valid YAML: {exc}") from None
    docs = loaded.documents
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise MergeError(f"{who} {PRECOMMIT_CONFIG} is not one YAML mapping")
    root = docs[0]
    repos = root.get("repos")
    if not isinstance(repos, list) or not all(isinstance(r, dict) for r in repos):
        raise MergeError(f"{who} {PRECOMMIT_CONFIG} has no list of repos")
    for repo in repos:
        hooks = repo.get("hooks")
        if not isinstance(hooks, list) or not all(
            isinstance(h, dict) and "id" in h for h in hooks
        ):
            raise MergeError(
                f"{who} {PRECOMMIT_CONFIG}: repo {repo.get('repo')!r} has no list "
                "of hooks with ids"
            )
    return root


def _dump_yaml(value: Any, indent: tuple[int, int] = (2, 4)) -> str:
    """Block YAML; ``indent`` is where a list's dash and item sit from its key."""
    from ruamel.yaml import YAML

    dumper = YAML()
    offset, sequence = indent
    dumper.indent(mapping=2, sequence=sequence, offset=offset)
    dumper.width = 4096  # never fold a long regex or entry
    stream = _StringStream()
    dumper.dump(value, stream)
    return stream.text


def _hooks_indent(repos: list[Any]) -> tuple[int, int]:
    """How the user indents ``hooks:`` lists: columns of the dash and the item.

    Both are counted from the ``hooks`` key, e.g. ``(2, 4)`` for
    ``  - id: x`` and ``(0, 4)`` for pre-commit's sample ``-   id: x``.
    """
    for repo in repos:
        hooks = repo["hooks"]
        if isinstance(hooks, yamlio.PosList) and hooks and "hooks" in repo.key_pos:
            key_col = repo.key_pos["hooks"][1]
            dash, item = hooks.pos[1] - key_col, hooks.pos_of(0)[1] - key_col
            if 0 <= dash < item:
                return dash, item
    return 2, 4


class _StringStream:
    def __init__(self) -> None:
        self.text = ""

    def write(self, data: str | bytes) -> None:
        self.text += data.decode() if isinstance(data, bytes) else data


def _repos_end_line(lines: list[str], root: yamlio.PosDict) -> int:
    """0-based index of the line before which new repos go (end of ``repos``)."""
    repos_line = root.key_pos["repos"][0]
    later = [pos[0] for pos in root.key_pos.values() if pos and pos[0] > repos_line]
    if not later:
        return len(lines)
    index = min(later) - 1
    # Comments and blank lines at column 0 just above the next key belong to it.
    while index > 0 and (
        not lines[index - 1].strip() or lines[index - 1].startswith("#")
    ):
        index -= 1
    return index


# Top-level settings that make the template's hooks install and run where it
# means them to; the others (exclude, fail_fast, ...) would change how the
# user's own hooks run, so they are only suggested.
_SETTINGS_ADDED = ("default_install_hook_types", "default_stages")


def _without_comments(node: Any) -> Any:
    """Drop ruamel's comments (they may belong to a neighbour we do not copy)."""
    if hasattr(node, "ca"):
        node.ca.comment = None
        node.ca.items.clear()
        node.ca.end = None
    if isinstance(node, dict):
        for value in node.values():
            _without_comments(value)
    elif isinstance(node, list):
        for value in node:
            _without_comments(value)
    return node


def _template_additions(
    user: yamlio.PosDict, template: yamlio.PosDict, template_text: str
) -> tuple[list[Any], dict[str, Any], list[str], list[str]]:
    """The template's repos entries and settings the user lacks.

    Taken from a ruamel round-trip load, so flow lists such as
    ``stages: [pre-push]`` and quoting stay as the template wrote them.
    Returns new repos, new settings, what they add, and notes.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    round_trip = YAML().load(template_text)
    have = {hook["id"] for repo in user["repos"] for hook in repo["hooks"]}
    new_repos: list[Any] = []
    added: list[str] = []
    notes: list[str] = []
    for index, repo in enumerate(template["repos"]):
        missing = [i for i, hook in enumerate(repo["hooks"]) if hook["id"] not in have]
        if not missing:
            continue
        source = round_trip["repos"][index]
        entry = CommentedMap()
        for key, value in source.items():
            entry[key] = value
        entry["hooks"] = CommentedSeq(source["hooks"][i] for i in missing)
        new_repos.append(_without_comments(entry))
        added += [
            f"hook {repo['hooks'][i]['id']} ({repo.get('repo')})" for i in missing
        ]
    new_keys: dict[str, Any] = {}
    for key in template:
        if key == "repos" or key in user:
            continue
        fits = key in _SETTINGS_ADDED and (
            # default_stages keeps the user's hooks at commit time only when
            # the install types are new too; otherwise it would change them.
            key != "default_stages"
            or "default_install_hook_types" not in user
        )
        if fits:
            new_keys[key] = _without_comments(round_trip[key])
            added.append(f"setting {key}")
        else:
            notes.append(
                f"{PRECOMMIT_CONFIG}: the template's setting {key} was not added "
                "(it would change how your own hooks run); add it by hand if wanted"
            )
    types = user.get("default_install_hook_types")
    if isinstance(types, list):
        lacking = [
            t for t in template.get("default_install_hook_types", []) if t not in types
        ]
        if lacking:
            notes.append(
                f"{PRECOMMIT_CONFIG}: add {', '.join(lacking)} to your "
                "default_install_hook_types so the template's hooks of that stage "
                "are installed"
            )
    return new_repos, new_keys, added, notes


def merge_precommit_config(
    user_text: str, template_text: str
) -> tuple[str, list[str], list[str]]:
    """The user's pre-commit config with the template's missing hooks added.

    A template hook is missing when no hook of the user's has its id.  The
    missing hooks are appended as new ``repos`` entries (at the template's
    ``rev``, where those hooks are known to exist) after the user's last
    repo; the install settings the template's hooks need (hook types and
    stages) are appended at the end when the user has none.  Every byte of
    the user's text is kept.  Returns the merged text (the user's when
    nothing is missing), what was added, and notes on what was not; raises
    :class:`MergeError` when the file's layout does not allow a safe append.
    """
    user = _precommit_root(user_text, "your")
    template = _precommit_root(template_text, "the template's")
    new_repos, new_keys, added, notes = _template_additions(
        user, template, template_text
    )
    if not added:
        return user_text, [], notes

    nl = _newline(user_text)
    lines = user_text.splitlines(keepends=True)
    repos = user["repos"]
    insert_at = len(lines)
    block = ""
    if new_repos:
        if not repos:
            raise MergeError(f"your {PRECOMMIT_CONFIG} has an empty repos list")
        dash_line, dash_col = repos.pos
        if lines[dash_line - 1][dash_col - 1 : dash_col] != "-":
            raise MergeError(
                f"your {PRECOMMIT_CONFIG} writes repos as a [flow] list; "
                "only a block list (- repo: ...) can be appended to"
            )
        key_col = repos.pos_of(0)[1]
        dash = " " * (dash_col - 1)
        first = dash + "-" + " " * (key_col - dash_col - 1)
        rest = " " * (key_col - 1)
        block = f"{dash}# {MARK}{nl}"
        for entry in new_repos:
            dumped = _dump_yaml(entry, _hooks_indent(repos)).splitlines()
            block += first + dumped[0] + nl
            block += "".join((rest + line if line else "") + nl for line in dumped[1:])
        insert_at = _repos_end_line(lines, user)
    tail = ""
    if new_keys:
        tail = f"{nl}# {MARK}{nl}" + _dump_yaml(new_keys, _hooks_indent(repos)).replace(
            "\n", nl
        )
    before = "".join(lines[:insert_at])
    after = "".join(lines[insert_at:])
    if before and not before.endswith("\n"):
        before += nl
    merged = before + block + after
    if tail:
        if not merged.endswith("\n"):
            merged += nl
        merged += tail

    expected = _plain(user)
    expected["repos"] = expected["repos"] + _plain(new_repos)
    expected.update(_plain(new_keys))
    try:
        got = _plain(_precommit_root(merged, "the merged"))
    except MergeError as exc:
        raise MergeError(f"appending would break the file ({exc})") from None
    if got != expected:
        raise MergeError("appending would change the meaning of your entries")
    return merged, added, notes


def validate_precommit_config(text: str, workdir: Path) -> str | None:
    """``pre-commit validate-config``'s complaint about ``text``, or None.

    Returns None too when pre-commit is not installed (nothing to ask).
    """
    if importlib.util.find_spec("pre_commit") is None:
        return None
    candidate = workdir / "merged-pre-commit-config.yaml"
    candidate.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(candidate)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return None
    return (done.stdout + done.stderr).strip().replace(str(candidate), PRECOMMIT_CONFIG)


# --------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------


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


def plan_adoption(rendered: Path, repo_dir: Path, workdir: Path) -> Plan:
    """Compare the rendered template with the repository; decide every file."""
    plan = Plan()
    for relative in _template_files(rendered):
        name = relative.as_posix()
        source = rendered / relative
        target = repo_dir / relative
        theirs = source.read_bytes()
        blocked = _blocking_parent(repo_dir, relative)
        if blocked:
            plan.conflicts.append({"path": name, "reason": blocked, "diff": ""})
            continue
        if not os.path.lexists(target):
            mode = source.stat().st_mode & 0o777
            plan.changes.append(Change(name, theirs, mode=mode))
            continue
        if target.is_symlink() or not target.is_file():
            if target.is_symlink():
                kind = "a symbolic link"
            elif target.is_dir():
                kind = "a folder where the template has a file"
            else:
                kind = "not a regular file"
            plan.conflicts.append(
                {"path": name, "reason": f"{name} is {kind}; kept as it is", "diff": ""}
            )
            continue
        yours = target.read_bytes()
        if yours == theirs:
            plan.skipped.append({"path": name, "reason": "identical to the template"})
            continue
        if relative.name in (GITIGNORE, PRECOMMIT_CONFIG):
            try:
                merged, added, notes = _merge(relative.name, yours, theirs, workdir)
            except MergeError as exc:
                plan.conflicts.append(
                    {
                        "path": name,
                        "reason": f"cannot merge automatically: {exc}; "
                        "merge the diff by hand",
                        "diff": unified_diff(name, yours, theirs),
                    }
                )
                continue
            plan.notes.extend(notes)
            if not added:
                plan.skipped.append(
                    {"path": name, "reason": "already has everything the template adds"}
                )
                continue
            plan.changes.append(Change(name, merged, original=yours, added=added))
            continue
        plan.conflicts.append(
            {
                "path": name,
                "reason": "exists and differs from the template; kept as you wrote it",
                "diff": unified_diff(name, yours, theirs),
            }
        )
    return plan


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def _side_name(target: Path, role: str) -> Path:
    return target.with_name(
        f".{target.name}.{role}-{secrets.token_hex(4)}{_TEMP_SUFFIX}"
    )


def apply_plan(plan: Plan, repo_dir: Path) -> None:
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
            missing = []
            parent = target.parent
            while not parent.exists():
                missing.append(parent)
                parent = parent.parent
            for folder in reversed(missing):
                folder.mkdir()
                created_dirs.append(folder)
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


# --------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------


def _extra_context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise Refusal(
                f"--extra-context {pair!r} is not KEY=VALUE; "
                "write e.g. project_name=Iris"
            )
        context[key] = value
    return context


def summary(
    plan: Plan, repo_dir: Path, dry_run: bool, state: dict[str, Any]
) -> dict[str, Any]:
    """The JSON result: what was (or would be) added, merged, kept and skipped."""
    return {
        "repo_dir": str(repo_dir),
        "template": state.get("template"),
        "commit": state.get("commit"),
        "dry_run": dry_run,
        "added": sorted(c.path for c in plan.changes if not c.is_merge),
        "merged": [
            {
                "path": c.path,
                "added": c.added,
                "diff": unified_diff(c.path, c.original or b"", c.content),
            }
            for c in plan.changes
            if c.is_merge
        ],
        "conflicts": sorted(plan.conflicts, key=lambda c: c["path"]),
        "skipped": sorted(plan.skipped, key=lambda c: c["path"]),
        "notes": plan.notes,
    }


def _subfolder_notes(plan: Plan, repo_dir: Path) -> list[str]:
    """What only works at the top of a git repository, when REPO_DIR is not it."""
    toplevel = git_toplevel(repo_dir)
    if toplevel is None or toplevel == repo_dir:
        return []
    paths = {c.path for c in plan.changes}
    notes = []
    if PRECOMMIT_CONFIG in paths:
        notes.append(
            f"pre-commit reads only {toplevel / PRECOMMIT_CONFIG}: copy the hooks of "
            f"{PRECOMMIT_CONFIG} there, or run `pre-commit run -c "
            f"{(repo_dir / PRECOMMIT_CONFIG).relative_to(toplevel)}`"
        )
    if any(path.startswith(".github/workflows/") for path in paths):
        notes.append(
            f"GitHub runs workflows only from {toplevel / '.github/workflows'}: "
            "move the added ones there and set their working-directory to "
            f"{repo_dir.relative_to(toplevel)}"
        )
    return notes


def adopt(
    repo_dir: Path,
    *,
    template: str | None = None,
    checkout: str | None = None,
    no_input: bool = True,
    config_file: str | None = None,
    extra_context: dict[str, str] | None = None,
    dry_run: bool = False,
    allow_dirty: bool = False,
) -> dict[str, Any]:
    """Adopt the template into ``repo_dir``; return the :func:`summary`."""
    if not repo_dir.is_dir():
        raise Refusal(
            f"{repo_dir} is not a folder: give the project's folder as REPO_DIR"
        )
    if config_file:
        refuse_special_file(config_file, "cookiecutter config file (YAML)")
    repo_dir = repo_dir.resolve()
    if os.path.lexists(repo_dir / CRUFT_FILE):
        raise Refusal(
            f"{repo_dir / CRUFT_FILE} exists: the project is already linked to a "
            "template; run `cruft update` instead, or delete it to adopt afresh"
        )
    if not (allow_dirty or dry_run):  # a dry run changes nothing to undo
        refuse_dirty(repo_dir)
    if template is None:
        template, default_checkout = default_template()
        checkout = checkout or default_checkout
    with tempfile.TemporaryDirectory(prefix="dsp-adopt-") as work:
        workdir = Path(work)
        rendered = render_template(
            template,
            workdir / "rendered",
            checkout=checkout,
            no_input=no_input,
            config_file=config_file,
            extra_context=extra_context,
        )
        state = json.loads((rendered / CRUFT_FILE).read_text(encoding="utf-8"))
        plan = plan_adoption(rendered, repo_dir, workdir)
    plan.notes.extend(_subfolder_notes(plan, repo_dir))
    if not dry_run:
        apply_plan(plan, repo_dir)
    return summary(plan, repo_dir, dry_run, state)


def run_adopt(args: argparse.Namespace) -> int:
    """``dsp adopt``: print the JSON summary; conflicts are reported, not failures."""
    result = adopt(
        Path(args.repo_dir),
        template=args.template,
        checkout=args.checkout,
        no_input=args.no_input,
        config_file=args.config_file,
        extra_context=_extra_context(args.extra_context),
        dry_run=args.dry_run,
        allow_dirty=args.allow_dirty,
    )
    print_json(result)
    return 0


def configure_adopt(parser: argparse.ArgumentParser) -> None:
    """Options of ``dsp adopt``."""
    parser.add_argument(
        "repo_dir", metavar="REPO_DIR", help="the existing project's folder"
    )
    parser.add_argument(
        "--template",
        metavar="PATH_OR_URL",
        help="git URL or path of the template (default: this package's source "
        "checkout, when installed from one)",
    )
    parser.add_argument(
        "--checkout", metavar="REV", help="template branch, tag or commit"
    )
    parser.add_argument(
        "--no-input", action="store_true", help="take the template's default answers"
    )
    parser.add_argument(
        "--config-file",
        metavar="F",
        help="cookiecutter user config with default answers",
    )
    parser.add_argument(
        "--extra-context",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="an answer, e.g. project_name=Iris (repeatable)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would change; change nothing"
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="adopt even with uncommitted changes (or outside git)",
    )
    parser.set_defaults(func=run_adopt)
