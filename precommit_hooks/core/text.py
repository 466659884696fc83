"""Small text helpers every part shares: one of each, so messages agree.

* :func:`closest` / :func:`did_you_mean`: the near-miss suggestion of a typo;
* :func:`clip`: a long line cut for a message;
* :func:`positive_int`: the argparse type of every byte or count limit;
* :func:`is_number`: a real int or float (not bool, nan or inf);
* :func:`text_table`: a plain aligned table for terminal output;
* :data:`DNS_1123_LABEL` / :func:`is_dns_label`: Kubernetes names.
"""

from __future__ import annotations

import argparse
import difflib
import math
import re
from pathlib import Path
from typing import Iterable, Sequence, TypeGuard

TYPO_CUTOFF = 0.6

# RFC 1123 label, as Kubernetes validates names and namespaces.
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1123_MAX = 63


def closest(
    word: object, choices: Iterable[object], cutoff: float = TYPO_CUTOFF
) -> str | None:
    """The choice closest to ``word`` (difflib ratio >= ``cutoff``), or None."""
    names = [str(c) for c in choices]
    match = difflib.get_close_matches(str(word), names, n=1, cutoff=cutoff)
    return match[0] if match else None


def did_you_mean(
    word: object,
    choices: Iterable[object],
    cutoff: float = TYPO_CUTOFF,
    form: str = " (did you mean {!r}?)",
) -> str:
    """``" (did you mean 'x'?)"`` (or ``form`` filled) for the closest choice,
    or ``""``."""
    guess = closest(word, choices, cutoff)
    return form.format(guess) if guess else ""


def clip(line: str, limit: int) -> str:
    """``line`` cut to ``limit`` characters, with "..." when it was longer."""
    return line if len(line) <= limit else line[:limit] + "..."


def positive_int(text: str) -> int:
    """argparse type: a whole number above zero (limits, sizes, counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def file_path(text: str) -> Path:
    """argparse type: a path that names something (``Path("")`` would be ".")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; name a file")
    return Path(text)


def is_number(value: object) -> TypeGuard[int | float]:
    """True for a finite int or float; booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def is_dns_label(name: str) -> bool:
    """True when ``name`` is a valid Kubernetes (RFC 1123) label."""
    return len(name) <= DNS_1123_MAX and bool(DNS_1123_LABEL.match(name))


def text_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows under a header, columns padded to their widest cell."""
    table = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
    return "\n".join(lines) + "\n"
