"""Findings, the one reporter, and the shared shape of every hook's ``main``.

Checks return :class:`Finding` objects and never print; :func:`report` turns
them into ``path:line:col: level: message [rule]`` lines (or JSON), and
:func:`exit_code` maps them to 0 (clean), 1 (findings) or 2 (usage).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

ERROR = "error"
WARNING = "warning"

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file, at a 1-based line and column (0 = unknown)."""

    path: str
    line: int
    col: int
    level: str
    rule: str
    message: str

    def text(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.col}: {self.level}: "
            f"{self.message} [{self.rule}]"
        )


def finding(
    path: str,
    pos: tuple[int, int] | None,
    rule: str,
    message: str,
    level: str = ERROR,
) -> Finding:
    """Build a finding; ``pos`` is ``(line, col)`` or None when unknown."""
    line, col = pos if pos else (0, 0)
    return Finding(str(path), line, col, level, rule, message)


def report(findings: Iterable[Finding], fmt: str = "text") -> str:
    """Render findings sorted by path, line and column, as text or JSON."""
    ordered = sorted(findings)
    if fmt == "json":
        return json.dumps([asdict(f) for f in ordered], indent=2) + "\n"
    return "".join(f.text() + "\n" for f in ordered)


def exit_code(findings: Iterable[Finding], strict: bool = False) -> int:
    """1 when there is an error (or, with ``strict``, a warning), else 0."""
    levels = {f.level for f in findings}
    if ERROR in levels or (strict and WARNING in levels):
        return EXIT_FINDINGS
    return EXIT_CLEAN


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line instead of the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def hook_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every file hook shares: filenames, --format, --strict."""
    parser = _Parser(prog=prog, description=description)
    parser.add_argument("filenames", nargs="*", help="files to check")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format"
    )
    parser.add_argument(
        "--strict", action="store_true", help="warnings also fail the hook"
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=None,
        help="largest YAML file read, in bytes (default 1 MiB)",
    )
    return parser


def run_checks(
    filenames: Sequence[str],
    check_file: Callable[[str], list[Finding]],
    rule_on_crash: str = "internal-error",
) -> list[Finding]:
    """Check every file; one file's failure never stops the others.

    A bug in a check becomes a finding on that file rather than a traceback.
    """
    found: list[Finding] = []
    for name in filenames:
        try:
            found.extend(check_file(name))
        except RecursionError:
            found.append(
                finding(name, None, "yaml-depth", "nesting too deep to check")
            )
        except Exception as exc:  # noqa: BLE001 - a hook never shows a traceback
            found.append(
                finding(
                    name,
                    None,
                    rule_on_crash,
                    f"the check failed unexpectedly ({type(exc).__name__}: {exc}); "
                    "please report this file",
                )
            )
    return found


def emit(findings: list[Finding], fmt: str, strict: bool) -> int:
    """Print the report on stdout and return the exit code."""
    out = report(findings, fmt)
    if out:
        sys.stdout.write(out)
    return exit_code(findings, strict)


class Refusal(Exception):
    """A ``dsp`` command refuses its input: one line on stderr, exit 1."""


def print_json(value: object) -> None:
    """Print a ``dsp`` command's result as one JSON document on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True) + "\n")
