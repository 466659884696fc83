"""The promotion gate: MetricThreshold semantics, corrections, config and output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from precommit_hooks import cli

from precommit_hooks.lifecycle import gate
from precommit_hooks.core.findings import Refusal

CONFIG = """\
[tool.dsp.gate]
candidate = "artifacts/metrics.json"
baseline = "models/current/metrics.json"
fallback_baseline = "artifacts/baseline_metrics.json"
ties = "{ties}"

[tool.dsp.gate.metrics.accuracy]
greater_is_better = true
threshold = 0.9
min_absolute_change = 0.0

[tool.dsp.gate.metrics.f1_macro]
greater_is_better = true
threshold = 0.9
"""


def rule(**kwargs) -> gate.MetricRule:
    kwargs.setdefault("greater_is_better", True)
    return gate.MetricRule("m", **kwargs)


def judge(r, cand, base, ties="pass") -> gate.MetricVerdict:
    baseline = None if base is ... else ({} if base is None else {"m": base})
    candidate = {} if cand is None else {"m": cand}
    return gate.evaluate_metric(r, candidate, baseline, ties)


@pytest.fixture
def project(tmp_path: Path):
    """A project folder with the contract's config; returns a writer helper."""

    def write(ties="pass", candidate=None, baseline=None, fallback=None, extra=""):
        (tmp_path / "pyproject.toml").write_text(CONFIG.format(ties=ties) + extra)
        for rel, data in (
            ("artifacts/metrics.json", candidate),
            ("models/current/metrics.json", baseline),
            ("artifacts/baseline_metrics.json", fallback),
        ):
            if data is not None:
                (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / rel).write_text(json.dumps(data))
        return tmp_path

    return write


def run_dsp(root: Path, *extra: str, capsys) -> tuple[int, str, str]:
    code = cli.main(["gate", "--config", str(root / "pyproject.toml"), *extra])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- MLflow semantics


def test_threshold_inclusive_for_greater_and_lower_is_better():
    assert judge(rule(threshold=0.9), 0.9, ...).passed
    assert not judge(rule(threshold=0.9), 0.89, ...).passed
    lower = rule(greater_is_better=False, threshold=0.2)
    assert judge(lower, 0.2, ...).passed
    assert judge(lower, 0.1, ...).passed
    failed = judge(lower, 0.25, ...)
    assert failed.failures == ["0.25 is above the threshold 0.2 (lower is better)"]


def test_min_absolute_change_boundary_survives_float_noise():
    # 0.95 - 0.9 is 0.04999999999999993 in binary floating point.
    assert judge(rule(min_absolute_change=0.05), 0.95, 0.9).passed
    assert not judge(rule(min_absolute_change=0.05), 0.94, 0.9).passed


def test_lower_is_better_absolute_change():
    r = rule(greater_is_better=False, min_absolute_change=0.1)
    assert judge(r, 0.4, 0.5).passed
    worse = judge(r, 0.45, 0.5)
    assert not worse.passed
    assert "below min_absolute_change 0.1 (lower is better)" in worse.failures[0]


def test_relative_change_divides_by_absolute_baseline():
    # A negative baseline (log-likelihood, greater is better): -2 -> -1 is 50% better.
    r = rule(min_relative_change=0.4)
    assert judge(r, -1.0, -2.0).passed
    # MLflow's (cand - base) / base would give -0.5 here and refuse it.
    refused = judge(r, -3.0, -2.0)
    assert refused.failures == [
        "relative improvement -0.5 is below min_relative_change 0.4"
    ]
    lower = rule(greater_is_better=False, min_relative_change=0.5)
    assert judge(lower, -3.0, -2.0).passed  # lower is better, -3 is 50% lower
    assert not judge(lower, -2.5, -2.0).passed


def test_zero_baseline_relative_change_is_explicit():
    r = rule(min_relative_change=0.5)
    better = judge(r, 0.1, 0.0)
    assert better.passed and "baseline is 0" in better.notes[0]
    worse = judge(r, -0.1, 0.0)
    assert worse.failures == [
        "relative improvement -inf is below min_relative_change 0.5"
    ]
    # Equal at zero is a tie, and a positive required change is never met by one.
    tie = judge(r, 0.0, 0.0)
    assert tie.failures == [
        "equals the baseline; min_relative_change 0.5 needs an improvement"
    ]
    assert judge(rule(min_relative_change=0.0), 0.0, 0.0, ties="pass").passed
    assert not judge(rule(min_relative_change=0.0), 0.0, 0.0, ties="fail").passed


@pytest.mark.parametrize("ties, passes", [("pass", True), ("fail", False)])
def test_tie_policy(ties, passes):
    verdict = judge(rule(min_absolute_change=0.0), 0.93, 0.93, ties=ties)
    assert verdict.passed is passes
    if not passes:
        assert verdict.failures == [
            'equals the baseline and ties = "fail" (min_absolute_change)'
        ]
    # A strict improvement passes under both policies, a regression under neither.
    assert judge(rule(min_absolute_change=0.0), 0.94, 0.93, ties=ties).passed
    assert not judge(rule(min_absolute_change=0.0), 0.92, 0.93, ties=ties).passed


def test_tie_needs_a_positive_change_fails_under_both_policies():
    for ties in gate.TIE_POLICIES:
        assert not judge(rule(min_absolute_change=0.01), 0.9, 0.9, ties=ties).passed


def test_missing_metric_on_each_side_names_it():
    r = gate.MetricRule("recall_macro", True, threshold=0.5)
    missing_cand = gate.evaluate_metric(r, {}, {"recall_macro": 0.6}, "pass")
    assert missing_cand.failures == ["missing from the candidate"]
    missing_base = gate.evaluate_metric(r, {"recall_macro": 0.6}, {}, "pass")
    assert missing_base.failures == ["missing from the baseline"]


def test_change_rule_without_any_baseline_fails_threshold_rule_passes():
    assert not judge(rule(min_absolute_change=0.0), 0.95, ...).passed
    assert judge(rule(threshold=0.9), 0.95, ...).passed


def test_every_failure_is_reported_at_once(project, capsys):
    root = project(
        ties="fail",
        candidate={"accuracy": 0.85, "precision_macro": 0.8},
        baseline={"accuracy": 0.95, "f1_macro": 0.94},
    )
    code, out, _ = run_dsp(root, capsys=capsys)
    assert code == 1
    assert "REFUSED: 2 of 2 gated metric(s) fail" in out
    failures = [line for line in out.splitlines() if line.startswith("  - ")]
    assert failures == [
        "  - accuracy: 0.85 is below the threshold 0.9",
        "  - accuracy: improvement -0.1 is below min_absolute_change 0",
        f"  - f1_macro: missing from the candidate ({root}/artifacts/metrics.json)",
    ]


# ------------------------------------------------------------- baselines and config


def test_fallback_baseline_stands_in_and_current_model_wins(project, capsys):
    root = project(
        candidate={"accuracy": 0.95, "f1_macro": 0.95},
        fallback={"accuracy": 0.33, "f1_macro": 0.17},
    )
    code, out, _ = run_dsp(root, capsys=capsys)
    assert code == 0, out
    assert "baseline_metrics.json (most-frequent-class baseline)" in out
    project(baseline={"accuracy": 0.97, "f1_macro": 0.96})
    code, out, _ = run_dsp(root, capsys=capsys)
    assert code == 1
    assert "models/current/metrics.json (current model)" in out
    assert "accuracy: improvement -0.02 is below min_absolute_change 0" in out


def test_no_baseline_at_all_says_so(project, capsys):
    root = project(candidate={"accuracy": 0.95, "f1_macro": 0.95})
    code, out, _ = run_dsp(root, capsys=capsys)
    assert code == 1
    assert "note: no baseline: neither " in out
    assert "models/current/metrics.json (baseline) nor " in out
    assert "accuracy: min_absolute_change/min_relative_change need a baseline" in out


def test_explicit_arguments_override_the_config(project, tmp_path, capsys):
    root = project(candidate={"accuracy": 0.5, "f1_macro": 0.5})
    good = tmp_path / "good.json"
    good.write_text('{"accuracy": 0.96, "f1_macro": 0.95}')
    code, out, _ = run_dsp(
        root, "--candidate", str(good), "--baseline", str(good), capsys=capsys
    )
    assert code == 0, out
    assert "(given baseline)" in out


def test_metrics_file_reads_only_top_level_numbers(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "accuracy": 1,
                "f1_macro": 0.5,
                "passed": True,
                "name": "x",
                "per_class": {"setosa": {"precision": 1.0}},
                "confusion_matrix": [[1, 0], [0, 1]],
            }
        )
    )
    assert gate.read_metrics(path) == {"accuracy": 1.0, "f1_macro": 0.5}


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"accuracy": NaN}', "NaN is not a number JSON allows"),
        ('{"accuracy": Infinity}', "Infinity is not a number JSON allows"),
        ('{"accuracy": 1e400}', "metric 'accuracy' is inf, not a finite number"),
        ('{"accuracy": 0.9, "accuracy": 0.1}', "duplicate key 'accuracy'"),
        ("[0.9]", "the top level must be a JSON object of metrics, not array"),
        ("null", "the top level must be a JSON object of metrics, not null"),
        ("[" * 100_000 + "]" * 100_000, "(nested too deep to read; flatten it)"),
        ("{", "not valid metrics JSON"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
)
def test_bad_metrics_files_are_one_clear_line(tmp_path, content, message):
    path = tmp_path / "metrics.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(Refusal) as exc:
        gate.read_metrics(path)
    assert str(path) in str(exc.value) and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_pipe_folder_or_file_in_the_path_is_refused_before_reading(
    tmp_path, fifo, capsys
):
    (tmp_path / "a-file").write_text("x")
    under_a_file = tmp_path / "a-file" / "metrics.json"
    for path, problem in (
        (fifo, "is not a regular file (a pipe or device?)"),
        (tmp_path, "is a folder, not a file"),
        (under_a_file, "part of the path is a file, not a folder"),
    ):
        for read, what in (
            (gate.read_metrics, "metrics JSON file"),
            (gate.load_toml, "pyproject.toml"),
        ):
            with pytest.raises(Refusal) as exc:
                read(path)
            assert str(exc.value) == f"{path}: {problem}; name the {what}"
    # Through dsp: a pipe once hung and a path under a file was a traceback.
    (tmp_path / "pyproject.toml").write_text(CONFIG.format(ties="pass"))
    for extra in (["--candidate", str(fifo)], ["--candidate", str(under_a_file)]):
        code, out, err = run_dsp(tmp_path, *extra, capsys=capsys)
        assert code == 1 and out == ""
        assert err.startswith(f"dsp gate: {extra[1]}: ") and err.count("\n") == 1


def test_a_folder_or_pipe_as_baseline_is_refused_not_taken_for_none(
    project, fifo, capsys
):
    root = project(candidate={"accuracy": 0.95, "f1_macro": 0.95})
    (root / "models" / "current" / "metrics.json").mkdir(parents=True)
    code, out, err = run_dsp(root, capsys=capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"dsp gate: {root / 'models/current/metrics.json'}: is a folder, not a file; "
        "name the baseline metrics JSON file\n"
    )
    (root / "models" / "current" / "metrics.json").rmdir()
    (root / "artifacts" / "baseline_metrics.json").symlink_to(fifo)
    code, out, err = run_dsp(root, capsys=capsys)
    assert (code, out) == (1, "")
    assert "baseline_metrics.json: is not a regular file (a pipe or device?)" in err


def test_deeply_nested_toml_is_refused_in_one_line(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(Refusal) as exc:
        gate.load_toml(path)
    assert str(exc.value) == (
        f"{path}: not valid TOML (nested too deep to read; flatten it)"
    )


def test_missing_files_exit_one_with_one_line(project, capsys):
    root = project()
    code, out, err = run_dsp(root, capsys=capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "artifacts/metrics.json: no such metrics file; train first" in err
    code = cli.main(["gate", "--config", str(root / "nope.toml")])
    assert code == 1
    assert "nope.toml: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            "[tool.dsp.gate.metrics.loss]\ngreater_is_beter = false\nthreshold = 1\n",
            "unknown key 'greater_is_beter'; did you mean \"greater_is_better\"?",
        ),
        (
            "[tool.dsp.gate.metrics.loss]\nthreshold = 1\n",
            "[tool.dsp.gate.metrics.loss] needs greater_is_better",
        ),
        (
            '[tool.dsp.gate.metrics.loss]\ngreater_is_better = "no"\nthreshold = 1\n',
            "greater_is_better must be true or false, not 'no'",
        ),
        (
            "[tool.dsp.gate.metrics.loss]\ngreater_is_better = false\n",
            "sets no threshold",
        ),
        (
            "[tool.dsp.gate.metrics.loss]\ngreater_is_better = false\n"
            "min_relative_change = 1.5\n",
            "min_relative_change must be between 0 and 1, not 1.5",
        ),
        (
            "[tool.dsp.gate.metrics.loss]\ngreater_is_better = false\n"
            "min_absolute_change = -1\n",
            "min_absolute_change must be >= 0",
        ),
        (
            "[tool.dsp.gate.metrics.loss]\ngreater_is_better = false\n"
            "threshold = true\n",
            "threshold must be a finite number, not True",
        ),
        (
            "[tool.dsp.gate.metrics.loss]\ngreater_is_better = false\n"
            "threshold = nan\n",
            "threshold must be a finite number, not nan",
        ),
        ("[tool.dsp.gate.metric.x]\n", "[tool.dsp.gate] has an unknown key 'metric'"),
    ],
)
def test_bad_config_is_refused_with_the_fix(project, extra, message):
    root = project(extra=extra)
    with pytest.raises(Refusal) as exc:
        gate.read_gate_config(root / "pyproject.toml")
    assert message in str(exc.value)


def test_bad_tie_policy_and_broken_toml(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(CONFIG.format(ties="maybe"))
    with pytest.raises(Refusal, match='ties must be "pass" or "fail", not \'maybe\''):
        gate.read_gate_config(path)
    path.write_text("[tool.dsp.gate\n")
    with pytest.raises(Refusal, match="not valid TOML"):
        gate.read_gate_config(path)
    path.write_text("[project]\nname = 'x'\n")
    with pytest.raises(Refusal, match=r"no \[tool.dsp.gate\] table"):
        gate.read_gate_config(path)


# ---------------------------------------------------------------------------- output


def test_text_table_has_dvc_columns_and_ungated_rows(project, capsys):
    root = project(
        candidate={"accuracy": 0.96, "f1_macro": 0.95, "recall_macro": 0.9},
        baseline={"accuracy": 0.95, "f1_macro": 0.95},
    )
    code, out, _ = run_dsp(root, capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["Metric", "Baseline", "Candidate", "Change", "Verdict"]
    assert lines[2].split() == ["accuracy", "0.95", "0.96", "+0.01", "(+1.1%)", "pass"]
    assert lines[3].split() == ["f1_macro", "0.95", "0.95", "+0", "(+0.0%)", "pass"]
    assert lines[4].split() == ["recall_macro", "-", "0.9", "-", "not", "gated"]
    assert "PASSED: 2 gated metric(s) pass" in out


def test_markdown_for_a_pr_comment(project, capsys):
    root = project(
        candidate={"accuracy": 0.85, "f1_macro": 0.95},
        fallback={"accuracy": 0.33, "f1_macro": 0.17},
    )
    code, out, _ = run_dsp(root, "--format", "markdown", capsys=capsys)
    assert code == 1
    assert out.startswith("### Promotion gate: refused\n")
    assert "| Metric | Baseline | Candidate | Change | Verdict |" in out
    assert "| accuracy | 0.33 | 0.85 | +0.52 (+157.6%) | ❌ fail |" in out
    assert "| f1_macro | 0.17 | 0.95 | +0.78 (+458.8%) | ✅ pass |" in out
    assert "- accuracy: 0.85 is below the threshold 0.9" in out


def test_json_output(project, capsys):
    root = project(
        ties="fail",
        candidate={"accuracy": 0.95, "f1_macro": 0.95},
        baseline={"accuracy": 0.95, "f1_macro": 0.9},
    )
    code, out, _ = run_dsp(root, "--format", "json", capsys=capsys)
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False and data["ties"] == "fail"
    assert data["baseline_kind"] == "current"
    by_name = {m["metric"]: m for m in data["metrics"]}
    assert by_name["accuracy"]["failures"] == [
        'equals the baseline and ties = "fail" (min_absolute_change)'
    ]
    assert by_name["accuracy"]["rule"]["min_absolute_change"] == 0.0
    assert math.isclose(by_name["f1_macro"]["change"], 0.05)
    assert by_name["f1_macro"]["passed"] is True


def test_usage_error_exits_two(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["gate", "--format", "html"])
    assert exc.value.code == 2
    assert "invalid choice: 'html'" in capsys.readouterr().err


def test_ties_default_to_pass(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(CONFIG.format(ties="pass").replace('ties = "pass"\n', ""))
    config = gate.read_gate_config(path)
    assert config.ties == "pass"
    assert config.candidate == tmp_path / "artifacts/metrics.json"


def test_a_400_digit_metric_or_threshold_is_its_own_refusal(project, capsys):
    huge = "1" + "0" * 400
    root = project(candidate={"accuracy": 0.95, "f1_macro": 0.95})
    (root / "artifacts" / "metrics.json").write_text(
        '{"accuracy": ' + huge + ', "f1_macro": 0.9}'
    )
    code, out, err = run_dsp(root, capsys=capsys)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "internal error" not in err
    assert "metric 'accuracy' is 10000000000000000000... (401 characters), not a" in err
    root = project(candidate={"accuracy": 0.95, "f1_macro": 0.95})
    text = (
        (root / "pyproject.toml")
        .read_text()
        .replace("threshold = 0.9", "threshold = " + huge, 1)
    )
    (root / "pyproject.toml").write_text(text)
    code, out, err = run_dsp(root, capsys=capsys)
    assert (code, out) == (1, "")
    assert "threshold must be a finite number, not 1000" in err and err.count("\n") == 1


def test_an_oversized_pyproject_is_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "pyproject.toml"
    with open(path, "wb") as sparse:
        sparse.truncate(2 << 20)
    code, out, err = run_dsp(tmp_path, capsys=capsys)
    assert (code, out) == (1, "")
    assert "2097152 bytes is too large for a pyproject.toml (limit 1048576" in err
