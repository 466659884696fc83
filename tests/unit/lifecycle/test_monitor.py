"""``dsp monitor``: a batch from the training distribution passes, a shifted
feature fails by name; every format; freshness; one line for bad input.

The reference profile is written by the generated project's own profile.py
from the real iris data, so the format the template writes is the format the
command reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from precommit_hooks import cli
from tests.unit.lifecycle.monitor_support import (
    FEATURES,
    sample_rows,
    write_csv,
    write_jsonl,
    write_reference,
)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["monitor", "--config", "/nonexistent/pyproject.toml", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def reference(tmp_path) -> Path:
    return write_reference(tmp_path)


def shifted(rows, feature: str, by: float):
    rows = rows.copy()
    rows[:, FEATURES.index(feature)] += by
    return rows


def test_a_sample_of_the_training_distribution_passes(tmp_path, reference, capsys):
    rows, labels = sample_rows(300)
    batch = write_csv(tmp_path / "batch.csv", rows, {"prediction": list(labels)})
    code, out, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "within limits"
    assert "FAIL" not in out


def test_a_feature_shifted_out_of_range_fails_by_name(tmp_path, reference, capsys):
    rows, _ = sample_rows(300)
    batch = write_csv(tmp_path / "batch.csv", shifted(rows, "petal_width", 3.0))
    code, out, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert code == 1 and err == ""
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert failures and all("petal_width" in line for line in failures)
    assert any("100.0% of rows outside the training range" in f for f in failures)
    table = {line.split()[0]: line.split()[-1] for line in out.splitlines()[2:6]}
    assert table == {
        "sepal_length": "ok",
        "sepal_width": "ok",
        "petal_length": "ok",
        "petal_width": "FAIL",
    }


def test_a_small_shift_inside_the_range_is_drift_not_domain(
    tmp_path, reference, capsys
):
    rows, _ = sample_rows(400)
    # Setosa petals are short: lengthening them stays inside [1.0, 6.9].
    batch = write_csv(tmp_path / "b.csv", shifted(rows, "petal_length", 0.8))
    code, out, _ = run(
        capsys, "--reference", str(reference), "--batch", str(batch), "--format", "json"
    )
    report = json.loads(out)
    petal = next(f for f in report["features"] if f["name"] == "petal_length")
    assert code == 1 and not petal["passed"]
    assert petal["p_value"] < 1e-6 and petal["psi"] > 0.25
    assert any(f.startswith("petal_length: drifted") for f in report["failures"])
    assert all(f["passed"] for f in report["features"] if f["name"] != "petal_length")


def test_csv_and_json_lines_give_the_same_report(tmp_path, reference, capsys):
    rows, labels = sample_rows(200)
    extra = {"prediction": list(labels), "label": list(labels)}
    reports = []
    for path in (
        write_csv(tmp_path / "b.csv", rows, extra),
        write_jsonl(tmp_path / "b.jsonl", rows, extra),
    ):
        code, out, _ = run(
            capsys,
            "--reference",
            str(reference),
            "--batch",
            str(path),
            "--format",
            "json",
        )
        report = json.loads(out)
        reports.append({k: v for k, v in report.items() if k != "batch"})
    assert reports[0] == reports[1]
    assert reports[0]["accuracy"] == 1.0 and reports[0]["rows"] == 200


def test_json_lists_the_rows_to_record(tmp_path, reference, capsys):
    rows, labels = sample_rows(50)
    rows[[3, 7], FEATURES.index("sepal_width")] = 9.0  # two rows out of the domain
    predictions = list(labels)
    predictions[10] = "virginica" if labels[10] != "virginica" else "setosa"
    batch = write_csv(
        tmp_path / "b.csv", rows, {"prediction": predictions, "label": list(labels)}
    )
    code, out, _ = run(
        capsys, "--reference", str(reference), "--batch", str(batch), "--format", "json"
    )
    report = json.loads(out)
    assert code == 1 and report["format"] == "dsp-monitor-report/1"
    assert [case["line"] for case in report["cases"]] == [5, 9, 12]
    assert report["cases"][0]["reasons"] == ["sepal_width outside the training range"]
    assert report["cases"][0]["input"]["sepal_width"] == 9.0
    assert report["cases"][2]["reasons"] == [
        f"predicted {predictions[10]}, labelled {labels[10]}"
    ]
    assert report["accuracy"] == pytest.approx(49 / 50)


def test_markdown_is_a_table(tmp_path, reference, capsys):
    rows, _ = sample_rows(100)
    batch = write_csv(tmp_path / "b.csv", shifted(rows, "sepal_length", -10))
    code, out, _ = run(
        capsys,
        "--reference",
        str(reference),
        "--batch",
        str(batch),
        "--format",
        "markdown",
    )
    assert code == 1
    assert out.startswith("### Monitoring: **limits exceeded**")
    assert "| feature | KS | p-value | PSI | outside | verdict |" in out
    assert "| sepal_length | 1.000 |" in out
    assert "- :x: sepal_length: 100.0% of rows outside" in out


def test_prediction_drift_and_unknown_classes_fail(tmp_path, reference, capsys):
    rows, _ = sample_rows(300)
    all_setosa = write_csv(tmp_path / "a.csv", rows, {"prediction": ["setosa"] * 300})
    code, out, _ = run(
        capsys, "--reference", str(reference), "--batch", str(all_setosa)
    )
    assert code == 1 and "FAIL predictions: class shares drifted" in out
    unknown = write_csv(tmp_path / "u.csv", rows, {"prediction": ["rose"] * 300})
    code, out, _ = run(capsys, "--reference", str(reference), "--batch", str(unknown))
    assert code == 1 and "FAIL predictions: class(es) rose never seen" in out


def write_config(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.dsp.monitor]\n" + body)
    return config


def test_freshness_limits_come_from_the_config(tmp_path, capsys):
    model = tmp_path / "model"
    model.mkdir()
    write_reference(model, {"commit_id": "c0ffee", "committed": "2026-10-01T00:00:00Z"})
    (model / "ormb-config.json").write_text(json.dumps({"created": "2026-11-20"}))
    config = write_config(
        tmp_path,
        'reference = "model"\nmax_data_age_days = 30\nmax_model_age_days = 30\n',
    )
    rows, _ = sample_rows(100)
    batch = write_csv(tmp_path / "b.csv", rows)
    args = ["monitor", "--config", str(config), "--batch", str(batch)]
    code = cli.main([*args, "--now", "2026-12-01T00:00:00Z"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL data is 61.0 days old, over the 30-day limit" in out
    assert "model age: 11 days (limit 30)" in out
    code = cli.main([*args, "--now", "2026-12-01", "--data-date", "2026-11-30"])
    assert code == 0 and "data age: 1 days" in capsys.readouterr().out


def test_an_unknown_config_key_is_one_line(tmp_path, reference, capsys):
    config = write_config(tmp_path, "max_outside_shares = 0.1\n")
    batch = write_csv(tmp_path / "b.csv", sample_rows(10)[0])
    code = cli.main(
        [
            "monitor",
            "--config",
            str(config),
            "--reference",
            str(reference),
            "--batch",
            str(batch),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "unknown key 'max_outside_shares' (did you mean 'max_outside_share'?)" in err


def test_a_stricter_domain_limit_from_the_config(tmp_path, reference, capsys):
    rows, _ = sample_rows(100)
    rows[0, 0] = 99.0  # 1% of rows outside
    batch = write_csv(tmp_path / "b.csv", rows)
    args = ["monitor", "--reference", str(reference), "--batch", str(batch)]
    assert cli.main([*args, "--config", "/none"]) == 0
    config = write_config(tmp_path, "max_outside_share = 0.005\n")
    assert cli.main([*args, "--config", str(config)]) == 1
    assert "sepal_length: 1.0% of rows outside" in capsys.readouterr().out


BAD_BATCHES = {
    "empty": ("", "the batch is empty"),
    "header only": (",".join(FEATURES) + "\n", "no rows after the header"),
    "wrong columns": (
        "sepal_length,sepal_width,petal_length,petal_widht\n1,2,3,4\n",
        "no column petal_width (did you mean 'petal_widht'?)",
    ),
    "non-numeric": (
        ",".join(FEATURES) + "\n5,3,1,0.2\n5,3,abc,0.2\n",
        "b.csv:3: petal_length is 'abc', not a finite number",
    ),
    "nan": (
        ",".join(FEATURES) + "\n5,3,1,nan\n",
        "b.csv:2: petal_width is 'nan', not a finite number",
    ),
    "ragged": (
        ",".join(FEATURES) + "\n5,3,1,0.2\n5,3,1\n",
        "b.csv:3: 3 fields, the header has 4",
    ),
}


@pytest.mark.parametrize("name", BAD_BATCHES)
def test_bad_csv_is_one_line_and_writes_nothing(tmp_path, reference, capsys, name):
    text, message = BAD_BATCHES[name]
    batch = tmp_path / "b.csv"
    batch.write_text(text)
    output = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "--reference",
        str(reference),
        "--batch",
        str(batch),
        "--output",
        str(output),
    )
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not output.exists()


BAD_JSONL = {
    "not json": ('{"sepal_length": 1,\n', "b.jsonl:1: not valid JSON"),
    "not an object": ("[1, 2]\n", "b.jsonl:1: each line must be a JSON object"),
    "string value": (
        json.dumps(dict.fromkeys(FEATURES, 1.0) | {"petal_width": "0.2"}) + "\n",
        "b.jsonl:1: petal_width is '0.2', not a finite number",
    ),
    "boolean value": (
        json.dumps(dict.fromkeys(FEATURES, 1.0))
        + "\n"
        + json.dumps(dict.fromkeys(FEATURES, 1.0) | {"sepal_width": True})
        + "\n",
        "b.jsonl:2: sepal_width is True, not a finite number",
    ),
    "missing key": (
        json.dumps(dict.fromkeys(FEATURES, 1.0))
        + "\n"
        + json.dumps(dict.fromkeys(FEATURES[:3], 1.0))
        + "\n",
        "b.jsonl:2: no petal_width; every row needs it",
    ),
}


@pytest.mark.parametrize("name", BAD_JSONL)
def test_bad_json_lines_are_one_line(tmp_path, reference, capsys, name):
    text, message = BAD_JSONL[name]
    batch = tmp_path / "b.jsonl"
    batch.write_text(text)
    code, out, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and message in err


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path, reference, capsys):
    batch = write_csv(tmp_path / "b.csv", sample_rows(50)[0])
    batch.write_bytes(b"\xef\xbb\xbf" + batch.read_bytes())
    code, out, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert (code, err) == (0, "") and "sepal_length" in out


def test_a_batch_over_the_size_cap_is_refused_unread(tmp_path, reference, capsys):
    batch = write_csv(tmp_path / "b.csv", sample_rows(100)[0])
    code, out, err = run(
        capsys,
        "--reference",
        str(reference),
        "--batch",
        str(batch),
        "--max-bytes",
        "1000",
    )
    assert (code, out) == (1, "")
    assert (
        "bytes is over the 1000-byte cap; split the batch or raise --max-bytes" in err
    )


def test_not_utf8_and_a_folder_are_refused(tmp_path, reference, capsys):
    batch = tmp_path / "b.csv"
    batch.write_bytes(b"sepal_length\n\xff\xfe\n")
    code, _, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert code == 1 and "not UTF-8 text" in err
    code, _, err = run(capsys, "--reference", str(reference), "--batch", str(tmp_path))
    assert code == 1 and "is a folder, not a file" in err


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file or folder; name the reference_profile.json"),
        ("folder", "no reference_profile.json in the folder"),
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not a reference profile"),
        (
            json.dumps(
                {
                    "format": "dsp-reference-profile/1",
                    "rows": 3,
                    "quantile_levels": [0, 0.5, 1],
                    "features": {"x": {"min": 0, "max": 1, "quantiles": [0, 2, 1]}},
                }
            ),
            "features.x.quantiles must be in increasing order",
        ),
    ],
)
def test_a_bad_reference_is_one_line(tmp_path, capsys, content, message):
    reference = tmp_path / "ref"
    if content == "folder":
        reference.mkdir()
    elif content is not None:
        reference.write_text(content)
    batch = write_csv(tmp_path / "b.csv", sample_rows(5)[0])
    code, out, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and message in err


def test_without_numpy_one_line_names_the_extra(
    tmp_path, reference, capsys, monkeypatch
):
    monkeypatch.setitem(__import__("sys").modules, "numpy", None)
    batch = write_csv(tmp_path / "b.csv", sample_rows(5)[0])
    code, out, err = run(capsys, "--reference", str(reference), "--batch", str(batch))
    assert (code, out) == (1, "")
    assert err == (
        "dsp monitor: dsp monitor needs numpy (numpy is missing): "
        "pip install 'dsp-template[monitor]'\n"
    )


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["monitor", "--reference", "x"])
    assert exit_.value.code == 2
    assert "--batch" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--batch", "--reference", "--output"])
def test_an_empty_path_is_a_usage_error_not_the_current_folder(capsys, option):
    """`make monitor` without BATCH passes --batch '': Path('') would be '.'."""
    argv = ["monitor", "--batch", "b.csv", option, ""]
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"argument {option}: is empty; name a file")


def test_numpy_and_scipy_load_only_when_a_batch_is_checked():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from precommit_hooks.cli import build_parser\n"
        "build_parser('monitor'); build_parser('regression')\n"
        "import precommit_hooks.lifecycle.monitor.record_from\n"
        "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout == "[]\n"


def test_checking_a_batch_never_imports_scipy(tmp_path, reference):
    """scipy's import alone costs more than a 100,000-row batch: numpy only."""
    import subprocess
    import sys

    batch = write_csv(tmp_path / "b.csv", sample_rows(300)[0])
    code = (
        "import sys\n"
        "from precommit_hooks.cli import main\n"
        f"code = main(['monitor', '--reference', {str(reference)!r}, "
        f"'--batch', {str(batch)!r}, '--config', '/none'])\n"
        "print(code, 'numpy' in sys.modules, 'scipy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 True False"


def test_lakefs_needs_a_model_that_names_its_data(tmp_path, reference, capsys):
    batch = write_csv(tmp_path / "b.csv", sample_rows(20)[0])
    code, out, err = run(
        capsys, "--reference", str(reference), "--batch", str(batch),
        "--lakefs-endpoint", "http://127.0.0.1:9",
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert "names no dataset commit (ORMB config dataset.git)" in err
