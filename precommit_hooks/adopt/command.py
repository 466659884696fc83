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

The platform's scaffolding comes by default, wired to the repository's own
package; the iris example's code and tests only with ``--with-example``.
Planning is in :mod:`.plan`, merging in :mod:`.merge`, the all-or-nothing
writes in :mod:`.transaction`, rendering in :mod:`.render`, and the readable
summary in :mod:`.report`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from precommit_hooks.adopt.merge import PRECOMMIT_CONFIG
from precommit_hooks.adopt.plan import Plan, is_example, plan_adoption, unified_diff
from precommit_hooks.adopt.render import (
    default_template,
    git_toplevel,
    refuse_dirty,
    refuse_template_markers,
    render_template,
    user_config_answers,
)
from precommit_hooks.adopt.report import text_summary
from precommit_hooks.adopt.transaction import CRUFT_FILE, apply_plan
from precommit_hooks.core.findings import (
    Refusal,
    add_format_option,
    print_json,
    print_text,
    refuse_special_file,
)


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
    """The result: what was (or would be) added, merged, kept and skipped."""
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


def subfolder_notes(plan: Plan, repo_dir: Path) -> list[str]:
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


def existing_package(repo_dir: Path) -> str | None:
    """The repository's own import package: ``src/<pkg>`` or ``<pkg>`` at the top.

    Only when there is exactly one, so the scaffolding is wired to it.
    """
    found = set()
    for base in (repo_dir / "src", repo_dir):
        if not base.is_dir():
            continue
        for init in base.glob("*/__init__.py"):
            name = init.parent.name
            if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in (
                "tests",
                "test",
            ):
                found.add(name)
    return found.pop() if len(found) == 1 else None


def _answers(
    repo_dir: Path, extra: dict[str, str], config_file: str | None
) -> dict[str, str]:
    """The answers to render with; every one refused if it holds a template marker.

    cookiecutter renders --extra-context and a config file's default_context as
    Jinja before any hook runs, so they are checked here, before rendering.
    """
    refuse_template_markers(extra, "--extra-context")
    refuse_template_markers(
        user_config_answers(config_file),
        f"--config-file {config_file}" if config_file else "the cookiecutter config",
    )
    package = existing_package(repo_dir)
    if package and "package_name" not in extra:
        extra = {**extra, "package_name": package}
    return extra


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
    with_example: bool = False,
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
    answers = _answers(repo_dir, extra_context or {}, config_file)
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
            extra_context=answers,
        )
        state = json.loads((rendered / CRUFT_FILE).read_text(encoding="utf-8"))
        package = state.get("context", {}).get("cookiecutter", {}).get("package_name")
        plan = plan_adoption(
            rendered,
            repo_dir,
            workdir,
            skip=lambda name: not with_example and is_example(name, str(package)),
        )
    plan.notes.extend(subfolder_notes(plan, repo_dir))
    if not dry_run:
        apply_plan(plan, repo_dir)
    return summary(plan, repo_dir, dry_run, state)


def run_adopt(args: argparse.Namespace) -> int:
    """``dsp adopt``: print the summary; conflicts are reported, not failures."""
    result = adopt(
        Path(args.repo_dir),
        template=args.template,
        checkout=args.checkout,
        no_input=args.no_input,
        config_file=args.config_file,
        extra_context=_extra_context(args.extra_context),
        dry_run=args.dry_run,
        allow_dirty=args.allow_dirty,
        with_example=args.with_example,
    )
    if args.format == "json":
        print_json(result)
    else:
        print_text(text_summary(result))
    return 0


def configure_adopt(parser: argparse.ArgumentParser) -> None:
    """Options of ``dsp adopt``."""
    parser.add_argument(
        "repo_dir", metavar="REPO_DIR", help="the existing project's folder"
    )
    parser.add_argument(
        "--template",
        metavar="PATH_OR_URL",
        help="git URL or path of the template (default: where this dsp was "
        "installed from: its git URL and revision, or its source checkout)",
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
        help="an answer, e.g. project_name=Iris (repeatable; data: template "
        "markers are refused)",
    )
    parser.add_argument(
        "--with-example",
        action="store_true",
        help="also bring the iris example's code (src/<package>/) and its tests",
    )
    add_format_option(
        parser,
        ("text", "json"),
        "text: a readable summary (default); json: for machines",
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
