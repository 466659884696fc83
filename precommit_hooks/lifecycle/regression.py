"""The ``dsp regression`` command: validate, run, report and record cases.

The cases file, its report and recording are :mod:`.cases`,
:mod:`.cases_report` and :mod:`.cases_record`; this module reads
``[tool.dsp.regression]`` and runs the project's regression command with the
project's Python.  The pre-push hook over it is
:mod:`precommit_hooks.hooks.model_regression`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from precommit_hooks.core.config import add_config_option
from precommit_hooks.lifecycle.cases import Case, read_cases
from precommit_hooks.lifecycle.config_schema import schema_problem
from precommit_hooks.lifecycle.cases_record import example_from_jsonl, record_case
from precommit_hooks.lifecycle.cases_report import (
    RegressionReport,
    build_report,
    read_results,
    render_report_markdown,
    render_report_text,
    report_json,
)
from precommit_hooks.core.files import loads_strict_json
from precommit_hooks.core.text import is_number
from precommit_hooks.core.findings import (
    Refusal,
    add_format_option,
    json_problem,
    print_json,
    print_text,
    report,
)

REGRESSION_KEYS = ("cases", "model", "results", "command", "timeout")
REGRESSION_SCHEMA = "tool-dsp-regression.schema.json"
PATH_KEYS = ("cases", "model", "results")
DEFAULT_CASES = "tests/model/regression_cases.jsonl"
DEFAULT_TIMEOUT = 300
MAX_TIMEOUT = 86400.0  # a day; larger values overflow the OS timers


# ----------------------------------------------------------------- project config


@dataclass(frozen=True)
class RegressionConfig:
    """``[tool.dsp.regression]`` with paths resolved against the project root."""

    root: Path
    cases: Path
    model: Path | None
    results: Path | None
    command: tuple[str, ...] | None
    timeout: float


def parse_regression_config(table: object, root: Path, path: Path) -> RegressionConfig:
    """Check ``[tool.dsp.regression]``; unknown keys get a did-you-mean."""
    if table is None:
        table = {}
    problem = schema_problem(table, REGRESSION_SCHEMA, "tool.dsp.regression")
    if problem:
        raise Refusal(f"{path}: {problem}")
    assert isinstance(table, dict)
    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if not is_number(timeout):  # NaN and infinity pass a JSON Schema
        raise Refusal(
            f"{path}: [tool.dsp.regression] timeout must be a number of seconds "
            f"between 0 and {MAX_TIMEOUT:g}, not {timeout!r}"
        )
    paths = {key: root / table[key] if key in table else None for key in PATH_KEYS}
    command = table.get("command")
    return RegressionConfig(
        root=root,
        cases=paths["cases"] or root / DEFAULT_CASES,
        model=paths["model"],
        results=paths["results"],
        command=tuple(command) if command else None,
        timeout=float(timeout),
    )


def read_project_config(config_path: Path) -> tuple[dict[str, Any], Path]:
    """``[tool.dsp]`` of the project's pyproject.toml and the project root."""
    from precommit_hooks.core.config import dsp_table, load_toml

    return dsp_table(load_toml(config_path), config_path), config_path.parent


# ------------------------------------------------------------- running the runner


def project_python(root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The interpreter that stands for ``"python"`` in the project's command.

    ``$DSP_PYTHON`` first; then the project's ``.venv``; then the first
    ``python``/``python3`` on PATH that is not inside the environment this
    hook runs in (pre-commit puts its own hook environment first on PATH, and
    that one has neither the project's package nor its dependencies).
    """
    env = os.environ if environ is None else environ
    if env.get("DSP_PYTHON"):
        return env["DSP_PYTHON"]
    for candidate in (
        root / ".venv" / "bin" / "python",
        root / ".venv" / "Scripts" / "python.exe",
    ):
        if candidate.is_file():
            return str(candidate)
    hook_envs = {Path(sys.prefix).resolve()}
    if env.get("VIRTUAL_ENV"):
        hook_envs.add(Path(env["VIRTUAL_ENV"]).resolve())
    for folder in env.get("PATH", "").split(os.pathsep):
        if not folder:
            continue
        resolved = Path(folder).resolve()
        if any(e == resolved or e in resolved.parents for e in hook_envs):
            continue
        for name in ("python", "python3"):
            exe = Path(folder) / name
            if exe.is_file() and os.access(exe, os.X_OK):
                return str(exe)
    raise Refusal(
        "no Python for the project's regression command: set DSP_PYTHON or create "
        ".venv in the project"
    )


def run_command(config: RegressionConfig) -> None:
    """Run the project's regression command in the project root."""
    assert config.command is not None
    command = list(config.command)
    if command[0] in ("python", "python3"):
        command[0] = project_python(config.root)
    if config.results is not None and config.results.exists():
        config.results.unlink()  # never report a stale file
    try:
        done = subprocess.run(
            command,
            cwd=config.root,
            capture_output=True,
            text=True,
            timeout=config.timeout,
        )
    except FileNotFoundError:
        raise Refusal(f"regression command: {command[0]!r} not found; fix the command")
    except subprocess.TimeoutExpired:
        raise Refusal(
            f"regression command timed out after {config.timeout:g} s; "
            "raise [tool.dsp.regression] timeout or speed it up"
        )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise Refusal(
            f"regression command exited {done.returncode}: {tail[0]} "
            f"(command: {' '.join(command)})"
        )


# -------------------------------------------------------------------------- dsp CLI


def _config_paths(args: argparse.Namespace) -> RegressionConfig:
    config_path: Path = args.config
    if config_path.is_file():
        dsp, root = read_project_config(config_path)
        config = parse_regression_config(dsp.get("regression"), root, config_path)
    else:
        root = Path(".")
        config = RegressionConfig(root, root / DEFAULT_CASES, None, None, None, 300)
    if getattr(args, "cases", None):
        config = RegressionConfig(
            config.root,
            args.cases,
            config.model,
            config.results,
            config.command,
            config.timeout,
        )
    return config


def configure_regression(parser: argparse.ArgumentParser) -> None:
    """``dsp regression validate|run|report|record``."""
    add_config_option(parser, "regression")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--cases", type=Path, help="the cases JSONL file")
        return sub

    add("validate", "check the cases file: one finding per bad line").set_defaults(
        func=validate_command
    )
    for name, help_text, func in (
        (
            "report",
            "report the runner's results, grouped by capability",
            report_command,
        ),
        ("run", "run the project's regression command, then report", run_command_cli),
    ):
        sub = add(name, help_text)
        sub.add_argument("--results", type=Path, help="the runner's results JSON")
        add_format_option(sub, ("text", "markdown", "json"))
        sub.set_defaults(func=func)
    record = add("record", "append a case from a misclassified example")
    source = record.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="a JSONL file of examples, e.g. artifacts/confidently_wrong.jsonl, "
        "or a `dsp monitor --format json` report (records all its rows)",
    )
    source.add_argument(
        "--input", dest="input_json", help="the input as JSON (features object)"
    )
    record.add_argument(
        "--line", type=int, default=1, help="which line of --from (1-based)"
    )
    record.add_argument(
        "--expected", help="the expected class (default: the example's)"
    )
    record.add_argument("--capability", required=True, help="what the case tests")
    record.add_argument("--reason", required=True, help="why this case was added")
    record.add_argument("--id", dest="case_id", help="the case id (default case-NNNN)")
    record.set_defaults(func=record_command)


def validate_command(args: argparse.Namespace) -> int:
    """Print one finding per bad line; 1 when there is any."""
    config = _config_paths(args)
    cases, found = read_cases(config.cases)
    print_text(report(found))
    if not found:
        print_text(f"{config.cases}: {len(cases)} case(s), all valid\n")
    return 1 if found else 0


def _emit_report(rep: RegressionReport, fmt: str) -> int:
    if fmt == "json":
        print_json(report_json(rep))
    elif fmt == "markdown":
        print_text(render_report_markdown(rep))
    else:
        print_text(render_report_text(rep))
    return 0 if rep.passed else 1


def _checked_cases(config: RegressionConfig) -> list[Case]:
    cases, found = read_cases(config.cases)
    if found:
        print_text(report(found))
        raise Refusal(f"{config.cases}: {len(found)} bad line(s); fix them first")
    return cases


def report_command(args: argparse.Namespace) -> int:
    """The CheckList-style report of an existing results file."""
    config = _config_paths(args)
    results_path = args.results or config.results
    if results_path is None:
        raise Refusal("no results file: pass --results or set [tool.dsp.regression]")
    cases = _checked_cases(config)
    return _emit_report(build_report(cases, read_results(results_path)), args.format)


def run_command_cli(args: argparse.Namespace) -> int:
    """Run the project's command, then report."""
    config = _config_paths(args)
    if config.command is None or config.results is None:
        raise Refusal(f"{args.config}: [tool.dsp.regression] needs command and results")
    cases = _checked_cases(config)
    run_command(config)
    return _emit_report(build_report(cases, read_results(config.results)), args.format)


def record_command(args: argparse.Namespace) -> int:
    """Append a case from a misclassified example; print where it went."""
    config = _config_paths(args)
    from precommit_hooks.lifecycle.monitor.record_from import record_monitored

    if args.source is not None and record_monitored(args, config.cases):
        return 0
    if args.source is not None:
        example = example_from_jsonl(args.source, args.line)
        case_input = example["input"]
        expected = args.expected if args.expected is not None else example["expected"]
    else:
        try:
            case_input = loads_strict_json(args.input_json)
        except (ValueError, RecursionError) as exc:
            raise Refusal(f"--input is not valid JSON ({json_problem(exc)})")
        if args.expected is None:
            raise Refusal("--input needs --expected (the class the model must predict)")
        expected = args.expected
    case, line = record_case(
        config.cases,
        case_input,
        expected,
        args.capability,
        args.reason,
        case_id=args.case_id,
    )
    print_text(f"recorded {case['id']} in {config.cases} (line {line})\n")
    return 0
