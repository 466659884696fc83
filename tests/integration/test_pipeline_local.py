"""`make pipeline-local` in baked projects: the whole pipeline, no Docker, no cluster.

Each bake runs its own Makefile target, which runs `dsp pipeline local`: the
real kfp compiler, the components' own Dockerfiles and docker-compose.yaml,
the components' code as shipped.  moto's S3 server stands for lakeFS's S3
gateway (bucket = lakeFS repository, key = <commit>/<path>); a commit id as
the ref reads the object without the lakeFS API, which moto does not serve.

Options that change the pipeline or its components are baked: the project
name (package, image names and the pipeline's name), the registry (image
names, with a port), the lakeFS repository and endpoint (the pipeline's
defaults), the author and description (component and package metadata),
license (package metadata the train image installs) and use_tekton (the
compose file's comments).  python_version changes only the images' base,
which a local run does not use (a variant bakes 3.13 all the same);
use_github_actions changes neither.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT
from tests.support.servers import moto_s3
from tests.support.template import bake

COMMIT = "c" * 64  # lakeFS commit ids are hex SHA-256 digests
TRAIN = "train-ormb-model"
DOWNLOAD = "lakefs-download-file"


def iris_csv() -> bytes:
    """The 150 iris rows scikit-learn ships, as the project's CSV format."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    lines = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for row, target in zip(iris.data, iris.target):
        values = ",".join(f"{value:g}" for value in row)
        lines.append(f"{values},{iris.target_names[target]}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """moto's S3 server and a client to fill it."""
    import boto3

    with moto_s3() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        yield endpoint, client


def venv_python(project: Path) -> None:
    """`.venv/bin/python` running this interpreter, as `make install` leaves one.

    The Makefile's own relative PYTHON then reaches `dsp pipeline local`, as a
    user's does (the steps run in other folders: a relative path must work).
    """
    python = project / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)


def make_local(project: Path, *variables: str, env: dict | None = None):
    """`make pipeline-local` with this interpreter standing for the project's .venv."""
    venv_python(project)
    command = [
        "make",
        "--no-print-directory",
        "pipeline-local",
        f"DSP={sys.executable} -m precommit_hooks",
        *variables,
    ]
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_", "AWS_"))
    }
    clean["PYTHONPATH"] = str(REPO_ROOT)  # `python -m precommit_hooks` from here
    return subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=600,
    )


def assert_trained(project: Path, result, expected_source: str) -> dict:
    """The run passed and left the ORMB directory and metrics where it said."""
    assert result.returncode == 0, result.stdout + result.stderr
    run = project / ".pipeline-local" / "latest"
    model = run / TRAIN / "model"
    metrics = json.loads((run / TRAIN / "metrics").read_text())
    ormb = json.loads((model / "ormbfile.yaml").read_text())
    assert (model / "model" / "model.joblib").stat().st_size > 0
    assert 0.8 <= metrics["accuracy"] <= 1.0
    assert ormb["dataset"]["git"]["repository"] == expected_source
    assert ormb["format"] == "SKLearn"
    # The summary names the model directory and the metrics file.
    for output in ("model", "metrics"):
        line = rf"^{TRAIN}\s+{output}\s+\.pipeline-local/\S+/{TRAIN}/{output}$"
        assert re.search(line, result.stdout, re.MULTILINE), result.stdout
    return ormb


def put_data(client, repository: str) -> str:
    client.create_bucket(Bucket=repository)
    client.put_object(Bucket=repository, Key=f"{COMMIT}/data/iris.csv", Body=iris_csv())
    return f"lakefs://{repository}/{COMMIT}/data/iris.csv"


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.mark.slow
def test_default_project_trains_from_s3(tmp_path, s3):
    endpoint, client = s3
    project = bake(tmp_path)
    source = put_data(client, "iris-classifier")
    result = make_local(
        project,
        f"ARGS=source={source} C=0.5 seed=7",
        f"LAKEFS_ENDPOINT={endpoint}",
        env=S3_ENV,
    )
    ormb = assert_trained(project, result, source)
    assert ormb["dataset"]["git"]["revision"] == COMMIT
    assert ormb["labels"]["io.lakefs.commit"] == COMMIT
    assert {"name": "C", "value": "0.5"} in ormb["hyperParameters"]
    assert {"name": "seed", "value": "7"} in ormb["hyperParameters"]
    # The code that ran is the code the image holds: the staged copy.
    staged = project / ".pipeline-local" / "latest" / "images"
    assert (staged / "train-ormb-component" / "app" / "train.py").is_file()
    assert (staged / "train-ormb-component" / ".site" / "iris_classifier").is_dir()
    assert not (staged / "train-ormb-component" / "build").exists()  # rm -rf /build
    assert ormb["author"] == "Ada Lovelace <ada@example.com>"


# (answers, the lakeFS repository and package name they give)
VARIANTS = [
    (
        {
            "project_name": "3D Iris Lab",
            "container_registry": "localhost:5000/ml-team",
            "lakefs_repository": "petals",
            "lakefs_endpoint": "https://lakefs.internal:8443",
            "use_tekton": False,
            "author_name": 'O\'Brien "Bob" \\ Ünïcode',
            "author_email": "countess@example.org",
            "description": "Ends in a backslash \\ with \"quotes\", '''3''' & ü",
        },
        "petals",
        "ml_3d_iris_lab",
    ),
    (
        {
            "project_name": "Café \"Quoted\" 'Single' \\Back\\slash ../x $(id) a: b #c",
            "container_registry": "registry.example.org",
            "use_tekton": True,
            "use_github_actions": False,
            "license": "Proprietary",
            "python_version": "3.13",
        },
        "cafe-quoted-single-back-slash-x-id-a-b-c",
        "cafe_quoted_single_back_slash_x_id_a_b_c",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "answers,repository,package", VARIANTS, ids=[v[2] for v in VARIANTS]
)
def test_baked_options_train_from_s3(tmp_path, s3, answers, repository, package):
    endpoint, client = s3
    project = bake(tmp_path, **answers)
    source = put_data(client, repository)
    result = make_local(
        project, f"ARGS=source={source}", f"LAKEFS_ENDPOINT={endpoint}", env=S3_ENV
    )
    ormb = assert_trained(project, result, source)
    assert ormb["dataset"]["git"]["revision"] == COMMIT
    assert ormb["labels"]["io.lakefs.commit"] == COMMIT
    # The project's metadata, as `pip install` put it in the train image.
    author = answers.get("author_name", "Ada Lovelace")
    email = answers.get("author_email", "ada@example.com")
    assert ormb["author"] == f"{author} <{email}>"
    if "description" in answers:
        assert ormb["description"] == answers["description"]
    site = project / ".pipeline-local" / "latest" / "images"
    assert (site / "train-ormb-component" / ".site" / package).is_dir()


@pytest.mark.slow
def test_local_file_shortcut_and_a_failing_step(tmp_path):
    project = bake(tmp_path)
    data = project / "data" / "iris.csv"
    data.parent.mkdir()
    data.write_bytes(iris_csv())
    result = make_local(project, "DATA=data/iris.csv", "ARGS=max_iter=300")
    ormb = assert_trained(project, result, f"file://{data}")
    assert {"name": "max_iter", "value": "300"} in ormb["hyperParameters"]

    failed = make_local(project, "DATA=data/iris.csv", "ARGS=C=-1")
    assert failed.returncode != 0
    message = failed.stderr.strip().splitlines()[-2]  # make's own line is last
    assert message.startswith(f"dsp pipeline: step '{TRAIN}' failed (exit 2)")
    assert "'-1' must be greater than 0" in message

    no_dsp = make_local(project, "DATA=data/iris.csv", "DSP=/no/dsp")
    assert no_dsp.returncode != 0
    assert "pipeline-local: /no/dsp not found; run make install first" in (
        no_dsp.stderr
    )

    missing = make_local(project, "DATA=data/none.csv")
    assert missing.returncode != 0
    assert f"no data file at {project}/data/none.csv" in missing.stderr
