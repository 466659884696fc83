"""Where this template was generated from, for the answers' defaults.

cookiecutter loads this Jinja extension (``_extensions`` in cookiecutter.json)
from the template's folder before it asks anything, so ``hooks_repo`` and
``hooks_rev`` default to the template actually used, at its exact commit:

* ``cookiecutter gh:org/dsp-template``: cookiecutter's clone (under its
  ``cookiecutters_dir``) or cruft's temporary clone -> the URL it was cloned
  from, at the commit checked out;
* ``cookiecutter path/to/dsp-template`` (a local clone) -> that folder, at its
  ``HEAD``.

Explicit answers still win. Standard library and Jinja only (cookiecutter's own
dependency); no answer is ever evaluated here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from jinja2.ext import Extension

PACKAGE = "dsp-template"


def _git(folder: Path, *args: str) -> str:
    """git's one-line answer in ``folder``, or "" when git cannot tell."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def template_folder() -> Path:
    """The template being rendered: the last folder on sys.path holding it.

    cookiecutter and cruft put the template's folder on sys.path while they
    render; a module cached from an earlier template must not answer for it.
    """
    name = Path(__file__).name
    for entry in reversed(sys.path):
        folder = Path(entry or ".")
        if (folder / "cookiecutter.json").is_file() and (folder / name).is_file():
            return folder.resolve()
    return Path(__file__).resolve().parent


def _clone_roots() -> list[Path]:
    """Where cookiecutter keeps the clones of templates given as URLs."""
    roots = [Path("~/.cookiecutters").expanduser()]
    try:
        from cookiecutter.config import get_user_config

        roots.append(Path(get_user_config()["cookiecutters_dir"]).expanduser())
    except Exception:  # noqa: BLE001 - an unreadable user config: the default root
        pass
    return [root.resolve() for root in roots]


def is_tool_clone(folder: Path) -> bool:
    """True for a clone cookiecutter or cruft made of a template URL."""
    if any(root in folder.parents for root in _clone_roots()):
        return True
    # cruft clones into a fresh tempfile.TemporaryDirectory(): tmp + 8 of
    # [a-z0-9_] (mktemp's tmp.XXXXXXXXXX, a user's own folder, does not match).
    temp = Path(tempfile.gettempdir()).resolve()
    return folder.parent == temp and bool(re.fullmatch(r"tmp[a-z0-9_]{8}", folder.name))


def template_repo(folder: Path | None = None) -> str:
    """The URL a tool cloned the template from, else the template's folder."""
    folder = folder or template_folder()
    if is_tool_clone(folder):
        origin = _git(folder, "remote", "get-url", "origin")
        if origin:
            return origin
    return str(folder)


def template_commit(folder: Path | None = None) -> str:
    """The commit the template's folder is at ("" when it is not a git checkout)."""
    return _git(folder or template_folder(), "rev-parse", "--verify", "HEAD^{commit}")


def dsp_requirement(repo: str, rev: str) -> str:
    """The pip requirement of ``dsp`` from ``repo`` at ``rev``.

    ``dsp-template @ git+URL@REV``; a local folder becomes a ``file://`` URL.
    """
    if repo.startswith("git@") and ":" in repo:  # scp-like: git@host:org/repo
        host, _, path = repo.partition(":")
        repo = f"ssh://{host}/{path}"
    elif "://" not in repo:
        repo = Path(repo).expanduser().resolve().as_uri()
    return f"{PACKAGE} @ git+{repo}@{rev}"


class TemplateSource(Extension):
    """Jinja globals ``template_repo()``, ``template_commit()`` and the filter
    ``dsp_requirement(rev)`` (``{{ repo | dsp_requirement(rev) }}``)."""

    def __init__(self, environment):  # noqa: D107 - Jinja's extension protocol
        super().__init__(environment)
        environment.globals["template_repo"] = template_repo
        environment.globals["template_commit"] = template_commit
        environment.filters["dsp_requirement"] = dsp_requirement
