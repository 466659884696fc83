"""``dsp monitor`` on a model pushed to and pulled from a real registry.

The profile travels with the model (``dsp model push --model ...
--model reference_profile.json``); the pulled directory is the reference,
and the model's age comes from the ``created`` date of its ORMB config.
"""

from __future__ import annotations

import datetime as dt
import json

from precommit_hooks import cli
from tests.support.servers import docker_registry
from tests.unit.lifecycle.monitor_support import (
    FEATURES,
    sample_rows,
    write_csv,
    write_reference,
)


def test_a_pulled_model_is_monitored_with_its_created_date(tmp_path, capsys):
    trained = tmp_path / "artifacts"
    trained.mkdir()
    profile = write_reference(trained)
    model = trained / "model.joblib"
    model.write_bytes(b"a model")
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.dsp.monitor]\nmax_model_age_days = 1\n")
    rows, labels = sample_rows(200)
    good = write_csv(tmp_path / "good.csv", rows, {"prediction": list(labels)})
    moved = rows.copy()
    moved[:, FEATURES.index("petal_length")] += 10
    bad = write_csv(tmp_path / "bad.csv", moved)
    pulled = tmp_path / "pulled"
    (tmp_path / "registry").mkdir()
    with docker_registry(tmp_path / "registry") as host:
        reference = f"{host}/iris-model:current"
        push = ["model", "push", reference, "--model", str(model)]
        assert cli.main([*push, "--model", str(profile), "--git-revision", "abc"]) == 0
        assert cli.main(["model", "pull", reference, "--output", str(pulled)]) == 0
    capsys.readouterr()
    created = json.loads((pulled / "ormb-config.json").read_text())["created"]
    monitor = ["monitor", "--reference", str(pulled), "--config", str(config)]
    assert cli.main([*monitor, "--batch", str(good), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["freshness"]["model"]["date"] == created
    assert report["reference"].endswith("reference_profile.json")
    assert cli.main([*monitor, "--batch", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL petal_length: 100.0% of rows outside the training range" in out
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    assert cli.main([*monitor, "--batch", str(good), "--now", later.isoformat()]) == 1
    assert "FAIL model is 3.0 days old, over the 1-day limit" in capsys.readouterr().out
    # The profile came back byte for byte beside the model.
    assert (pulled / "model" / "reference_profile.json").read_bytes() == (
        profile.read_bytes()
    )
