"""Behavioural regression cases: validation, report, record, and the hook itself.

The hook tests use a small project written here whose regression runner is a
real subprocess honouring the runner contract (CONTRACT.md); the generated
project's own runner is exercised in test_model_prepush.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from precommit_hooks import cli

from precommit_hooks.lifecycle import regression
from precommit_hooks.hooks import model_regression
from precommit_hooks.lifecycle.cases import check_append_only, parse_cases, read_cases
from precommit_hooks.lifecycle.cases_record import example_from_jsonl, record_case
from precommit_hooks.lifecycle.cases_report import (
    build_report,
    read_results,
    render_report_markdown,
    render_report_text,
    report_json,
)
from precommit_hooks.core.findings import Refusal

FEATURES = {
    "sepal_length": 5.1,
    "sepal_width": 3.5,
    "petal_length": 1.4,
    "petal_width": 0.2,
}
BIG = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}


def case(case_id: str, kind: str = "MFT", **overrides) -> dict:
    data = {
        "MFT": {"input": FEATURES, "expected": "setosa"},
        "INV": {
            "input": {"base": FEATURES, "perturbed": {**FEATURES, "sepal_width": 3.6}},
            "expected": "same",
        },
        "DIR": {
            "input": {"base": FEATURES, "changed": BIG},
            "expected": {"label": "virginica", "direction": "up"},
        },
    }[kind]
    return {
        "id": case_id,
        "type": kind,
        **data,
        "capability": "petal size",
        "reason": "seen in review",
        "added": "2026-11-27",
        **overrides,
    }


def jsonl(*cases: dict) -> str:
    return "".join(json.dumps(c) + "\n" for c in cases)


# ---------------------------------------------------------------------- validation


def test_valid_file_of_every_type():
    text = jsonl(case("a"), case("b", "INV"), case("c", "DIR")) + "\n"
    cases, found = parse_cases(text, "cases.jsonl")
    assert found == []
    assert [(c.id, c.type, c.line) for c in cases] == [
        ("a", "MFT", 1),
        ("b", "INV", 2),
        ("c", "DIR", 3),
    ]


BAD_LINES = [
    ("{not json", "case-json", "2:2: error: not a JSON object: Expecting property"),
    ("[1, 2]", "case-json", "a case is a JSON object, not array"),
    ("null", "case-json", "a case is a JSON object, not null"),
    ("[" * 100_000 + "]" * 100_000, "case-json", "nested too deep to read"),
    (
        json.dumps({**case("x"), "capabilty": "typo"}),
        "case-unknown-key",
        "unknown key 'capabilty'; did you mean \"capability\"?",
    ),
    (
        json.dumps(
            {k: v for k, v in case("x").items() if k not in ("reason", "added")}
        ),
        "case-missing-key",
        "case 'x': missing reason, added",
    ),
    (json.dumps(case("x", type="XYZ")), "case-type", "type must be one of MFT, INV"),
    (
        json.dumps(case("x", added="27/11/2026")),
        "case-date",
        "added must be an ISO date like 2026-11-27, not '27/11/2026'",
    ),
    (json.dumps(case("x", id="")), "case-schema", "id must be a non-empty string"),
    (
        json.dumps(case("x", "INV", expected="setosa")),
        "case-expected",
        'INV expected must be "same"',
    ),
    (
        json.dumps(case("x", "DIR", expected={"label": "virginica", "direction": "+"})),
        "case-expected",
        'DIR expected must be {"label": class name, "direction": "up" or "down"}',
    ),
    (
        json.dumps(case("x", "INV", input={"base": FEATURES})),
        "case-input",
        'INV input must be {"base": features, "perturbed": features}',
    ),
    (
        json.dumps(case("x", input={**FEATURES, "petal_width": "wide"})),
        "case-input",
        "input.petal_width must be a finite number, not 'wide'",
    ),
    (
        json.dumps(case("x")).replace("0.2", "NaN"),
        "case-json",
        "NaN is not a number JSON allows",
    ),
    (
        json.dumps(case("x", input={**FEATURES, "petal_width": True})),
        "case-input",
        "input.petal_width must be a finite number, not True",
    ),
]


@pytest.mark.parametrize("line, rule, message", BAD_LINES)
def test_each_bad_line_is_one_finding_with_its_number(line, rule, message):
    text = jsonl(case("good-1")) + line + "\n" + jsonl(case("good-2"))
    cases, found = parse_cases(text, "cases.jsonl")
    assert [c.id for c in cases] == ["good-1", "good-2"]
    assert len(found) == 1
    assert found[0].line == 2 and found[0].rule == rule
    assert message in found[0].text()
    assert found[0].text().startswith("cases.jsonl:2:")


def test_duplicate_ids_name_the_first_line():
    text = jsonl(case("a"), case("b"), case("a", "INV"))
    _, found = parse_cases(text, "c.jsonl")
    assert [f.text() for f in found] == [
        "c.jsonl:3:1: error: case 'a': id 'a' is already used on line 1; "
        "give this case a new id [case-duplicate-id]"
    ]


def test_features_must_match_the_first_case():
    odd = {k: v for k, v in FEATURES.items() if k != "petal_width"}
    text = jsonl(case("a"), case("b", input={**odd, "colour": 1.0}))
    _, found = parse_cases(text, "c.jsonl")
    assert len(found) == 1
    assert "features differ from line 1's: missing petal_width; unexpected colour" in (
        found[0].message
    )


def test_unreadable_files(tmp_path):
    missing = tmp_path / "none.jsonl"
    assert "no cases file" in read_cases(missing)[1][0].message
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"id": "caf\xe9"}\n')
    assert "not UTF-8 (byte 11)" in read_cases(latin)[1][0].message
    bom = tmp_path / "bom.jsonl"
    bom.write_text("\ufeff" + jsonl(case("a")), encoding="utf-8")
    assert "starts with a BOM" in read_cases(bom)[1][0].message


def test_a_line_with_thousands_of_keys_gives_a_readable_finding():
    line = json.dumps({f"k{i}": i for i in range(5000)})
    _, found = parse_cases(line + "\n", "c.jsonl")
    assert len(found) == 1
    message = found[0].message
    assert message.startswith("unknown key 'k0'; unknown key 'k1';")
    assert "and 4995 more unknown keys; a case has only id, type, input" in message
    assert len(message) < 600


def test_deeply_nested_results_and_examples_are_one_line(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(Refusal) as exc:
        read_results(deep)
    assert str(exc.value) == (
        f"{deep}: not valid results JSON (nested too deep to read; flatten it)"
    )
    with pytest.raises(Refusal, match=r"deep.json:1: not valid JSON \(nested too"):
        example_from_jsonl(deep, 1)


def test_pipes_folders_and_paths_under_files_are_refused_before_reading(
    tmp_path, fifo, wrong, capsys
):
    (tmp_path / "a-file").write_text("x")
    under_a_file = tmp_path / "a-file" / "cases.jsonl"
    assert read_cases(fifo)[1][0].text() == (
        f"{fifo}:0:0: error: is not a regular file (a pipe or device?) [case-file]"
    )
    for path in (fifo, tmp_path, under_a_file):
        with pytest.raises(Refusal, match="; name the results JSON file$"):
            read_results(path)
        with pytest.raises(Refusal, match="; name the JSONL file of examples$"):
            example_from_jsonl(path, 1)
        with pytest.raises(Refusal, match="; name the cases JSONL file$"):
            record_case(path, FEATURES, "setosa", "c", "r")
    assert (tmp_path / "a-file").read_text() == "x"
    # Through dsp: these were tracebacks (a folder, a path under a file).
    cases = tmp_path / "cases.jsonl"
    cases.write_text(jsonl(case("a")))
    report = ["regression", "report", "--cases", str(cases), "--results"]
    record = ["regression", "record", "--capability", "c", "--reason", "r"]
    for argv, named in (
        ([*report, str(tmp_path)], tmp_path),
        ([*record, "--cases", str(under_a_file), "--from", str(wrong)], under_a_file),
        ([*record, "--cases", str(cases), "--from", str(tmp_path)], tmp_path),
    ):
        assert cli.main(argv) == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith(f"dsp regression: {named}: ")
    assert cases.read_text() == jsonl(case("a"))


def test_append_only_check():
    old = jsonl(case("a"), case("b"))
    assert check_append_only(old, old + jsonl(case("c")), "c.jsonl") == []
    changed = jsonl(case("a"), case("b", reason="edited"), case("c"))
    found = check_append_only(old, changed, "c.jsonl")
    assert [(f.line, f.rule) for f in found] == [(2, "case-append-only")]
    assert check_append_only(old, jsonl(case("a")), "c.jsonl")[0].line == 2


def test_dsp_regression_validate(tmp_path, capsys):
    path = tmp_path / "cases.jsonl"
    path.write_text(jsonl(case("a")) + "oops\n")
    assert cli.main(["regression", "validate", "--cases", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}:2:1: error: not a JSON object")
    path.write_text(jsonl(case("a")))
    assert cli.main(["regression", "validate", "--cases", str(path)]) == 0
    assert "1 case(s), all valid" in capsys.readouterr().out


# -------------------------------------------------------------------------- report


def _results(*items) -> dict:
    return {
        i: {"id": i, "passed": p, "predicted": pred, "detail": d}
        for i, p, pred, d in items
    }


def test_report_groups_by_capability_with_rates_and_examples():
    cases, _ = parse_cases(
        jsonl(
            case("a"),
            case("b"),
            case(
                "c",
                capability="robustness",
                reason="noise",
                type="INV",
                input=case("c", "INV")["input"],
                expected="same",
            ),
            case("d"),
        ),
        "c.jsonl",
    )
    results = _results(
        ("a", True, "setosa", ""),
        ("b", False, "versicolor", "p=0.8"),
        ("c", False, ["setosa", "versicolor"], "prediction changed"),
        ("zzz", True, None, ""),
    )
    rep = build_report(cases, results)
    assert not rep.passed and len(rep.failed) == 3
    text = render_report_text(rep)
    lines = text.splitlines()
    assert lines[1].split() == ["Capability", "Type", "Cases", "Fails", "(rate)"]
    assert lines[2].split() == ["petal", "size", "MFT", "3", "2", "(66.7%)"]
    assert lines[3].split() == ["robustness", "INV", "1", "1", "(100.0%)"]
    assert '  - b: expected setosa, got "versicolor" (p=0.8)' in lines
    assert "  - d: expected setosa (no result from the runner)" in lines
    assert "note: results for ids not in the cases file (ignored): zzz" in lines
    assert lines[-1] == "REFUSED: 3 of 4 case(s) fail (75.0%)"
    md = render_report_markdown(rep)
    assert "| petal size | MFT | 3 | 2 (66.7%) | b: expected setosa" in md
    data = report_json(rep)
    assert data["fails"] == 3
    assert data["groups"][1]["examples"][0]["reason"] == "noise"


def test_dsp_regression_report_formats(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(jsonl(case("a"), case("b", "DIR")))
    results = tmp_path / "results.json"
    results.write_text(
        json.dumps(
            {"results": [{"id": "a", "passed": True}, {"id": "b", "passed": True}]}
        )
    )
    base = ["regression", "report", "--cases", str(cases), "--results", str(results)]
    assert cli.main(base) == 0
    assert "PASSED: 2 case(s), none fail" in capsys.readouterr().out
    assert cli.main([*base, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["cases"] == 2
    results.write_text('{"results": [{"id": "a", "passed": "yes"}]}')
    assert cli.main(base) == 1
    assert "results[0] needs a string id and a boolean passed" in (
        capsys.readouterr().err
    )


# -------------------------------------------------------------------------- record


@pytest.fixture
def wrong(tmp_path) -> Path:
    """A confidently_wrong.jsonl as training writes it."""
    path = tmp_path / "artifacts" / "confidently_wrong.jsonl"
    path.parent.mkdir()
    rows = [
        {
            "input": BIG,
            "expected": "virginica",
            "predicted": "versicolor",
            "confidence": 0.91,
        },
        {
            "input": FEATURES,
            "expected": "setosa",
            "predicted": "versicolor",
            "confidence": 0.7,
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_record_appends_and_keeps_earlier_bytes(tmp_path, wrong, capsys):
    cases = tmp_path / "tests" / "model" / "regression_cases.jsonl"
    cases.parent.mkdir(parents=True)
    earlier = jsonl(case("case-0001"), case("case-0002", "INV"))
    cases.write_text(earlier)
    code = cli.main(
        [
            "regression",
            "record",
            "--cases",
            str(cases),
            "--from",
            str(wrong),
            "--line",
            "1",
            "--capability",
            "large petals",
            "--reason",
            "issue #12",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out == f"recorded case-0003 in {cases} (line 3)\n"
    after = cases.read_text()
    assert after.startswith(earlier)
    new = json.loads(after.splitlines()[2])
    assert new == {
        "id": "case-0003",
        "type": "MFT",
        "input": BIG,
        "expected": "virginica",
        "capability": "large petals",
        "reason": "issue #12",
        "added": dt.date.today().isoformat(),
    }
    assert read_cases(cases)[1] == []
    assert [p.name for p in cases.parent.iterdir()] == ["regression_cases.jsonl"]


def test_record_creates_the_file_and_adds_a_missing_newline(tmp_path, wrong):
    cases = tmp_path / "new" / "cases.jsonl"
    first, line = record_case(
        cases, FEATURES, "setosa", "small", "first", today=dt.date(2026, 1, 2)
    )
    assert (first["id"], first["added"], line) == ("case-0001", "2026-01-02", 1)
    cases.write_text(cases.read_text().rstrip("\n"))  # an editor dropped the newline
    second, line = record_case(cases, BIG, "virginica", "big", "second")
    assert (second["id"], line) == ("case-0002", 2)
    assert len(cases.read_text().splitlines()) == 2


def test_a_new_cases_file_gets_the_mode_open_would_give(tmp_path):
    reference = tmp_path / "reference.jsonl"
    reference.write_text("x")  # open() honours the umask; mkstemp alone gives 0600
    cases = tmp_path / "cases.jsonl"
    record_case(cases, FEATURES, "setosa", "c", "r")
    assert cases.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_record_refuses_a_broken_file_and_leaves_it_alone(tmp_path, wrong):
    cases = tmp_path / "cases.jsonl"
    broken = jsonl(case("a")) + "{oops\n"
    cases.write_text(broken)
    with pytest.raises(Refusal, match=r"cases.jsonl:2:2: error: not a JSON object"):
        record_case(cases, FEATURES, "setosa", "c", "r")
    assert cases.read_text() == broken


def test_record_refusals(tmp_path, wrong, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(jsonl(case("a")))
    args = [
        "regression",
        "record",
        "--cases",
        str(cases),
        "--capability",
        "c",
        "--reason",
        "r",
    ]
    assert cli.main([*args, "--from", str(wrong), "--line", "9"]) == 1
    assert "has 2 line(s); --line 9 is out of range" in capsys.readouterr().err
    assert cli.main([*args, "--from", str(wrong), "--id", "a"]) == 1
    assert "id 'a' is already used" in capsys.readouterr().err
    assert cli.main([*args, "--input", json.dumps(FEATURES)]) == 1
    assert "--input needs --expected" in capsys.readouterr().err
    assert cli.main([*args, "--input", '{"petal_length": NaN}', "--expected", "x"]) == 1
    assert "NaN is not a number JSON allows" in capsys.readouterr().err
    assert cli.main([*args, "--input", '{"petal_length": "x"}', "--expected", "x"]) == 1
    assert "input.petal_length must be a finite number" in capsys.readouterr().err
    assert cases.read_text() == jsonl(case("a"))
    assert (
        cli.main(
            [
                *args,
                "--input",
                json.dumps(FEATURES),
                "--expected",
                "setosa",
                "--id",
                "by-hand",
            ]
        )
        == 0
    )
    assert json.loads(cases.read_text().splitlines()[1])["id"] == "by-hand"


# ----------------------------------------------------------------------- the hook

RUNNER = '''\
"""A stand-in for <package>.regression: rule model = {"cut": petal length}."""
import argparse, json

parser = argparse.ArgumentParser()
for name in ("--model", "--cases", "--output"):
    parser.add_argument(name)
args = parser.parse_args()
cut = json.load(open(args.model))["cut"]

def predict(f):
    return "setosa" if f["petal_length"] < cut else "virginica"

results = []
for line in open(args.cases):
    if not line.strip():
        continue
    case = json.loads(line)
    got = predict(case["input"])
    results.append({"id": case["id"], "passed": got == case["expected"],
                    "predicted": got, "detail": f"cut={cut}"})
json.dump({"results": results}, open(args.output, "w"))
'''

PYPROJECT = """\
[tool.dsp.gate]
candidate = "artifacts/metrics.json"
baseline = "models/current/metrics.json"
fallback_baseline = "artifacts/baseline_metrics.json"
ties = "pass"

[tool.dsp.gate.metrics.accuracy]
greater_is_better = true
threshold = 0.9
min_absolute_change = 0.0

[tool.dsp.regression]
cases = "tests/model/regression_cases.jsonl"
model = "artifacts/model.json"
results = "artifacts/regression_results.json"
command = ["python", "runner.py", "--model", "artifacts/model.json", "--cases",
           "tests/model/regression_cases.jsonl", "--output",
           "artifacts/regression_results.json"]
"""


@pytest.fixture
def hook_project(tmp_path, monkeypatch) -> Path:
    """A git repository with a rule 'model', its metrics, cases and runner."""
    root = tmp_path / "proj"
    (root / "artifacts").mkdir(parents=True)
    (root / "tests" / "model").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "runner.py").write_text(RUNNER)
    (root / "artifacts" / "model.json").write_text('{"cut": 2.5}')
    (root / "artifacts" / "metrics.json").write_text('{"accuracy": 0.95}')
    (root / "artifacts" / "baseline_metrics.json").write_text('{"accuracy": 0.33}')
    (root / "tests" / "model" / "regression_cases.jsonl").write_text(
        jsonl(
            case("small", capability="petal size"),
            case("big", input=BIG, expected="virginica", capability="petal size"),
        )
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("DSP_PYTHON", sys.executable)
    monkeypatch.delenv("PRE_COMMIT_FROM_REF", raising=False)
    return root


def test_hook_with_a_pipe_as_model_refuses_the_push_without_hanging(
    hook_project, fifo, capsys
):
    model = hook_project / "artifacts" / "model.json"
    model.unlink()
    model.symlink_to(fifo)  # the cache key reads every input before anything else
    assert model_regression.main([]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        "model-regression: push refused:\n  - artifacts/model.json: is not a regular "
        "file (a pipe or device?); name the model file\n"
    )


def test_hook_passes_then_is_cached(hook_project, capsys):
    assert model_regression.main([]) == 0
    out = capsys.readouterr().out
    assert "Promotion gate: artifacts/metrics.json against" in out
    assert "PASSED: 2 case(s), none fail" in out
    assert out.endswith("model-regression: passed\n")
    assert (hook_project / ".git" / "dsp" / model_regression.CACHE_FILE).is_file()
    results = hook_project / "artifacts" / "regression_results.json"
    results.unlink()
    assert model_regression.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("model-regression: cached: ")
    assert not results.exists()  # the runner did not run
    assert model_regression.main(["--no-cache"]) == 0
    assert "cached" not in capsys.readouterr().out and results.exists()


@pytest.mark.parametrize(
    "change",
    ["model", "cases", "metrics", "baseline", "config"],
)
def test_hook_cache_is_keyed_by_every_input(hook_project, capsys, change):
    assert model_regression.main([]) == 0
    capsys.readouterr()
    target = {
        "model": ("artifacts/model.json", '{"cut": 2.4}'),
        "cases": (
            "tests/model/regression_cases.jsonl",
            (hook_project / "tests/model/regression_cases.jsonl").read_text()
            + json.dumps(case("more"))
            + "\n",
        ),
        "metrics": ("artifacts/metrics.json", '{"accuracy": 0.96}'),
        "baseline": ("models/current/metrics.json", '{"accuracy": 0.94}'),
        "config": ("pyproject.toml", PYPROJECT + "\n# touched\n"),
    }[change]
    path = hook_project / target[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(target[1])
    assert model_regression.main([]) == 0
    assert "cached" not in capsys.readouterr().out


def test_hook_refuses_a_worse_model_with_both_tables(hook_project, capsys):
    (hook_project / "artifacts" / "model.json").write_text('{"cut": 9}')
    (hook_project / "artifacts" / "metrics.json").write_text('{"accuracy": 0.6}')
    (hook_project / "models" / "current").mkdir(parents=True)
    (hook_project / "models/current/metrics.json").write_text('{"accuracy": 0.95}')
    assert model_regression.main([]) == 1
    out = capsys.readouterr().out
    assert "accuracy  0.95      0.6        -0.35 (-36.8%)  FAIL" in out
    assert "  - accuracy: 0.6 is below the threshold 0.9" in out
    assert "petal size  MFT   2      1 (50.0%)" in out
    assert '  - big: expected virginica, got "setosa" (cut=9)' in out
    assert out.endswith(
        "model-regression: push refused:\n"
        "  - the promotion gate refused the candidate\n"
        "  - 1 behavioural regression case(s) fail\n"
    )
    assert not (hook_project / ".git" / "dsp" / model_regression.CACHE_FILE).exists()
    assert model_regression.main([]) == 1  # a refusal is never cached
    assert "cached" not in capsys.readouterr().out


def test_hook_reports_bad_cases_and_broken_runner(hook_project, capsys):
    cases = hook_project / "tests/model/regression_cases.jsonl"
    cases.write_text(cases.read_text() + '{"id": "x"}\n')
    assert model_regression.main([]) == 1
    out = capsys.readouterr().out
    assert "regression_cases.jsonl:3:1: error: case 'x': missing type" in out
    assert "  - " + str(Path("tests/model/regression_cases.jsonl")) in out
    cases.write_text(jsonl(case("small")))
    (hook_project / "runner.py").write_text("raise SystemExit('model is corrupt')\n")
    assert model_regression.main([]) == 1
    out = capsys.readouterr().out
    assert "regression command exited 1: model is corrupt" in out
    (hook_project / "artifacts" / "model.json").unlink()
    assert model_regression.main([]) == 1
    assert "model.json: no model to test; train it first (make train)" in (
        capsys.readouterr().out
    )


def test_hook_append_only_against_the_pushed_ref(hook_project, capsys, monkeypatch):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True, cwd=hook_project)
    subprocess.run([*git, "commit", "-qm", "cases"], check=True, cwd=hook_project)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_project, capture_output=True, text=True
    ).stdout.strip()
    cases = hook_project / "tests/model/regression_cases.jsonl"
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", head)
    cases.write_text(cases.read_text() + json.dumps(case("new")) + "\n")
    assert model_regression.main([]) == 0
    capsys.readouterr()
    cases.write_text(jsonl(case("small", reason="rewritten")))
    assert model_regression.main([]) == 1
    assert "regression_cases.jsonl:1:1: error: an earlier case was changed" in (
        capsys.readouterr().out
    )


def test_hook_without_configuration(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert model_regression.main([]) == 1
    assert "no [tool.dsp.gate] or [tool.dsp.regression]" in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text("[tool.dsp.regression]\ncomand = []\n")
    assert model_regression.main([]) == 1
    assert "unknown key 'comand'; did you mean \"command\"?" in (
        capsys.readouterr().out
    )
    (tmp_path / "pyproject.toml").unlink()
    assert model_regression.main([]) == 1
    assert "pyproject.toml: no such file" in capsys.readouterr().out


def test_hook_turns_an_unexpected_file_error_into_one_line(monkeypatch, capsys):
    def fail(*args):
        raise IsADirectoryError(21, "Is a directory", ".dsp-cache/last-pass.json")

    monkeypatch.setattr(model_regression, "run_hook", fail)
    assert model_regression.main([]) == 1
    assert capsys.readouterr().out == (
        "model-regression: .dsp-cache/last-pass.json: is a directory; check the "
        "path (and its folders) and retry\n"
    )


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "1e300", '"60"'])
def test_a_timeout_no_timer_can_hold_is_refused_in_one_line(tmp_path, value, capsys):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.dsp.regression]\ncommand = ['true']\nresults = 'r.json'\n"
        f"timeout = {value}\n"
    )
    config = str(tmp_path / "pyproject.toml")
    assert cli.main(["regression", "--config", config, "run"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(
        f"dsp regression: {config}: [tool.dsp.regression] timeout must be a number "
        "of seconds between 0 and 86400, not "
    )


def test_hook_turns_a_bug_into_one_line(monkeypatch, capsys):
    def fail(*args):
        raise KeyError("gate")

    monkeypatch.setattr(model_regression, "run_hook", fail)
    assert model_regression.main([]) == 1
    assert capsys.readouterr().out == (
        "model-regression: internal error (KeyError: 'gate'); please report it "
        "with the command you ran\n"
    )


def test_hook_with_stdout_full_still_tells_why_on_stderr(tmp_path):
    config = tmp_path / "pyproject.toml"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "model-regression")]
            + ["--config", str(config)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"model-regression: {config}: no such file; pass --config pointing at "
        "pyproject.toml\n"
    )


def test_hook_refuses_a_pipe_as_config_without_hanging(fifo, capsys):
    assert model_regression.main(["--config", str(fifo)]) == 1
    assert capsys.readouterr().out == (
        f"model-regression: {fifo}: is not a regular file (a pipe or device?); "
        "name the pyproject.toml\n"
    )


# ------------------------------------------------------------ project interpreter


def test_project_python_resolution(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    hook_env = Path(sys.prefix) / "bin"
    other = tmp_path / "system-bin"
    other.mkdir()
    (other / "python3").write_text("#!/bin/sh\n")
    (other / "python3").chmod(0o755)
    env = {"PATH": os.pathsep.join([str(hook_env), str(other)])}
    assert regression.project_python(root, env) == str(other / "python3")
    venv_python = root / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert regression.project_python(root, env) == str(venv_python)
    assert regression.project_python(root, {**env, "DSP_PYTHON": "/x/py"}) == "/x/py"
    venv_python.unlink()
    with pytest.raises(Refusal, match="set DSP_PYTHON or create .venv"):
        regression.project_python(root, {"PATH": str(hook_env)})


def test_hook_entry_point_is_light():
    code = textwrap.dedent("""
        import sys
        import precommit_hooks.hooks.model_regression
        heavy = [m for m in ("kfp", "sklearn", "yaml", "oras") if m in sys.modules]
        print(heavy)
        """)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


# ------------------------------------------------ in a generated, trained project


@pytest.fixture(scope="module")
def trained_project(baked_project, tmp_path_factory) -> Path:
    """A copy of the generated project, trained by its own train module."""
    import shutil

    root = tmp_path_factory.mktemp("trained") / baked_project.name
    shutil.copytree(baked_project, root)
    (package,) = [p.name for p in (root / "src").iterdir() if (p / "train.py").exists()]
    subprocess.run(
        [sys.executable, "-m", f"{package}.train", "--output-dir", "artifacts"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        check=True,
        capture_output=True,
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_a_recorded_failure_mode_refuses_the_push(trained_project, monkeypatch, capsys):
    """The workflow: a confidently wrong example becomes a case the model fails."""
    monkeypatch.chdir(trained_project)
    monkeypatch.setenv("DSP_PYTHON", sys.executable)
    monkeypatch.setenv("PYTHONPATH", str(trained_project / "src"))
    monkeypatch.delenv("PRE_COMMIT_FROM_REF", raising=False)
    cases = trained_project / "tests" / "model" / "regression_cases.jsonl"
    before = cases.read_bytes()
    assert model_regression.main([]) == 0, capsys.readouterr().out
    capsys.readouterr()
    wrong = json.loads(
        (trained_project / "artifacts/confidently_wrong.jsonl")
        .read_text()
        .split("\n")[0]
    )
    code = cli.main(
        [
            "regression",
            "record",
            "--from",
            "artifacts/confidently_wrong.jsonl",
            "--line",
            "1",
            "--capability",
            "border cases",
            "--reason",
            "review #7",
        ]
    )
    assert code == 0
    new_id = capsys.readouterr().out.split()[1]
    assert cases.read_bytes().startswith(before)
    assert model_regression.main([]) == 1
    out = capsys.readouterr().out
    assert (
        f"  - {new_id}: expected {wrong['expected']}, got "
        f"\"{wrong['predicted']}\"" in out
    )
    assert "border cases" in out and "MFT   1      1 (100.0%)" in out
    assert "1 behavioural regression case(s) fail" in out


def test_dsp_regression_run_and_hook_markdown(hook_project, capsys):
    assert cli.main(["regression", "run", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Behavioural regression cases: passed\n")
    assert "| petal size | MFT | 2 | 0 (0.0%) |  |" in out
    (hook_project / "artifacts" / "model.json").write_text('{"cut": 9}')
    assert model_regression.main(["--format", "markdown", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "### Promotion gate: passed" in out
    assert "| petal size | MFT | 2 | 1 (50.0%) | big: expected virginica" in out


def test_cache_outside_git_is_a_self_ignoring_folder(hook_project, capsys):
    import shutil

    shutil.rmtree(hook_project / ".git")
    assert model_regression.main([]) == 0
    assert (hook_project / ".dsp-cache" / ".gitignore").read_text() == "*\n"
    assert model_regression.main([]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("model-regression: cached: ")
    )
