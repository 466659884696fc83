"""The ``model-regression`` pre-push hook.

It runs the project's regression command and the promotion gate
(:mod:`precommit_hooks.lifecycle.gate`) and refuses the push when either fails.
A cache keyed by the hashes of the model, the cases, the metrics and the config
skips all of it when nothing changed since the last passing run.  Start-up
stays light: no kfp, no scikit-learn here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from precommit_hooks import __version__
from precommit_hooks.core.config import add_config_option
from precommit_hooks.core.files import read_capped, write_atomic
from precommit_hooks.core.findings import (
    Finding,
    Refusal,
    UsageParser,
    add_format_option,
    print_text,
    report,
    run_guarded,
    special_file_problem,
    write_stdout,
)
from precommit_hooks.lifecycle.cases import check_append_only, read_cases
from precommit_hooks.lifecycle.cases_report import (
    build_report,
    read_results,
    render_report_markdown,
    render_report_text,
)
from precommit_hooks.lifecycle.regression import (
    RegressionConfig,
    parse_regression_config,
    read_project_config,
    run_command,
)

CACHE_FILE = "model-regression-cache.json"
MAX_CACHE_BYTES = 1 << 16  # a key and a time stamp


def _git_dir(root: Path) -> Path | None:
    """The repository's git folder, found without spawning git."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                return target if target.is_absolute() else folder / target
    return None


def cache_dir(root: Path) -> Path:
    """``.git/dsp/`` when in a repository, else a self-ignoring ``.dsp-cache/``."""
    git_dir = _git_dir(root)
    if git_dir is not None:
        return git_dir / "dsp"
    return root / ".dsp-cache"


def _file_digest(path: Path | None) -> str:
    if path is None:
        return "unset"
    if special_file_problem(path):  # a pipe would block the read; the check says why
        return "not a file"
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except (FileNotFoundError, IsADirectoryError):
        return "missing"


def cache_key(inputs: Mapping[str, Path | None]) -> str:
    """One hash over the hook's version and every input file's content."""
    digest = hashlib.sha256(f"dsp {__version__}\n".encode())
    for name in sorted(inputs):
        digest.update(f"{name} {_file_digest(inputs[name])}\n".encode())
    return digest.hexdigest()


def _cached(root: Path, key: str) -> bool:
    try:
        raw = read_capped(cache_dir(root) / CACHE_FILE, MAX_CACHE_BYTES, "cache", "")
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError, Refusal):
        return False  # no usable cache: run the checks
    return isinstance(data, dict) and data.get("passed_key") == key


def _store_cache(root: Path, key: str) -> None:
    folder = cache_dir(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.name == ".dsp-cache":
            write_atomic(folder / ".gitignore", b"*\n")
        record = {"passed_key": key, "at": dt.datetime.now(dt.timezone.utc).isoformat()}
        write_atomic(folder / CACHE_FILE, json.dumps(record).encode())
    except (OSError, Refusal):
        pass  # a cache that cannot be written only costs time


def _append_only_findings(cases_path: Path, root: Path) -> list[Finding]:
    """Compare the cases file with the version on the remote being pushed to."""
    from_ref = os.environ.get("PRE_COMMIT_FROM_REF", "")
    if not from_ref or set(from_ref) == {"0"} or not cases_path.is_file():
        return []
    try:
        rel = cases_path.resolve().relative_to(root.resolve())
    except ValueError:
        return []
    done = subprocess.run(
        ["git", "show", f"{from_ref}:{rel.as_posix()}"],
        cwd=root,
        capture_output=True,
    )
    if done.returncode != 0:
        return []  # the file is new on this branch, or the ref is unknown here
    return check_append_only(
        done.stdout.decode("utf-8", "replace"),
        cases_path.read_text(encoding="utf-8", errors="replace"),
        str(cases_path),
    )


def _hook_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog="model-regression",
        description="Promotion gate and behavioural regression cases at pre-push.",
    )
    parser.add_argument("filenames", nargs="*", help="ignored (pass_filenames: false)")
    add_config_option(parser, "")
    add_format_option(parser, ("text", "markdown"), "table format")
    parser.add_argument(
        "--no-cache", action="store_true", help="run even when nothing changed"
    )
    return parser


def run_hook(config_path: Path, fmt: str = "text", use_cache: bool = True) -> int:
    """The hook's work; returns the exit code, prints the tables."""
    from precommit_hooks.lifecycle import gate

    dsp, root = read_project_config(config_path)
    if "gate" not in dsp and "regression" not in dsp:
        raise Refusal(
            f"{config_path}: no [tool.dsp.gate] or [tool.dsp.regression]; configure "
            "them (see the README) or remove the model-regression hook"
        )
    gate_config = (
        gate.parse_gate_config({"tool": {"dsp": dsp}}, config_path)
        if "gate" in dsp
        else None
    )
    reg_config = (
        parse_regression_config(dsp["regression"], root, config_path)
        if "regression" in dsp
        else None
    )
    inputs: dict[str, Path | None] = {"config": config_path}
    if gate_config is not None:
        baseline, _ = gate.choose_baseline(gate_config, None)
        inputs.update(candidate=gate_config.candidate, baseline=baseline)
    if reg_config is not None:
        inputs.update(cases=reg_config.cases, model=reg_config.model)
    key = cache_key(inputs)
    if use_cache and _cached(root, key):
        print_text(
            f"model-regression: cached: model, cases, metrics and config unchanged "
            f"since the last passing run ({key[:12]}); nothing to do\n"
        )
        return 0

    sections: list[str] = []
    refusals: list[str] = []
    if gate_config is not None:
        try:
            result = gate.run_gate(gate_config)
            sections.append(gate.render(result, fmt))
            if not result.passed:
                refusals.append("the promotion gate refused the candidate")
        except Refusal as exc:
            refusals.append(f"promotion gate: {exc}")
    if reg_config is not None:
        refusals += _regression_part(reg_config, root, fmt, sections)
    out = "\n".join(sections)
    if refusals:
        out += ("\n" if out else "") + "model-regression: push refused:\n"
        out += "".join(f"  - {r}\n" for r in refusals)
    else:
        out += "\nmodel-regression: passed\n"
        if use_cache:
            _store_cache(root, key)
    print_text(out)
    return 1 if refusals else 0


def _regression_part(
    config: RegressionConfig, root: Path, fmt: str, sections: list[str]
) -> list[str]:
    cases, found = read_cases(config.cases)
    found += _append_only_findings(config.cases, root)
    if found:
        sections.append(report(found))
        return [f"{config.cases}: {len(found)} bad line(s) in the cases file"]
    if config.command is None or config.results is None:
        return []  # cases only validated: no runner configured
    if config.model is not None and not config.model.is_file():
        problem = special_file_problem(config.model)
        if problem:
            return [f"{config.model}: {problem}; name the model file"]
        return [f"{config.model}: no model to test; train it first (make train)"]
    try:
        run_command(config)
        rep = build_report(cases, read_results(config.results))
    except Refusal as exc:
        return [str(exc)]
    sections.append(
        render_report_markdown(rep) if fmt == "markdown" else render_report_text(rep)
    )
    if not rep.passed:
        return [f"{len(rep.failed)} behavioural regression case(s) fail"]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    """The ``model-regression`` pre-push hook: gate + cases, or refuse the push."""
    args = _hook_parser().parse_args(argv)
    return run_guarded(
        "model-regression",
        lambda: run_hook(args.config, args.format, not args.no_cache),
        _tell,
    )


def _tell(line: str) -> None:
    """The hook's refusal on stdout (pre-commit shows it), else on stderr."""
    if write_stdout(line) is not None:
        sys.stderr.write(line)


if __name__ == "__main__":
    raise SystemExit(main())
