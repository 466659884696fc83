"""Behavioural regression cases and the ``model-regression`` pre-push hook.

The cases live in an append-only JSON Lines file in the project (by default
``tests/model/regression_cases.jsonl``), one case a line::

    {"id", "type": "MFT"|"INV"|"DIR", "input", "expected",
     "capability", "reason", "added"}

This module checks that file (one finding per bad line, with its number),
records a new case from a misclassified example (``dsp regression record``),
builds the CheckList-style report (cases, fails and rate, example failures,
grouped by capability) from the cases and the project runner's results, and
is the ``model-regression`` hook: it runs the project's regression command and
the promotion gate (:mod:`precommit_hooks.gate`) and refuses the push when
either fails.  A cache keyed by the hashes of the model, the cases, the
metrics and the config skips all of it when nothing changed since the last
passing run.  Start-up stays light: no kfp, no scikit-learn here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import __version__
from .files import loads_strict_json, write_atomic
from .findings import (
    Finding,
    Refusal,
    finding,
    internal_error_text,
    json_problem,
    json_type_name,
    os_error_text,
    print_json,
    print_text,
    refuse_special_file,
    report,
    special_file_problem,
    write_stdout,
)

CASE_KEYS = ("id", "type", "input", "expected", "capability", "reason", "added")
CASE_TYPES = ("MFT", "INV", "DIR")
MAX_UNKNOWN_KEYS_NAMED = 5
DIRECTIONS = ("up", "down")
REGRESSION_KEYS = ("cases", "model", "results", "command", "timeout")
DEFAULT_CASES = "tests/model/regression_cases.jsonl"
DEFAULT_TIMEOUT = 300
MAX_TIMEOUT = 86400.0  # a day; larger values overflow the OS timers
EXAMPLES_PER_GROUP = 3
MAX_CASES_BYTES = 50 << 20
CACHE_FILE = "model-regression-cache.json"


@dataclass(frozen=True)
class Case:
    """One behavioural case and the line it sits on."""

    line: int
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def type(self) -> str:
        return self.data["type"]

    @property
    def capability(self) -> str:
        return self.data["capability"]


# ------------------------------------------------------------------ the cases file


def _close_key(key: str, allowed: Sequence[str]) -> str:
    import difflib  # only on the error path

    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _features_problem(value: object, where: str) -> str | None:
    """Why ``value`` is not a feature dict of finite numbers, or None."""
    if not isinstance(value, dict) or not value:
        return f"{where} must be a non-empty object of feature values"
    for name, number in value.items():
        if not _is_number(number) or not math.isfinite(number):
            return f"{where}.{name} must be a finite number, not {number!r}"
    return None


def _case_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(rule, message) for everything wrong with one parsed case."""
    problems: list[tuple[str, str]] = []
    unknown = [key for key in data if key not in CASE_KEYS]
    for key in unknown[:MAX_UNKNOWN_KEYS_NAMED]:
        problems.append(
            ("case-unknown-key", f"unknown key {key!r}" + _close_key(key, CASE_KEYS))
        )
    if len(unknown) > MAX_UNKNOWN_KEYS_NAMED:
        # A line with thousands of keys still gives a line a person can read.
        problems.append(
            (
                "case-unknown-key",
                f"and {len(unknown) - MAX_UNKNOWN_KEYS_NAMED} more unknown keys; "
                f"a case has only {', '.join(CASE_KEYS)}",
            )
        )
    missing = [k for k in CASE_KEYS if k not in data]
    if missing:
        problems.append(("case-missing-key", "missing " + ", ".join(missing)))
    for key in ("id", "capability", "reason"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            problems.append(
                ("case-schema", f"{key} must be a non-empty string, not {data[key]!r}")
            )
    if "added" in data:
        added = data["added"]
        try:
            if not isinstance(added, str) or len(added) != 10:
                raise ValueError
            dt.date.fromisoformat(added)
        except ValueError:
            problems.append(
                (
                    "case-date",
                    f"added must be an ISO date like 2026-11-27, not {added!r}",
                )
            )
    kind = data.get("type")
    if "type" in data and kind not in CASE_TYPES:
        problems.append(
            ("case-type", f"type must be one of MFT, INV, DIR, not {kind!r}")
        )
    if kind not in CASE_TYPES or "input" not in data or "expected" not in data:
        return problems
    given, expected = data["input"], data["expected"]
    if kind == "MFT":
        problem = _features_problem(given, "input")
        if problem:
            problems.append(("case-input", problem))
        if not isinstance(expected, str) or not expected:
            problems.append(
                (
                    "case-expected",
                    f"MFT expected must be a class name, not {expected!r}",
                )
            )
        return problems
    other = "perturbed" if kind == "INV" else "changed"
    if not isinstance(given, dict) or set(given) != {"base", other}:
        problems.append(
            (
                "case-input",
                f'{kind} input must be {{"base": features, "{other}": features}}',
            )
        )
    else:
        for part in ("base", other):
            problem = _features_problem(given[part], f"input.{part}")
            if problem:
                problems.append(("case-input", problem))
    if kind == "INV" and expected != "same":
        problems.append(
            ("case-expected", f'INV expected must be "same", not {expected!r}')
        )
    if kind == "DIR" and (
        not isinstance(expected, dict)
        or set(expected) != {"label", "direction"}
        or not isinstance(expected["label"], str)
        or not expected["label"]
        or expected["direction"] not in DIRECTIONS
    ):
        problems.append(
            (
                "case-expected",
                'DIR expected must be {"label": class name, "direction": "up" or '
                f'"down"}}, not {json.dumps(expected)}',
            )
        )
    return problems


def _feature_names(data: Mapping[str, Any]) -> set[str] | None:
    given = data.get("input")
    if data.get("type") == "MFT" and isinstance(given, dict):
        return set(given)
    if isinstance(given, dict) and isinstance(given.get("base"), dict):
        return set(given["base"])
    return None


def parse_cases(text: str, path: str) -> tuple[list[Case], list[Finding]]:
    """Check every line of a cases file; return the good cases and the findings.

    Blank lines are skipped.  Each bad line gives one finding naming its line
    and everything wrong with it; ids must be unique across the file, and every
    case must use the same feature names as the first one.
    """
    cases: list[Case] = []
    found: list[Finding] = []
    first_line: dict[str, int] = {}
    features: tuple[int, set[str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = loads_strict_json(raw)
        except json.JSONDecodeError as exc:
            found.append(
                finding(
                    path,
                    (number, exc.colno),
                    "case-json",
                    f"not a JSON object: {exc.msg}; one case a line",
                )
            )
            continue
        except (ValueError, RecursionError) as exc:
            found.append(finding(path, (number, 1), "case-json", json_problem(exc)))
            continue
        if not isinstance(data, dict):
            found.append(
                finding(
                    path,
                    (number, 1),
                    "case-json",
                    f"a case is a JSON object, not {json_type_name(data)}",
                )
            )
            continue
        problems = _case_problems(data)
        case_id = data.get("id")
        if isinstance(case_id, str) and case_id in first_line:
            problems.append(
                (
                    "case-duplicate-id",
                    f"id {case_id!r} is already used on line {first_line[case_id]}; "
                    "give this case a new id",
                )
            )
        names = _feature_names(data)
        if not problems and names is not None:
            if features is None:
                features = (number, names)
            elif names != features[1]:
                gone = sorted(features[1] - names)
                extra = sorted(names - features[1])
                problems.append(
                    (
                        "case-features",
                        f"features differ from line {features[0]}'s: "
                        + "; ".join(
                            part
                            for part in (
                                f"missing {', '.join(gone)}" if gone else "",
                                f"unexpected {', '.join(extra)}" if extra else "",
                            )
                            if part
                        ),
                    )
                )
        if problems:
            rule = problems[0][0]
            found.append(
                finding(
                    path,
                    (number, 1),
                    rule,
                    (
                        f"case {case_id!r}: " + "; ".join(m for _, m in problems)
                        if isinstance(case_id, str)
                        else "; ".join(m for _, m in problems)
                    ),
                )
            )
            continue
        first_line[case_id] = number
        cases.append(Case(number, data))
    return cases, found


def read_cases(path: Path) -> tuple[list[Case], list[Finding]]:
    """Read and check a cases file; an unreadable file is one finding."""
    problem = special_file_problem(path)
    if problem:
        return [], [finding(str(path), None, "case-file", problem)]
    try:
        size = path.stat().st_size
        if size > MAX_CASES_BYTES:
            return [], [
                finding(
                    str(path),
                    None,
                    "case-file",
                    f"{size} bytes is more than the {MAX_CASES_BYTES} a cases file "
                    "may have",
                )
            ]
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return [], [
            finding(
                str(path),
                None,
                "case-file",
                "no cases file; record one with `dsp regression record` or fix "
                "[tool.dsp.regression] cases",
            )
        ]
    except IsADirectoryError:
        return [], [finding(str(path), None, "case-file", "is a folder, not JSONL")]
    except UnicodeDecodeError as exc:
        return [], [
            finding(
                str(path),
                None,
                "case-file",
                f"not UTF-8 (byte {exc.start}); save the cases file as UTF-8",
            )
        ]
    if text.startswith("\ufeff"):
        return [], [
            finding(str(path), (1, 1), "case-file", "starts with a BOM; remove it")
        ]
    return parse_cases(text, str(path))


def check_append_only(old: str, new: str, path: str) -> list[Finding]:
    """Earlier cases may not change: ``old``'s lines must begin ``new``."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, line in enumerate(old_lines, start=1):
        if number > len(new_lines) or new_lines[number - 1] != line:
            return [
                finding(
                    path,
                    (number, 1),
                    "case-append-only",
                    "an earlier case was changed or removed; the cases file is "
                    "append-only (restore the line and add a new case instead)",
                )
            ]
    return []


# -------------------------------------------------------------------------- report


@dataclass
class Outcome:
    """A case and what the runner said about it."""

    case: Case
    passed: bool
    predicted: Any = None
    detail: str = ""


@dataclass
class RegressionReport:
    """Outcomes grouped by capability and type, CheckList-style."""

    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def passed(self) -> bool:
        return not self.failed

    def groups(self) -> list[tuple[str, str, list[Outcome]]]:
        """(capability, type, outcomes), in order of first appearance."""
        grouped: dict[tuple[str, str], list[Outcome]] = {}
        for outcome in self.outcomes:
            key = (outcome.case.capability, outcome.case.type)
            grouped.setdefault(key, []).append(outcome)
        return [(cap, kind, items) for (cap, kind), items in grouped.items()]


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """The runner's ``{"results": [{"id", "passed", ...}]}`` by case id."""
    refuse_special_file(path, "results JSON file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refusal(
            f"{path}: no results file; the regression command did not write it"
        )
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is one
        raise Refusal(f"{path}: not valid results JSON ({json_problem(exc)})")
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise Refusal(f'{path}: expected {{"results": [...]}} from the runner')
    by_id: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(results):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), str)
            or not isinstance(item.get("passed"), bool)
        ):
            raise Refusal(
                f"{path}: results[{index}] needs a string id and a boolean passed"
            )
        by_id[item["id"]] = item
    return by_id


def build_report(
    cases: Sequence[Case], results: Mapping[str, Mapping[str, Any]]
) -> RegressionReport:
    """Join cases with results; a case the runner skipped counts as failed."""
    outcomes = []
    for case in cases:
        result = results.get(case.id)
        if result is None:
            outcomes.append(Outcome(case, False, None, "no result from the runner"))
            continue
        outcomes.append(
            Outcome(
                case,
                bool(result["passed"]),
                result.get("predicted"),
                str(result.get("detail") or ""),
            )
        )
    known = {case.id for case in cases}
    stray = sorted(set(results) - known)
    report_ = RegressionReport(outcomes)
    if stray:
        report_.notes.append(
            "results for ids not in the cases file (ignored): " + ", ".join(stray)
        )
    return report_


def _expected_text(case: Case) -> str:
    expected = case.data["expected"]
    if case.type == "DIR":
        return f"P({expected['label']}) {expected['direction']}"
    return str(expected)


def _example(outcome: Outcome) -> str:
    case = outcome.case
    text = f"{case.id}: expected {_expected_text(case)}"
    if outcome.predicted is not None:
        text += f", got {json.dumps(outcome.predicted)}"
    if outcome.detail:
        text += f" ({outcome.detail})"
    return text


def _rate(failed: int, total: int) -> str:
    return f"{failed} ({failed / total:.1%})" if total else "0"


def render_report_text(rep: RegressionReport) -> str:
    """Cases, fails (rate) and example failures per capability and type."""
    header = ("Capability", "Type", "Cases", "Fails (rate)")
    rows = []
    for cap, kind, items in rep.groups():
        fails = sum(not o.passed for o in items)
        rows.append((cap, kind, str(len(items)), _rate(fails, len(items))))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [
        "Behavioural regression cases",
        "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    for cap, kind, items in rep.groups():
        failed = [o for o in items if not o.passed]
        if failed:
            lines.append(f"Example failures, {cap} ({kind}):")
            lines += [f"  - {_example(o)}" for o in failed[:EXAMPLES_PER_GROUP]]
            if len(failed) > EXAMPLES_PER_GROUP:
                lines.append(f"  ... and {len(failed) - EXAMPLES_PER_GROUP} more")
    lines += [f"note: {n}" for n in rep.notes]
    total = len(rep.outcomes)
    if rep.passed:
        lines.append(f"PASSED: {total} case(s), none fail")
    else:
        share = len(rep.failed) / total
        lines.append(
            f"REFUSED: {len(rep.failed)} of {total} case(s) fail ({share:.1%})"
        )
    return "\n".join(lines) + "\n"


def render_report_markdown(rep: RegressionReport) -> str:
    """The same report as a Markdown table for a pull-request comment."""
    lines = [
        f"### Behavioural regression cases: {'passed' if rep.passed else 'failed'}",
        "",
        "| Capability | Type | Cases | Fails (rate) | Example failures |",
        "|---|---|---:|---:|---|",
    ]
    for cap, kind, items in rep.groups():
        failed = [o for o in items if not o.passed]
        examples = "<br>".join(
            _example(o).replace("|", "\\|") for o in failed[:EXAMPLES_PER_GROUP]
        )
        cell = cap.replace("|", "\\|")
        lines.append(
            f"| {cell} | {kind} | {len(items)} | "
            f"{_rate(len(failed), len(items))} | {examples} |"
        )
    lines += ["", *[f"> {n}" for n in rep.notes]] if rep.notes else []
    return "\n".join(lines) + "\n"


def report_json(rep: RegressionReport) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "passed": rep.passed,
        "cases": len(rep.outcomes),
        "fails": len(rep.failed),
        "notes": rep.notes,
        "groups": [
            {
                "capability": cap,
                "type": kind,
                "cases": len(items),
                "fails": sum(not o.passed for o in items),
                "examples": [
                    {
                        "id": o.case.id,
                        "expected": o.case.data["expected"],
                        "predicted": o.predicted,
                        "detail": o.detail,
                        "reason": o.case.data["reason"],
                    }
                    for o in items
                    if not o.passed
                ][:EXAMPLES_PER_GROUP],
            }
            for cap, kind, items in rep.groups()
        ],
    }


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
    where = "[tool.dsp.regression]"
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise Refusal(f"{path}: {where} must be a table")
    for key in table:
        if key not in REGRESSION_KEYS:
            raise Refusal(
                f"{path}: {where} has an unknown key {key!r}"
                + (
                    _close_key(key, REGRESSION_KEYS)
                    or "; allowed keys: " + ", ".join(REGRESSION_KEYS)
                )
            )
    paths: dict[str, Path | None] = {}
    for key in ("cases", "model", "results"):
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise Refusal(f"{path}: {where} {key} must be a path string, not {value!r}")
        paths[key] = root / value if value else None
    command = table.get("command")
    if command is not None and (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) and part for part in command)
    ):
        raise Refusal(
            f"{path}: {where} command must be a non-empty list of strings, e.g. "
            '["python", "-m", "pkg.regression", ...]'
        )
    if command is not None and paths["results"] is None:
        raise Refusal(
            f"{path}: {where} has a command but no results; name the JSON file "
            "the command writes"
        )
    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if not _is_number(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise Refusal(
            f"{path}: {where} timeout must be a number of seconds between 0 and "
            f"{MAX_TIMEOUT:g}, not {timeout!r}"
        )
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
    from .gate import dsp_table, load_toml

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


# ---------------------------------------------------------------------- recording


def next_case_id(existing: set[str]) -> str:
    """``case-NNNN``: one more than the number of cases, skipping used ids."""
    number = len(existing) + 1
    while f"case-{number:04d}" in existing:
        number += 1
    return f"case-{number:04d}"


def record_case(
    cases_path: Path,
    case_input: Any,
    expected: Any,
    capability: str,
    reason: str,
    case_type: str = "MFT",
    case_id: str | None = None,
    today: dt.date | None = None,
) -> tuple[dict[str, Any], int]:
    """Append one case; earlier bytes are kept exactly. Returns (case, line).

    The file is checked first (a broken file is not appended to); the new
    content is written to a temporary file and moved into place, so a reader
    sees either the old file or the old file plus the new line.
    """
    old = b""
    refuse_special_file(cases_path, "cases JSONL file")
    if cases_path.exists():
        old = cases_path.read_bytes()
    cases, problems = read_cases(cases_path) if old else ([], [])
    if problems:
        raise Refusal(
            f"{problems[0].text()} -- fix the cases file before recording a new case"
        )
    existing = {c.id for c in cases}
    if case_id is not None and case_id in existing:
        raise Refusal(f"{cases_path}: id {case_id!r} is already used; choose another")
    case = {
        "id": case_id or next_case_id(existing),
        "type": case_type,
        "input": case_input,
        "expected": expected,
        "capability": capability,
        "reason": reason,
        "added": (today or dt.date.today()).isoformat(),
    }
    line = json.dumps(case, ensure_ascii=False)
    _, problems = parse_cases(line, str(cases_path))
    if problems:
        raise Refusal(problems[0].message)
    separator = b"" if not old or old.endswith(b"\n") else b"\n"
    cases_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cases_path, old + separator + line.encode("utf-8") + b"\n")
    line_number = len((old + separator).decode("utf-8").splitlines()) + 1
    return case, line_number


def example_from_jsonl(path: Path, line: int) -> dict[str, Any]:
    """Line ``line`` (1-based) of a JSONL file such as confidently_wrong.jsonl."""
    refuse_special_file(path, "JSONL file of examples")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise Refusal(f"{path}: no such file; train first to write it")
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text")
    if not 1 <= line <= len(lines):
        raise Refusal(
            f"{path}: has {len(lines)} line(s); --line {line} is out of range"
        )
    try:
        example = loads_strict_json(lines[line - 1])
    except (ValueError, RecursionError) as exc:
        raise Refusal(f"{path}:{line}: not valid JSON ({json_problem(exc)})")
    if (
        not isinstance(example, dict)
        or "input" not in example
        or ("expected" not in example)
    ):
        raise Refusal(
            f"{path}:{line}: needs an object with input and expected "
            "(as train writes in confidently_wrong.jsonl)"
        )
    return example


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
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("pyproject.toml"),
        help="the project's pyproject.toml with [tool.dsp.regression]",
    )
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
        sub.add_argument(
            "--format", choices=("text", "markdown", "json"), default="text"
        )
        sub.set_defaults(func=func)
    record = add("record", "append a case from a misclassified example")
    source = record.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="a JSONL file of examples, e.g. artifacts/confidently_wrong.jsonl",
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


# ------------------------------------------------------------ the pre-push hook


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
        data = json.loads((cache_dir(root) / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("passed_key") == key


def _store_cache(root: Path, key: str) -> None:
    folder = cache_dir(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.name == ".dsp-cache":
            (folder / ".gitignore").write_text("*\n")
        record = {"passed_key": key, "at": dt.datetime.now(dt.timezone.utc).isoformat()}
        write_atomic(folder / CACHE_FILE, json.dumps(record).encode())
    except OSError:
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
    from .findings import _Parser

    parser = _Parser(
        prog="model-regression",
        description="Promotion gate and behavioural regression cases at pre-push.",
    )
    parser.add_argument("filenames", nargs="*", help="ignored (pass_filenames: false)")
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("pyproject.toml"),
        help="the project's pyproject.toml with [tool.dsp]",
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="table format",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="run even when nothing changed"
    )
    return parser


def run_hook(config_path: Path, fmt: str = "text", use_cache: bool = True) -> int:
    """The hook's work; returns the exit code, prints the tables."""
    from . import gate

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
    try:
        return run_hook(args.config, args.format, not args.no_cache)
    except Refusal as exc:
        _tell(f"model-regression: {exc}\n")
    except OSError as exc:  # a path no reader expected (a file where a folder is)
        _tell(f"model-regression: {os_error_text(exc)}\n")
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug is one line, never a traceback
        _tell(f"model-regression: {internal_error_text(exc)}\n")
    return 1


def _tell(line: str) -> None:
    """The hook's refusal on stdout (pre-commit shows it), else on stderr."""
    if write_stdout(line) is not None:
        sys.stderr.write(line)


if __name__ == "__main__":
    raise SystemExit(main())
