"""The reference profile describes the training data monitoring compares with."""

import json

import numpy as np

from {{ cookiecutter.package_name }}.data import (
    FEATURES,
    load_bundled,
)
from {{ cookiecutter.package_name }}.profile import (
    FORMAT,
    LEVELS,
    build_profile,
)


def test_training_writes_the_profile_of_its_training_split(trained):
    profile = json.loads(trained["reference_profile"].read_text())
    assert profile["format"] == FORMAT
    assert profile["rows"] == 105  # 70% of the 150 flowers
    assert set(profile["features"]) == set(FEATURES)
    assert sorted(profile["classes"]) == ["setosa", "versicolor", "virginica"]
    assert abs(sum(profile["classes"].values()) - 1) < 1e-9


def test_quantiles_run_from_min_to_max_in_order():
    iris = load_bundled()
    profile = build_profile(iris.features, iris.labels, FEATURES, "species")
    petal = profile["features"]["petal_length"]
    assert len(petal["quantiles"]) == len(LEVELS) == 101
    assert petal["quantiles"][0] == petal["min"] == 1.0
    assert petal["quantiles"][-1] == petal["max"] == 6.9
    assert petal["quantiles"][50] == float(np.median(iris.features[:, 2]))
    assert petal["quantiles"] == sorted(petal["quantiles"])
    assert profile["classes"] == {
        "setosa": 1 / 3,
        "versicolor": 1 / 3,
        "virginica": 1 / 3,
    }
    assert "data" not in profile


def test_the_data_record_is_kept_when_given():
    iris = load_bundled()
    record = {"source": "lakefs://iris/main/iris.csv", "commit_id": "c0ffee"}
    profile = build_profile(iris.features, iris.labels, FEATURES, "species", record)
    assert profile["data"] == record
