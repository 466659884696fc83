"""Reading a batch: numpy's fast path and the line-by-line reader agree.

The fast path (one ``loadtxt`` for the features, the text columns split off)
takes plain CSV; anything else (quotes, blank lines, ragged rows) goes to the
csv-module reader, which names the bad line.  The same rows must give the
same columns whichever path read them.
"""

from __future__ import annotations

import numpy as np
import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.lifecycle.monitor import batch as batch_module
from precommit_hooks.lifecycle.monitor.batch import read_batch

FEATURES = ["a", "b"]
ROWS = [("1.5", "2", "x", "x"), ("-3e2", "0.25", "y", "z"), ("7", "8", "z", "z")]


def write(tmp_path, text: str, name: str = "b.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def plain(order=("a", "b", "prediction", "label"), end="\n") -> str:
    index = {"a": 0, "b": 1, "prediction": 2, "label": 3}
    lines = [",".join(order)] + [
        ",".join(row[index[name]] for name in order) for row in ROWS
    ]
    return end.join(lines) + end


def same(batch) -> None:
    assert batch.columns["a"].tolist() == [1.5, -300.0, 7.0]
    assert batch.columns["b"].tolist() == [2.0, 0.25, 8.0]
    assert batch.predictions.tolist() == ["x", "y", "z"]
    assert batch.labels.tolist() == ["x", "z", "z"]


@pytest.mark.parametrize(
    "text",
    [
        plain(),
        plain(end="\r\n"),  # Windows line ends
        plain(end="\r"),  # old Mac line ends
        plain().replace("\n", "\r\n", 2),  # mixed
        plain(order=("prediction", "a", "label", "b")),  # text columns first
        plain(order=("label", "b", "prediction", "a")),
        plain().replace("x,x", '"x","x"'),  # quoted: the csv-module reader
        plain().replace("\n-3e2", "\n\n-3e2"),  # a blank line: the same
    ],
    ids=[
        "plain",
        "crlf",
        "cr",
        "mixed",
        "text-first",
        "shuffled",
        "quoted",
        "blank-line",
    ],
)
def test_every_layout_reads_the_same_columns(tmp_path, text):
    same(read_batch(write(tmp_path, text), FEATURES))


def test_the_fast_path_takes_plain_csv_and_leaves_the_rest(tmp_path):
    features, optional = FEATURES, ("prediction", "label")
    for text, fast in ((plain(), True), (plain().replace("\n7", "\n\n7"), False)):
        found = batch_module.fast_csv(write(tmp_path, text), text, features, optional)
        assert (found is not None) is fast


def test_a_blank_line_keeps_the_line_numbers(tmp_path):
    text = "a,b,prediction\n1,2,x\n\n3,oops,y\n"
    with pytest.raises(Refusal, match=r"b\.csv:4: b is 'oops', not a finite number"):
        read_batch(write(tmp_path, text), FEATURES)


@pytest.mark.parametrize(
    "text, line, fields",
    [
        ("a,b,prediction\n1,2,x\n3,4\n", 3, 2),  # the prediction missing
        ("a,b,prediction\n1,2,x,extra\n3,4\n", 2, 4),  # commas even out overall
    ],
)
def test_a_ragged_row_is_named_not_misread(tmp_path, text, line, fields):
    with pytest.raises(Refusal, match=rf"b\.csv:{line}: {fields} fields, the header"):
        read_batch(write(tmp_path, text), FEATURES)


def test_a_large_plain_batch_keeps_every_value(tmp_path):
    rng = np.random.default_rng(5)
    values = rng.normal(size=(2000, 2)).round(9)
    labels = rng.choice(["setosa", "versicolor"], size=2000)
    lines = [f"{a!r},{b!r},{p}" for (a, b), p in zip(values.tolist(), labels)]
    path = write(tmp_path, "a,b,prediction\n" + "\n".join(lines) + "\n")
    batch = read_batch(path, FEATURES)
    assert np.array_equal(batch.columns["a"], values[:, 0])
    assert np.array_equal(batch.columns["b"], values[:, 1])
    assert batch.predictions.tolist() == labels.tolist() and batch.labels is None
    assert batch.lines.tolist() == list(range(2, 2002))


def test_json_lines_with_windows_line_ends(tmp_path):
    lines = [
        '{"a": 1.5, "b": 2, "prediction": "x", "label": "x"}',
        '{"a": -300, "b": 0.25, "prediction": "y", "label": "z"}',
        '{"a": 7, "b": 8, "prediction": "z", "label": "z"}',
    ]
    same(read_batch(write(tmp_path, "\r\n".join(lines) + "\r\n", "b.jsonl"), FEATURES))
