"""A batch of production inputs: CSV with a header, or JSON lines of objects.

Every feature the reference profile names must be a column; its values must
be finite numbers.  Optional columns: the model's prediction and the true
label, when labels come back.  Other columns are ignored.  A file over the
size cap, an empty batch, a missing column or a bad value is refused in one
line naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from precommit_hooks.core.files import json_object, loads_strict_json
from precommit_hooks.core.findings import Refusal, refuse_special_file
from precommit_hooks.core.text import did_you_mean, is_number

DEFAULT_MAX_BYTES = 256 << 20
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
NOT_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class Batch:
    """Feature columns (numpy arrays) and the optional label columns."""

    path: Path
    lines: Any  # numpy int array: the file line of each row
    columns: dict[str, Any]  # feature -> numpy float array
    predictions: Any  # numpy str array or None
    labels: Any

    @property
    def rows(self) -> int:
        return len(self.lines)


def _missing_columns(path: Path, header: Sequence[str], wanted: Sequence[str]) -> None:
    missing = [name for name in wanted if name not in header]
    if missing:
        hint = did_you_mean(missing[0], header)
        raise Refusal(
            f"{path}: no column {', '.join(missing)}{hint}; the batch needs the "
            f"training features {', '.join(wanted)}"
        )


def _bad_value(path: Path, line: int, column: str, value: object) -> Refusal:
    return Refusal(
        f"{path}:{line}: {column} is {value!r}, not a finite number; "
        "fix or drop the row"
    )


def _csv_floats(
    path: Path, rows: list[list[str]], lines: list[int], index: int, name: str
) -> Any:
    import numpy as np

    cells = [row[index] for row in rows]
    try:
        values = np.array(cells, dtype=float)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        for line, cell in zip(lines, cells):
            try:
                if math.isfinite(float(cell)):
                    continue
            except ValueError:
                pass
            raise _bad_value(path, line, name, cell)
    return values


def _text_column(lines: list[str], index: int, width: int) -> list[str]:
    """Field ``index`` of each line of a quote-free CSV of ``width`` fields.

    ``map`` over str methods keeps the loop in C: 100,000 lines in ~10 ms.
    """
    many = itertools.repeat(",", len(lines))
    if index == width - 1:  # the usual place of a prediction: one rpartition
        return list(map(operator.itemgetter(2), map(str.rpartition, lines, many)))
    parts = map(str.split, lines, many, itertools.repeat(index + 1, len(lines)))
    return list(map(operator.itemgetter(index), parts))


def _text_columns(
    text: str, eol: str, position: dict[str, int], names: Sequence[str], rows: int
) -> list[Any] | None:
    """The optional text columns (None where absent); None for a ragged body."""
    import numpy as np

    if not any(name in position for name in names):
        return [None for _ in names]
    lines = text.split(eol)
    del lines[0]  # the header
    if lines and not lines[-1]:
        lines.pop()
    width = len(position)
    commas = set(map(str.count, lines, itertools.repeat(",", len(lines))))
    if len(lines) != rows or commas != {width - 1}:
        return None
    return [
        (
            np.array(_text_column(lines, position[name], width))
            if name in position
            else None
        )
        for name in names
    ]


def fast_csv(
    path: Path, text: str, features: Sequence[str], optional: Sequence[str]
) -> Batch | None:
    """numpy's C reader for a plain CSV (no quotes, no blank lines), or None.

    One ``loadtxt`` parses the feature columns (the float parse is the cost);
    the prediction and label columns are split off as text.  None sends the
    batch to :func:`read_csv`, which finds the bad line.
    """
    import numpy as np

    # Lines end "\n" or, all of them, "\r\n" (see read_batch); loadtxt takes
    # both.  The body is never copied out of the text.
    newline = text.find("\n")
    first = text[:newline] if newline >= 0 else text
    start = len(first) + 1
    eol = "\r\n" if first.endswith("\r") else "\n"
    if eol == "\n" and "\r" in text:
        return None  # mixed line ends
    first = first.removesuffix("\r")
    header = [cell.strip() for cell in first.split(",")]
    # A blank line (which loadtxt skips) shows in the row count below.
    if '"' in text or not NOT_SPACE.search(text, start):
        return None
    _missing_columns(path, header, features)
    breaks = text.count("\n", start)
    rows = breaks + (not text.endswith("\n"))
    if eol == "\r\n" and text.count("\r\n", start) != breaks:
        return None  # mixed line ends
    position = {name: i for i, name in enumerate(header)}
    try:
        # From the file, not the text: loadtxt reads a path in large chunks
        # but a file object line by line.  The row count below catches a file
        # that changed since it was read.
        values = np.loadtxt(
            path,
            delimiter=",",
            ndmin=2,
            comments=None,
            skiprows=1,
            encoding="utf-8-sig",
            usecols=[position[name] for name in features],
        )
    except (ValueError, OSError):  # the line-by-line reader finds the bad line
        return None
    if values.shape[0] != rows or not np.isfinite(values).all():
        return None
    extra = _text_columns(text, eol, position, optional, rows)
    if extra is None:
        return None
    by_feature = values.T.copy()  # one copy: each feature a contiguous row
    columns = {name: by_feature[i] for i, name in enumerate(features)}
    lines = np.arange(2, values.shape[0] + 2)
    return Batch(path, lines, columns, extra[0], extra[1])


def read_csv(
    path: Path, text: str, features: Sequence[str], optional: Sequence[str]
) -> Batch:
    """A CSV batch: the header names the columns."""
    fast = fast_csv(path, text, features, optional)
    if fast is not None:
        return fast
    import numpy as np

    records = list(csv.reader(io.StringIO(text)))
    header = [cell.strip() for cell in records[0]] if records else []
    _missing_columns(path, header, features)
    rows, lines = [], []
    width = len(header)
    for number, row in enumerate(records[1:], start=2):
        if not row:
            continue
        if len(row) != width:
            raise Refusal(
                f"{path}:{number}: {len(row)} fields, the header has {width}; "
                "fix the row (a quoted comma?)"
            )
        rows.append(row)
        lines.append(number)
    if not rows:
        raise Refusal(f"{path}: no rows after the header; the batch is empty")
    position = {name: i for i, name in enumerate(header)}
    columns = {
        name: _csv_floats(path, rows, lines, position[name], name) for name in features
    }
    extra = [
        np.array([row[position[name]] for row in rows]) if name in position else None
        for name in optional
    ]
    return Batch(path, np.array(lines), columns, extra[0], extra[1])


def _json_row(path: Path, number: int, line: str) -> dict[str, Any]:
    return json_object(
        line, f"{path}:{number}", shape="each line must be a JSON object of columns"
    )


def fast_jsonl(
    path: Path, text: str, features: Sequence[str], optional: Sequence[str]
) -> Batch | None:
    """One strict parse of all lines and typed column checks, or None.

    None sends the batch to :func:`read_jsonl`, which finds the bad line.
    """
    import numpy as np

    lines = text.splitlines()
    if not all(line.strip() for line in lines):
        return None
    try:
        rows = loads_strict_json("[" + ",".join(lines) + "]")
        if not all(type(row) is dict for row in rows):
            return None
        cells = {name: [row[name] for row in rows] for name in features}
    except (ValueError, RecursionError, KeyError):
        return None
    if not all(set(map(type, column)) <= {int, float} for column in cells.values()):
        return None
    columns = {name: np.array(column, dtype=float) for name, column in cells.items()}
    if not all(np.isfinite(column).all() for column in columns.values()):
        return None
    extra = []
    for name in optional:
        column = [row.get(name) for row in rows]
        extra.append(None if None in column else np.array(column).astype(str))
    return Batch(path, np.arange(1, len(rows) + 1), columns, extra[0], extra[1])


def read_jsonl(
    path: Path, text: str, features: Sequence[str], optional: Sequence[str]
) -> Batch:
    """A JSON-lines batch: one object a line, keys are the columns."""
    import numpy as np

    fast = fast_jsonl(path, text, features, optional) if text.strip() else None
    if fast is not None:
        return fast
    values: dict[str, list[float]] = {name: [] for name in features}
    extra: list[list[str] | None] = [[] for _ in optional]
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        row = _json_row(path, number, line)
        if not lines:
            _missing_columns(path, list(row), features)
        for name in features:
            value = row.get(name)
            if not is_number(value):
                if name not in row:
                    raise Refusal(f"{path}:{number}: no {name}; every row needs it")
                raise _bad_value(path, number, name, value)
            values[name].append(value)
        for i, name in enumerate(optional):
            extra[i] = _optional(extra[i], row.get(name))
        lines.append(number)
    if not lines:
        raise Refusal(f"{path}: no rows; the batch is empty")
    columns = {name: np.array(v, dtype=float) for name, v in values.items()}
    arrays = [None if column is None else np.array(column) for column in extra]
    return Batch(path, np.array(lines), columns, arrays[0], arrays[1])


def _optional(seen: list[str] | None, value: object) -> list[str] | None:
    """Collect a label column; one row without it drops the column."""
    if seen is None or value is None:
        return None
    seen.append(value if isinstance(value, str) else str(value))
    return seen


def read_batch(
    path: Path,
    features: Sequence[str],
    prediction: str = "prediction",
    label: str = "label",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Batch:
    """Read ``path`` (CSV, or JSON lines by suffix) under ``max_bytes``."""
    refuse_special_file(path, "batch file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise Refusal(f"--batch {path}: no such file; name the production batch")
    if size > max_bytes:
        raise Refusal(
            f"{path}: {size} bytes is over the {max_bytes}-byte cap; split the "
            "batch or raise --max-bytes"
        )
    try:
        # Bytes, then one decode: read_text's newline translation costs 7x that.
        text = path.read_bytes().decode("utf-8-sig")  # a BOM is not a column name
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text; save the batch as UTF-8")
    # The readers take "\n", "\r\n" or a mix; an old Mac's "\r" becomes "\n".
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    if not NOT_SPACE.search(text):
        raise Refusal(f"{path}: the batch is empty; it needs a header and rows")
    reader = read_jsonl if path.suffix.lower() in JSON_SUFFIXES else read_csv
    return reader(path, text, features, (prediction, label))
