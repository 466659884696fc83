"""Findings, the one reporter, and the shared shape of every hook's ``main``.

Checks return :class:`Finding` objects and never print; :func:`report` turns
them into ``path:line:col: level: message [rule]`` lines (or JSON), and
:func:`exit_code` maps them to 0 (clean), 1 (findings) or 2 (usage).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, NoReturn, Sequence

from precommit_hooks.core.text import positive_int

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


class UsageParser(argparse.ArgumentParser):
    """argparse that exits 2 with one line instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_format_option(
    parser: argparse.ArgumentParser, choices: Sequence[str], help: str | None = None
) -> None:
    """``--format``: how the result is printed; the first choice is the default."""
    parser.add_argument("--format", choices=choices, default=choices[0], help=help)


def hook_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every file hook shares: filenames, --format, --strict."""
    parser = UsageParser(prog=prog, description=description)
    parser.add_argument("filenames", nargs="*", help="files to check")
    add_format_option(parser, ("text", "json"), "output format")
    parser.add_argument(
        "--strict", action="store_true", help="warnings also fail the hook"
    )
    parser.add_argument(
        "--max-bytes",
        type=positive_int,
        default=None,
        help="largest YAML file read, in bytes (default 1 MiB)",
    )
    return parser


def internal_error_finding(
    path: str, exc: BaseException, pos: tuple[int, int] | None = None
) -> Finding:
    """A bug in a check, reported on the file it hit instead of a traceback."""
    return finding(
        path,
        pos,
        "internal-error",
        f"the check failed unexpectedly ({type(exc).__name__}: {exc}); "
        "please report this file",
    )


def check_guarded(
    name: str, check_file: Callable[[str], list[Finding]]
) -> list[Finding]:
    """``check_file(name)``, with a crash turned into a finding on ``name``."""
    try:
        return check_file(name)
    except RecursionError:
        return [finding(name, None, "yaml-depth", "nesting too deep to check")]
    except Exception as exc:  # noqa: BLE001 - a hook never shows a traceback
        return [internal_error_finding(name, exc)]


def run_checks(
    filenames: Sequence[str], check_file: Callable[[str], list[Finding]]
) -> list[Finding]:
    """Check every file; one file's failure never stops the others."""
    found: list[Finding] = []
    for name in filenames:
        found.extend(check_guarded(name, check_file))
    return found


def write_stdout(text: str) -> str | None:
    """Write ``text`` on stdout now: None, or why it could not be written.

    A reader that went away (``| head``) is no error; a closed stdout or a full
    disk is told in one line by the caller instead of a traceback.
    """
    if sys.stdout is None:
        return "standard output is closed; run it with stdout open"
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        try:  # stdout to /dev/null, or Python's flush at exit fails once more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass  # not a real file descriptor: nothing is flushed at exit
        if isinstance(exc, BrokenPipeError):
            return None
        return f"cannot write to standard output ({exc.strerror or exc})"
    return None


def emit(findings: list[Finding], fmt: str, strict: bool) -> int:
    """Print the report on stdout and return the exit code."""
    out = report(findings, fmt)
    problem = write_stdout(out) if out else None
    if problem:  # the report is lost: say so, and never pass
        sys.stderr.write(f"{os.path.basename(sys.argv[0])}: {problem}\n")
        return EXIT_FINDINGS
    return exit_code(findings, strict)


class Refusal(Exception):
    """A ``dsp`` command refuses its input: one line on stderr, exit 1."""


def special_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why an existing ``path`` cannot be read as a file, else None.

    Opening a FIFO blocks forever and a folder raises, so every reader of a
    user's JSON, TOML or JSONL asks this first; a missing path gives None and
    is left to the caller, whose message says how to create the file.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return "part of the path is a file, not a folder"
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe or device?)"
    return None


# bool before int: True is an int to isinstance.
_KINDS = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "mapping"),
    (list, "list"),
)


def value_kind(value: object) -> str:
    """The kind of a parsed value: null, boolean, integer, number, string,
    list, mapping, or else the Python type's name."""
    if value is None:
        return "null"
    return next(
        (kind for cls, kind in _KINDS if isinstance(value, cls)), type(value).__name__
    )


_JSON_KINDS = {"integer": "number", "list": "array", "mapping": "object"}


def json_type_name(value: object) -> str:
    """JSON's (and TOML's) name for a parsed value's type, for messages."""
    kind = value_kind(value)
    return _JSON_KINDS.get(kind, kind)


def os_error_text(exc: OSError) -> str:
    """One line for a file error no reader expected: the path and the cause."""
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    where = " -> ".join(names) or "a file"
    cause = exc.strerror or type(exc).__name__
    return f"{where}: {cause.lower()}; check the path (and its folders) and retry"


def json_problem(exc: Exception) -> str:
    """Why JSON text was refused, in words: the decoder's, or nesting too deep."""
    if isinstance(exc, RecursionError):
        return "nested too deep to read; flatten it"
    return str(exc)


def internal_error_text(exc: Exception) -> str:
    """One line for a bug: what broke, and that it is ours to fix."""
    detail = " ".join(str(exc).split())[:300]
    return (
        f"internal error ({type(exc).__name__}: {detail}); please report it with "
        "the command you ran"
    )


def refuse_special_file(path: str | os.PathLike[str], what: str = "file") -> None:
    """Raise a one-line :class:`Refusal` when ``path`` is a folder, pipe or device."""
    problem = special_file_problem(path)
    if problem:
        raise Refusal(f"{path}: {problem}; name the {what}")


def print_text(text: str) -> None:
    """Print a ``dsp`` command's text result on stdout, or refuse in one line."""
    problem = write_stdout(text)
    if problem:
        raise Refusal(problem)


def print_json(value: object) -> None:
    """Print a ``dsp`` command's result as one JSON document on stdout."""
    print_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def run_guarded(
    prog: str,
    action: Callable[[], int | None],
    tell: Callable[[str], object] | None = None,
) -> int:
    """Run a command: a refusal, a file error or a bug is one line and exit 1.

    ``DSP_DEBUG=1`` re-raises an unexpected error so a developer sees its
    traceback; users never do.
    """
    say = tell or sys.stderr.write
    try:
        return int(action() or 0)
    except Refusal as exc:
        say(f"{prog}: {exc}\n")
    except OSError as exc:  # a path no reader expected (a file where a folder is)
        say(f"{prog}: {os_error_text(exc)}\n")
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug is one line, never a traceback
        if os.environ.get("DSP_DEBUG"):
            raise
        say(f"{prog}: {internal_error_text(exc)}\n")
    return 1
