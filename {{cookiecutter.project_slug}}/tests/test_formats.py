"""The formats this project shares with `dsp`: atomic writes and ORMB's config."""

import os
import stat

import pytest

from {{ cookiecutter.package_name }} import (
    atomic,
    evaluate,
    ormb_format,
)


def test_artifacts_get_the_mode_open_would_give(trained, tmp_path):
    reference = tmp_path / "reference"
    reference.write_text("x")  # what open() gives under this umask
    expected = stat.S_IMODE(reference.stat().st_mode)
    for name in ("model", "metrics", "hyperparams", "confusion_matrix"):
        assert stat.S_IMODE(trained[name].stat().st_mode) == expected, name


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    os.chmod(target, 0o640)

    def broken(stream):
        stream.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        evaluate.write_atomically(target, broken)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["metrics.json"]
    atomic.write_atomic_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # an existing mode is kept


def test_the_ormb_config_keeps_only_finite_top_level_numbers():
    metrics = {"accuracy": 0.9, "n": 3, "ok": True, "per_class": {}, "bad": 1e400}
    metrics["huge"] = 10**400
    config = ormb_format.model_config(
        framework="scikit-learn",
        model_format="SKLearn",
        size=1,
        metrics=metrics,
        hyperparameters={"C": 1.0, "solver": "lbfgs"},
        git_revision="abc",
        dataset_commit="c1",
        author="Ada <ada@example.com>",
        created="2026-01-01T00:00:00Z",
    )
    assert config["metrics"] == {
        "validation": [
            {"name": "accuracy", "value": "0.9"},
            {"name": "n", "value": "3"},
        ]
    }
    assert config["hyperParameters"] == [
        {"name": "C", "value": "1.0"},
        {"name": "solver", "value": "lbfgs"},
    ]
    assert config["author"] == "Ada <ada@example.com>"
    assert config["training"] == {"git": {"revision": "abc"}}
    assert config["dataset"] == {"git": {"revision": "c1"}}
    assert config["labels"] == {"io.lakefs.commit": "c1"}
    assert config["created"] == "2026-01-01T00:00:00Z"
    bare = ormb_format.model_config(framework="f", model_format="m", size=0)
    assert set(bare) == {"created", "framework", "format", "size"}
