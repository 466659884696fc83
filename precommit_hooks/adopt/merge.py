"""Merging the template's ``.pre-commit-config.yaml`` and ``.gitignore``.

Every byte of the user's text is kept; what the template adds is appended, and
the result is checked to mean the user's entries plus the additions, or the
merge is refused with :class:`MergeError`.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.yamldata import plain

PRECOMMIT_CONFIG = ".pre-commit-config.yaml"
GITIGNORE = ".gitignore"
MARK = "added by dsp adopt from the template"


class MergeError(Exception):
    """A file cannot be merged automatically; the message says why."""


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


def _precommit_root(text: str, who: str) -> yamldata.PosDict:
    try:
        loaded = yamlio.parse(text, PRECOMMIT_CONFIG)
    except yamlio.YamlError as exc:
        raise MergeError(f"{who} {PRECOMMIT_CONFIG} is not valid YAML: {exc}") from None
    docs = loaded.documents
    if len(docs) != 1 or not isinstance(docs[0], yamldata.PosDict):
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
        if isinstance(hooks, yamldata.PosList) and hooks and "hooks" in repo.key_pos:
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


def _repos_end_line(lines: list[str], root: yamldata.PosDict) -> int:
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


def _repo_key(url: Any) -> str:
    """A hook repository's URL without the differences that name the same one."""
    text = str(url).strip().rstrip("/")
    return text[:-4] if text.endswith(".git") else text


def _settings_additions(
    user: yamldata.PosDict,
    template: yamldata.PosDict,
    round_trip: Any,
    added: list[str],
    notes: list[str],
) -> dict[str, Any]:
    """The template's top-level settings the user lacks and may safely get.

    Appends to ``added`` what is added and to ``notes`` what is only suggested.
    """
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
    return new_keys


def _template_additions(
    user: yamldata.PosDict, template: yamldata.PosDict, template_text: str
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
    configured = {_repo_key(repo.get("repo")): repo for repo in user["repos"]}
    new_repos: list[Any] = []
    added: list[str] = []
    notes: list[str] = []
    for index, repo in enumerate(template["repos"]):
        missing = [i for i, hook in enumerate(repo["hooks"]) if hook["id"] not in have]
        if not missing:
            continue
        mine = configured.get(_repo_key(repo.get("repo")))
        if mine is not None:  # one entry per repository: never a second rev
            ids = ", ".join(repo["hooks"][i]["id"] for i in missing)
            notes.append(
                f"{PRECOMMIT_CONFIG}: you already use {repo.get('repo')} (rev "
                f"{mine.get('rev')}); add its hooks {ids} to that entry by hand if "
                f"wanted (the template uses rev {repo.get('rev')})"
            )
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
    new_keys = _settings_additions(user, template, round_trip, added, notes)
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
        block = _repos_block(lines, repos, new_repos, nl)
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
    _check_meaning(merged, user, new_repos, new_keys)
    return merged, added, notes


def _repos_block(lines: list[str], repos: Any, new_repos: list[Any], nl: str) -> str:
    """The new ``repos`` entries, indented like the user's block list."""
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
    return block


def _check_meaning(
    merged: str, user: yamldata.PosDict, new_repos: list[Any], new_keys: dict
) -> None:
    """The merged text must mean the user's entries plus exactly the additions."""
    expected = plain(user)
    expected["repos"] = expected["repos"] + plain(new_repos)
    expected.update(plain(new_keys))
    try:
        got = plain(_precommit_root(merged, "the merged"))
    except MergeError as exc:
        raise MergeError(f"appending would break the file ({exc})") from None
    if got != expected:
        raise MergeError("appending would change the meaning of your entries")


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
