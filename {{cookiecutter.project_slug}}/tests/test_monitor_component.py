"""The monitor-model component runs the real `dsp monitor` on a batch."""

import csv
import json
import shutil
from pathlib import Path

from {{ cookiecutter.package_name }}.data import (
    FEATURES,
    load_bundled,
)

ROOT = Path(__file__).resolve().parent.parent


def write_batch(path, shift=0.0):
    """The bundled flowers as a production batch; `shift` moves petal_width."""
    iris = load_bundled()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FEATURES, "prediction"])
        for row, label in zip(iris.features.tolist(), iris.labels):
            writer.writerow([*row[:3], row[3] + shift, label])
    return path


def run(component, trained, batch, tmp_path, *extra):
    report, markdown = tmp_path / "out" / "report.json", tmp_path / "out" / "summary"
    code = component.main(
        [
            "--model-dir",
            str(trained["reference_profile"].parent),
            "--batch",
            str(batch),
            "--config",
            str(ROOT / "pyproject.toml"),
            "--report",
            str(report),
            "--markdown",
            str(markdown),
            *extra,
        ]
    )
    return code, report, markdown


def test_the_training_data_is_within_limits(monitor_component, trained, tmp_path):
    batch = write_batch(tmp_path / "batch.csv")
    code, report, markdown = run(
        monitor_component, trained, batch, tmp_path, "--data-date", "2999-01-01"
    )
    assert code == 0
    assert json.loads(report.read_text())["passed"] is True
    assert markdown.read_text().startswith("### Monitoring: within limits")


def test_a_shifted_feature_fails_the_step(monitor_component, trained, tmp_path):
    batch = write_batch(tmp_path / "batch.csv", shift=5.0)
    code, report, markdown = run(monitor_component, trained, batch, tmp_path)
    assert code == 1
    failures = json.loads(report.read_text())["failures"]
    assert failures and all(f.startswith("petal_width") for f in failures)
    assert "petal_width" in markdown.read_text()


def test_bad_input_is_one_error_line(monitor_component, trained, tmp_path, capsys):
    batch = tmp_path / "batch.csv"
    batch.write_text("sepal_length\n1\n")
    code, report, _ = run(monitor_component, trained, batch, tmp_path)
    assert code == 1 and not report.exists()
    assert capsys.readouterr().err.startswith("error: dsp monitor: ")


def test_the_data_date_needs_a_model_that_names_its_data(
    monitor_component, trained, tmp_path, capsys
):
    batch = write_batch(tmp_path / "batch.csv")
    code, report, _ = run(
        monitor_component,
        trained,
        batch,
        tmp_path,
        "--lakefs-endpoint",
        "http://127.0.0.1:9",
    )
    assert code == 1 and not report.exists()
    assert "names no dataset commit" in capsys.readouterr().err


def test_an_unreachable_registry_is_one_error_line(monitor_component, tmp_path, capsys):
    code = monitor_component.main(
        [
            "--model-reference",
            "127.0.0.1:9/iris-model:current",
            "--batch",
            str(write_batch(tmp_path / "b.csv")),
            "--report",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "s"),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.startswith("error: dsp model: ")


def test_a_pulled_model_is_monitored(monitor_component, trained, tmp_path, monkeypatch):
    """The pull's own checks run against a real registry in dsp's tests; here
    `dsp model pull` is replaced by a copy of the trained model directory."""
    real = monitor_component.dsp

    def dsp(*args):
        if args[:2] == ("model", "pull"):
            shutil.copytree(
                trained["reference_profile"].parent, args[4], dirs_exist_ok=True
            )
            return real("--version")
        return real(*args)

    monkeypatch.setattr(monitor_component, "dsp", dsp)
    code = monitor_component.main(
        [
            "--model-reference",
            "registry.example.com/iris-model:current",
            "--batch",
            str(write_batch(tmp_path / "b.csv")),
            "--config",
            str(ROOT / "pyproject.toml"),
            "--report",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "s"),
        ]
    )
    assert code == 0
