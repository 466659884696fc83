"""Rendering the template for ``dsp adopt``: where it is, and ``cruft create``."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

from precommit_hooks.core.findings import Refusal


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


# Jinja's openers: cookiecutter renders answers from --extra-context and a
# config file's default_context as templates before any hook can refuse them.
TEMPLATE_MARKERS = ("{{", "{%", "{#")


def _marked(value: Any) -> str | None:
    """The first template marker inside ``value`` (nested lists/dicts too)."""
    if isinstance(value, str):
        return next((m for m in TEMPLATE_MARKERS if m in value), None)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return None
    return next((m for m in map(_marked, items) if m), None)


def refuse_template_markers(answers: dict[str, Any], source: str) -> None:
    """Refuse any answer holding ``{{``, ``{%`` or ``{#``, naming it (data only)."""
    for name, value in answers.items():
        marker = _marked(value) or _marked(name)
        if marker:
            raise Refusal(
                f"{source} answer {name} contains the template marker {marker!r}: "
                "answers are data, never templates; remove it"
            )


def user_config_answers(config_file: str | None) -> dict[str, Any]:
    """The ``default_context`` cookiecutter will read (the file, or the user's)."""
    from cookiecutter.config import get_user_config
    from cookiecutter.exceptions import CookiecutterException

    try:
        config = get_user_config(config_file=config_file, default_config=False)
    except (CookiecutterException, OSError, ValueError) as exc:
        raise Refusal(
            f"cannot read the cookiecutter config {config_file or '(your default)'}: "
            f"{_one_line(str(exc))}; fix the file or pass another --config-file"
        ) from None
    answers = config.get("default_context") or {}
    return answers if isinstance(answers, dict) else {}
