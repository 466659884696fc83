"""The parts of ``dsp model promote`` and ``lineage`` that need no registry."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from precommit_hooks import cli
from precommit_hooks.core.findings import Refusal
from precommit_hooks.lifecycle import promote
from precommit_hooks.lifecycle.lineage import (
    config_metrics,
    dataset_of_record,
    record_pipeline_run,
    render_lineage,
)

PYPROJECT = """\
[tool.dsp.gate]
ties = "pass"

[tool.dsp.gate.metrics.accuracy]
greater_is_better = true
threshold = 0.9
min_absolute_change = 0.0
"""

# A runner in the project's shape: reads --model, writes --output.
RUNNER = """\
import json, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
verdict = open(args["--model"]).read().strip() == "good"
with open(args["--output"], "w") as out:
    json.dump({"results": [{"id": "c1", "passed": verdict}]}, out)
"""

REGRESSION = """
[tool.dsp.regression]
cases = "cases.jsonl"
model = "artifacts/model.joblib"
results = "artifacts/results.json"
command = ["python", "runner.py", "--model", "artifacts/model.joblib", "--output", \
"artifacts/results.json"]
"""

CASE = {
    "id": "c1",
    "type": "MFT",
    "input": {"x": 1},
    "expected": "a",
    "capability": "basics",
    "reason": "r",
    "added": "2026-01-01",
}


def _candidate(folder: Path, accuracy: float, model: str = "good") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.joblib").write_text(model)
    (folder / "metrics.json").write_text(json.dumps({"accuracy": accuracy}))
    (folder / "baseline_metrics.json").write_text('{"accuracy": 0.33}')
    return folder


def test_find_candidate_reads_artifacts_and_the_ormb_layout(tmp_path):
    flat = promote.find_candidate(_candidate(tmp_path / "artifacts", 0.95))
    assert [p.name for p in flat.model_files] == ["model.joblib"]
    assert flat.fallback == tmp_path / "artifacts" / "baseline_metrics.json"
    ormb = tmp_path / "ormb"
    (ormb / "model").mkdir(parents=True)
    (ormb / "model" / "model.joblib").write_text("good")
    _candidate(ormb / "evaluation", 0.95).joinpath("model.joblib").unlink()
    found = promote.find_candidate(ormb)
    assert found.model_files == (ormb / "model" / "model.joblib",)
    assert found.metrics == ormb / "evaluation" / "metrics.json"
    assert found.hyperparams is None
    assert found.profile is None
    (ormb / "evaluation" / "reference_profile.json").write_text("{}")
    profiled = promote.find_candidate(ormb)
    assert profiled.profile == ormb / "evaluation" / "reference_profile.json"


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: d.write_text("x"), "is a file, not a folder"),
        (lambda d: d.mkdir(), "no model file (*.joblib, *.pkl)"),
        (lambda d: (d.mkdir(), (d / "m.joblib").write_text("")), "no metrics.json"),
    ],
)
def test_find_candidate_refuses_in_one_line(tmp_path, setup, message):
    folder = tmp_path / "candidate"
    setup(folder)
    with pytest.raises(Refusal, match=re.escape(message)):
        promote.find_candidate(folder)


def test_candidate_tag_is_the_dns_safe_pipeline_version_name():
    assert promote.candidate_tag("refs/heads/Feature/X", "ABCDEF0123") == (
        "feature-x-abcdef0"
    )
    with pytest.raises(Refusal, match="not a hexadecimal SHA"):
        promote.candidate_tag("main", "nope")


def test_gate_uses_current_then_the_fallback(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    candidate = promote.find_candidate(_candidate(tmp_path / "a", 0.95))
    config = tmp_path / "pyproject.toml"
    better = promote.judge_gate(config, candidate, {"accuracy": 0.97}, "r:current")
    assert better.baseline_kind == "current" and not better.passed
    assert len(better.failures) == 1 and better.failures[0].startswith("accuracy: ")
    first = promote.judge_gate(config, candidate, None, "r:current")
    assert first.baseline_kind == "fallback" and first.passed
    candidate.fallback.unlink()
    bare = promote.judge_gate(
        config, promote.find_candidate(candidate.folder), None, "r:current"
    )
    assert bare.baseline_kind == "none" and not bare.passed


def _cases_project(tmp_path: Path, model: str) -> tuple[Path, promote.Candidate]:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + REGRESSION)
    (tmp_path / "runner.py").write_text(RUNNER)
    (tmp_path / "cases.jsonl").write_text(json.dumps(CASE) + "\n")
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "model.joblib").write_text("good")  # not the candidate
    return tmp_path / "pyproject.toml", promote.find_candidate(
        _candidate(tmp_path / "cand", 0.95, model)
    )


@pytest.mark.parametrize("model, passed", [("good", True), ("bad", False)])
def test_cases_run_against_the_candidate_model(tmp_path, monkeypatch, model, passed):
    monkeypatch.setenv("DSP_PYTHON", sys.executable)
    config, candidate = _cases_project(tmp_path, model)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    report = promote.judge_cases(config, candidate, scratch)
    assert report is not None and report.passed is passed
    assert not (tmp_path / "artifacts" / "results.json").exists()


def test_cases_refuse_a_command_that_does_not_name_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("DSP_PYTHON", sys.executable)
    config, candidate = _cases_project(tmp_path, "good")
    config.write_text(
        config.read_text().replace('"--model", "artifacts/model.joblib", ', "")
    )
    with pytest.raises(Refusal, match="command does not name the model"):
        promote.judge_cases(config, candidate, tmp_path)


def test_bad_cases_are_refused_before_anything_runs(tmp_path, monkeypatch):
    config, candidate = _cases_project(tmp_path, "good")
    (tmp_path / "cases.jsonl").write_text('{"id": "c1"}\n')
    with pytest.raises(Refusal, match=r"1 bad line\(s\); `dsp regression validate`"):
        promote.judge_cases(config, candidate, tmp_path)


def test_no_regression_table_means_no_cases(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    candidate = promote.find_candidate(_candidate(tmp_path / "a", 0.95))
    assert promote.judge_cases(tmp_path / "pyproject.toml", candidate, tmp_path) is None


def test_config_metrics_reads_ormb_text_values():
    config = {
        "metrics": {
            "validation": [
                {"name": "accuracy", "value": "0.96"},
                {"name": "note", "value": "n/a"},
                {"value": "1"},
            ]
        }
    }
    assert config_metrics(config) == {"accuracy": 0.96}
    assert config_metrics({}) == {}


def test_pipeline_run_sits_beside_the_git_revision():
    config = {"training": {"git": {"revision": "abc"}}}
    record_pipeline_run(config, "run-1", "main-abc1234")
    assert config["training"] == {
        "git": {"revision": "abc"},
        "pipelineRun": {"id": "run-1", "version": "main-abc1234"},
    }
    assert record_pipeline_run({}, None, "v")["training"]["pipelineRun"] == {
        "version": "v"
    }


def test_dataset_record_must_hold_strings(tmp_path):
    record = tmp_path / "data.json"
    record.write_text('{"source": "lakefs://r/main/x", "commit_id": "c1"}')
    assert dataset_of_record(record) == ("lakefs://r/main/x", "c1")
    record.write_text('{"source": 1}')
    with pytest.raises(Refusal, match="must be strings"):
        dataset_of_record(record)
    record.write_text('{"source": NaN}')
    with pytest.raises(Refusal, match="not valid dataset record JSON"):
        dataset_of_record(record)


def test_render_lineage_names_unknown_links():
    chain = {
        "data": {"source": None, "commit": None},
        "code": {"repository": "https://g/x.git", "revision": "abc"},
        "pipeline_run": {"id": None, "version": None},
        "model": "h/r@sha256:00",
        "tags": [],
    }
    assert render_lineage(chain).splitlines() == [
        "data      unknown @ unknown",
        "code      https://g/x.git @ abc",
        "pipeline  none recorded (pushed outside a pipeline)",
        "model     h/r@sha256:00",
        "tags      none",
    ]


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["model", "promote", "h/r", "--sha", "abcdef0"])
    assert exc.value.code == 2
    assert "--model-dir" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["h:5000/r:v1"], "name the repository without a tag"),
        (["h/r", "--tag", "not a tag"], "is not an OCI tag"),
        (["h/r", "--config", "no-such.toml"], "no-such.toml"),
        (["h/r", "--sha", "xyz"], "is not a hexadecimal SHA"),
        (["h/r", "--gate-markdown", "no/such/gate.md"], "its folder no/such"),
    ],
)
def test_refusals_are_one_line_before_any_registry(
    tmp_path, monkeypatch, capsys, argv, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    folder = _candidate(tmp_path / "a", 0.95)
    args = ["model", "promote", *argv[:1], "--model-dir", str(folder)]
    args += ["--branch", "main"] + (argv[1:] if "--sha" in argv else ["--sha", "a" * 7])
    args += [] if "--sha" in argv else argv[1:]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
