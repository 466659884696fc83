"""use_feast: the pipeline trains on features read through Feast at a lakeFS commit.

The features step (`read_features`, a `@step` of the package's features.py)
replaces the download: its component is generated and in sync, the compiled
DAG feeds its CSV and record to train, and `make pipeline-local` runs it from
the steps image's layout (feature_repo/ at IRIS_FEATURE_REPO, the `features`
extra). moto's S3 server stands for lakeFS's S3 gateway, as in
test_generate_feast.py: the run at a commit id trains on that commit's values
and the model's ormbfile.yaml names that commit.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.test_generate_feast import NEEDS_FEAST
from tests.integration.test_pipeline_local import S3_ENV, make_local
from tests.support.paths import REPO_ROOT
from tests.support.servers import moto_s3
from tests.support.template import bake

REPOSITORY = "iris-classifier"
COMMIT = "d4" * 32  # a lakeFS commit id: 64 hex digits
STEP = "read-features"
TRAIN = "train-ormb-model"
S3_CLIENT = {
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
    "region_name": "us-east-1",
}


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("feast-pipeline")
    return {
        "feast": bake(root / "feast", use_feast=True),
        "default": bake(root / "default"),
    }


def dsp(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "precommit_hooks", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )


def test_the_features_step_and_its_component_exist_only_with_feast(baked):
    feast, default = baked["feast"], baked["default"]
    assert (feast / "workflows/components" / STEP / "component.yaml").is_file()
    assert not (default / "workflows/components" / STEP).exists()
    for project in (feast, default):
        checked = dsp(project, "components", "generate", "--check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
    dockerfile = (feast / "Dockerfile").read_text()
    assert 'pip install --no-cache-dir "/build[features]"' in dockerfile
    assert "COPY feature_repo /app/feature_repo" in dockerfile
    assert "ENV IRIS_FEATURE_REPO=/app/feature_repo" in dockerfile
    assert "feature_repo" not in (default / "Dockerfile").read_text()
    # The local features (and Feast's registry) stay out of the image.
    assert "feature_repo/data/" in (feast / ".dockerignore").read_text().split()


def test_the_compiled_pipeline_feeds_the_features_step_to_train(baked, tmp_path):
    project = baked["feast"]
    output = tmp_path / "pipeline.yaml"
    kfp = Path(sys.executable).parent / "kfp"
    compiled = subprocess.run(
        [str(kfp), "dsl", "compile", "--py", "workflows/iris_pipeline.py"]
        + ["--output", str(output)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stderr
    ir, platform = yaml.safe_load_all(output.read_text())
    tasks = ir["root"]["dag"]["tasks"]
    assert set(tasks) == {STEP, "profile-data", TRAIN, "promote-model"}
    features = {"producerTask": STEP}
    train = tasks[TRAIN]["inputs"]["artifacts"]
    assert train["data"]["taskOutputArtifact"] == {
        **features,
        "outputArtifactKey": "data",
    }
    assert train["data_record"]["taskOutputArtifact"] == {
        **features,
        "outputArtifactKey": "record",
    }
    promote = tasks["promote-model"]["inputs"]["artifacts"]
    assert promote["data_record"]["taskOutputArtifact"]["producerTask"] == STEP
    profile = tasks["profile-data"]["inputs"]["artifacts"]["data"]
    assert profile["taskOutputArtifact"]["producerTask"] == STEP
    step = tasks[STEP]["inputs"]["parameters"]
    assert step["features_ref"] == {"componentInputParameter": "features_ref"}
    parameters = ir["root"]["inputDefinitions"]["parameters"]
    assert parameters["features_ref"].get("defaultValue", "") == ""
    assert "source" not in parameters
    # The step reads lakeFS with the same secret as the download step would.
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    [secret] = executors[f"exec-{STEP}"]["secretAsEnv"]
    assert secret["secretName"] == "lakefs-credentials"
    container = ir["deploymentSpec"]["executors"][f"exec-{STEP}"]["container"]
    assert container["image"] == "harbor.example.com/dsp/iris-classifier-steps:0.1.0"
    assert container["command"][-1] == "iris_classifier.features:read_features"


def put_features(client, scale: float) -> None:
    """The iris features, every measurement times `scale`, at COMMIT."""
    import pandas as pd
    from sklearn.datasets import load_iris

    iris = load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    table = pd.DataFrame(iris.data * scale, columns=names)
    table.insert(0, "flower_id", range(1, len(table) + 1))
    table["species"] = [iris.target_names[target] for target in iris.target]
    table["event_timestamp"] = pd.Timestamp("2024-01-01", tz="UTC")
    body = io.BytesIO()
    table.to_parquet(body, index=False)
    client.create_bucket(Bucket=REPOSITORY)
    key = f"{COMMIT}/features/iris.parquet"
    client.put_object(Bucket=REPOSITORY, Key=key, Body=body.getvalue())


def run_outputs(project: Path) -> tuple[dict, dict, dict]:
    """The latest run's ormbfile, features record and data profile."""
    run = project / ".pipeline-local" / "latest"
    ormb = json.loads((run / TRAIN / "model" / "ormbfile.yaml").read_text())
    record = json.loads((run / STEP / "record").read_text())
    profile = json.loads((run / "profile-data" / "profile").read_text())
    return ormb, record, profile


@NEEDS_FEAST
@pytest.mark.slow
def test_pipeline_local_trains_on_the_features_and_records_their_commit(baked):
    import boto3

    project = baked["feast"]
    local = make_local(project)
    assert local.returncode == 0, local.stdout + local.stderr
    ormb, record, profile = run_outputs(project)
    source = record["source"]
    assert source.endswith("/images/steps/app/feature_repo/data/iris.parquet")
    assert ormb["dataset"]["git"] == {"repository": source}  # no commit pinned
    assert profile["features"]["sepal_length"]["max"] == pytest.approx(7.9)

    with moto_s3() as endpoint:
        client = boto3.client("s3", endpoint_url=endpoint, **S3_CLIENT)
        put_features(client, scale=2.0)
        pinned = make_local(
            project,
            f"IRIS_FEATURES_REF={COMMIT}",
            f"LAKEFS_ENDPOINT={endpoint}",
            env=S3_ENV,
        )
        assert pinned.returncode == 0, pinned.stdout + pinned.stderr
        ormb, record, profile = run_outputs(project)  # before the next run
        missing = make_local(
            project,
            f"IRIS_FEATURES_REF={'e' * 64}",
            f"LAKEFS_ENDPOINT={endpoint}",
            env=S3_ENV,
        )
    # A commit without the features: one line naming the file and the fix (the
    # runner clips it; the step's log holds it whole).
    assert missing.returncode != 0
    message = missing.stderr.strip().splitlines()[-2]  # make's own line is last
    assert message.startswith(f"dsp pipeline: step '{STEP}' failed (exit 1)")
    log = re.search(r"\(full log: (\S+)\)$", message)[1]
    assert (project / log).read_text() == (
        f"iris_classifier.features:read_features: no features at {REPOSITORY}/"
        f"{'e' * 64}/features/iris.parquet; features_ref must be a lakeFS commit "
        f"holding features/iris.parquet, not '{'e' * 64}'\n"
    )
    uri = f"s3://{REPOSITORY}/{COMMIT}/features/iris.parquet"
    assert (record["source"], record["commit_id"], record["rows"]) == (uri, COMMIT, 150)
    assert ormb["dataset"]["git"] == {"repository": uri, "revision": COMMIT}
    assert ormb["labels"]["io.lakefs.commit"] == COMMIT
    # Trained on that commit's values: every measurement doubled.
    assert profile["features"]["sepal_length"]["max"] == pytest.approx(15.8)
