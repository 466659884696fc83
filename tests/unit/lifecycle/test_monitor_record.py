"""``dsp regression record --from`` a monitor report: the rows outside the
domain or predicted wrongly become cases, appended in one write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from precommit_hooks import cli
from precommit_hooks.lifecycle.cases import read_cases
from tests.unit.lifecycle.monitor_support import (
    FEATURES,
    sample_rows,
    write_csv,
    write_reference,
)

EXISTING = (
    '{"id": "case-0001", "type": "MFT", "input": {"sepal_length": 5.1, '
    '"sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}, '
    '"expected": "setosa", "capability": "typical", "reason": "seed", '
    '"added": "2026-11-01"}\n'
)


def monitor_report(tmp_path: Path, labelled: bool = True) -> Path:
    """Monitor 40 rows: two out of the domain, one predicted wrongly."""
    rows, labels = sample_rows(40)
    rows[[3, 7], FEATURES.index("sepal_width")] = 9.0
    predictions = list(labels)
    predictions[10] = "virginica" if labels[10] != "virginica" else "setosa"
    extra = {"prediction": predictions}
    if labelled:
        extra["label"] = list(labels)
    batch = write_csv(tmp_path / "batch.csv", rows, extra)
    output = tmp_path / "monitor.json"
    code = cli.main(
        [
            "monitor",
            "--config",
            "/none",
            "--reference",
            str(write_reference(tmp_path)),
            "--batch",
            str(batch),
            "--output",
            str(output),
        ]
    )
    assert code == 1 and output.is_file()
    return output


def record(cases: Path, report: Path, *extra: str) -> int:
    return cli.main(
        [
            "regression",
            "--config",
            "/none",
            "record",
            "--cases",
            str(cases),
            "--from",
            str(report),
            "--capability",
            "production domain",
            "--reason",
            "monitoring",
            *extra,
        ]
    )


def test_monitored_rows_are_appended_as_valid_cases(tmp_path, capsys):
    report = monitor_report(tmp_path)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(EXISTING)
    capsys.readouterr()
    assert record(cases, report) == 0
    assert capsys.readouterr().out == f"recorded 3 case(s) in {cases}\n"
    text = cases.read_text()
    assert text.startswith(EXISTING)  # earlier bytes kept exactly
    parsed, problems = read_cases(cases)
    assert problems == []
    assert [c.id for c in parsed] == [
        "case-0001",
        "case-0002",
        "case-0003",
        "case-0004",
    ]
    monitored = json.loads(report.read_text())["cases"]
    for case, row in zip(parsed[1:], monitored):
        assert case.data["input"] == row["input"]
        assert case.data["expected"] == row["label"]
        assert case.data["type"] == "MFT"
        assert case.capability == "production domain"
        assert row["reasons"][0] in case.data["reason"]
        assert f"line {row['line']}" in case.data["reason"]


def test_recording_twice_adds_nothing(tmp_path, capsys):
    report = monitor_report(tmp_path)
    cases = tmp_path / "cases.jsonl"
    assert record(cases, report) == 0
    before = cases.read_bytes()
    capsys.readouterr()
    assert record(cases, report) == 0
    assert capsys.readouterr().out.endswith("; 3 already recorded\n")
    assert cases.read_bytes() == before


def test_rows_without_labels_need_expected(tmp_path, capsys):
    report = monitor_report(tmp_path, labelled=False)
    cases = tmp_path / "cases.jsonl"
    capsys.readouterr()
    assert record(cases, report) == 0
    out = capsys.readouterr().out
    assert "recorded 0 case(s)" in out and "skipped 2 row(s) without a label" in out
    assert not cases.exists()
    assert record(cases, report, "--expected", "setosa") == 0
    parsed, _ = read_cases(cases)
    assert [c.data["expected"] for c in parsed] == ["setosa", "setosa"]


def test_a_broken_cases_file_is_left_as_it_was(tmp_path, capsys):
    report = monitor_report(tmp_path)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(EXISTING + "{not json\n")
    before = cases.read_bytes()
    capsys.readouterr()
    assert record(cases, report) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fix the cases file before recording" in err
    assert cases.read_bytes() == before


@pytest.mark.parametrize(
    "report, message",
    [
        ({"cases": "x"}, "cases must be a list; write it with dsp monitor"),
        ({"cases": [{"input": 3}]}, "cases[0]: each case needs an input object"),
        (
            {"cases": [{"input": {"sepal_length": "a"}, "label": "setosa"}]},
            "input.sepal_length must be a finite number",
        ),
    ],
)
def test_a_bad_monitor_report_is_one_line(tmp_path, capsys, report, message):
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps({"format": "dsp-monitor-report/1", **report}))
    cases = tmp_path / "cases.jsonl"
    assert record(cases, path) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not cases.exists()


def test_a_jsonl_of_examples_is_still_recorded_one_line_at_a_time(tmp_path, capsys):
    examples = tmp_path / "confidently_wrong.jsonl"
    examples.write_text(
        json.dumps({"input": dict.fromkeys(FEATURES, 1.0), "expected": "setosa"}) + "\n"
    )
    cases = tmp_path / "cases.jsonl"
    assert record(cases, examples) == 0
    assert "recorded case-0001" in capsys.readouterr().out
