"""use_feast: feature_repo/ wired to lakeFS at a ref, and Feast reading it.

The file checks need no Feast. The test that reads the features at two
commits through the S3 server the tests start (moto, standing for lakeFS's
S3 gateway) needs Feast and s3fs, which only a project with use_feast
installs (about 580 MB): .ci/run installs them (the package's `feast` extra);
a bare `pip install -e '.[test]'` skips those two tests, with that reason.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support.servers import moto_s3
from tests.support.template import bake

FEAST_MISSING = (
    importlib.util.find_spec("feast") is None
    or importlib.util.find_spec("s3fs") is None
)
NEEDS_FEAST = pytest.mark.skipif(
    FEAST_MISSING,
    reason="Feast and s3fs are not installed (pip install -e '.[test,feast]', "
    "as .ci/run does, to run this test)",
)
REPOSITORY = "iris-classifier"
COMMITS = ("a1" * 32, "b2" * 32)  # lakeFS commit ids: 64 hex digits


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("feast"), use_feast=True)


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_feast_nothing_of_it_is_generated(tmp_path):
    project = bake(tmp_path)
    assert not (project / "feature_repo").exists()
    assert not (project / "src/iris_classifier/features.py").exists()
    assert not (project / "tests/test_features.py").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert "features" not in pyproject["project"]["optional-dependencies"]
    makefile = (project / "Makefile").read_text()
    assert "\nfeatures:" not in makefile and "feast" not in makefile
    assert "-m iris_classifier.train --output-dir artifacts" in makefile
    workflow = (project / ".github/workflows/ci.yml").read_text()
    assert "pip install -e '.[dev]'" in workflow


def test_feature_repo_files_parse_and_read_lakefs_at_a_ref(project, monkeypatch):
    repo = project / "feature_repo"
    assert sorted(p.name for p in repo.iterdir()) == [
        "feature_store.yaml",
        "feature_views.py",
        "lakefs_source.py",
    ]
    store = yaml.safe_load((repo / "feature_store.yaml").read_text())
    assert store["project"] == "iris_classifier"
    assert store["offline_store"] == {"type": "file"}
    assert store["online_store"]["type"] == "sqlite"
    for path in [*repo.glob("*.py"), project / "src/iris_classifier/features.py"]:
        ast.parse(path.read_text(), filename=str(path))

    monkeypatch.delenv("LAKEFS_ENDPOINT", raising=False)
    source = load_module(repo / "lakefs_source.py", "lakefs_source_under_test")
    commit = COMMITS[0]
    assert source.features_uri(commit) == (
        f"s3://{REPOSITORY}/{commit}/features/iris.parquet"
    )
    assert source.endpoint(commit) == "https://lakefs.example.com"
    assert source.features_uri(None) == str(repo / "data" / "iris.parquet")
    assert source.endpoint(None) is None
    monkeypatch.setenv("IRIS_FEATURES_REF", commit)
    assert source.current_ref() == commit

    # The feature view's source is that URI, with that endpoint, at the ref.
    tree = ast.parse((repo / "feature_views.py").read_text())
    [call] = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "FileSource"
    ]
    keywords = {k.arg: ast.unparse(k.value) for k in call.keywords}
    assert keywords["path"] == "features_uri(ref)"
    assert keywords["s3_endpoint_override"] == "endpoint(ref, endpoint_url)"


def test_feast_is_installed_and_run_only_with_the_option(project):
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    extra = " ".join(pyproject["project"]["optional-dependencies"]["features"])
    assert "feast" in extra and "s3fs" in extra
    assert "feast" not in " ".join(pyproject["project"]["dependencies"])
    makefile = (project / "Makefile").read_text()
    assert "pip install -e '.[dev,features]'" in makefile
    # CI installs it too: the project's own tests import Feast.
    workflow = (project / ".github/workflows/ci.yml").read_text()
    assert "pip install -e '.[dev,features]'" in workflow
    recipe = makefile.split("\nfeatures:", 1)[1].split("\n\n", 1)[0]
    for step in ("features export", "feast -c feature_repo apply", "materialize"):
        assert step in recipe
    assert "iris_classifier.features online" in recipe
    assert "-m iris_classifier.features train --output-dir artifacts" in makefile


def write_features(s3, scale: float, key: str) -> None:
    from iris_classifier.data import Dataset, load_bundled
    from iris_classifier.features import feature_table

    iris = load_bundled()
    body = io.BytesIO()
    feature_table(Dataset(iris.features * scale, iris.labels)).to_parquet(body)
    s3.put_object(Bucket=REPOSITORY, Key=key, Body=body.getvalue())


@NEEDS_FEAST
def test_features_read_at_two_commits_get_each_commits_values(
    project, tmp_path, monkeypatch
):
    import boto3

    repo = tmp_path / "feature_repo"
    shutil.copytree(project / "feature_repo", repo)
    monkeypatch.syspath_prepend(str(project / "src"))
    # This bake's package and feature repo, whatever an earlier test imported.
    for name in list(sys.modules):
        if name.split(".")[0] in ("iris_classifier", "feature_views", "lakefs_source"):
            monkeypatch.delitem(sys.modules, name)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    from iris_classifier import features

    with moto_s3() as endpoint:
        monkeypatch.setenv("LAKEFS_ENDPOINT", endpoint)
        s3 = boto3.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket=REPOSITORY)
        for commit, scale in zip(COMMITS, (1.0, 2.0)):
            write_features(s3, scale, f"{commit}/features/iris.parquet")
        for commit, scale in zip(COMMITS, (1.0, 2.0)):
            table, source = features.training_features(repo, commit)
            assert source == f"s3://{REPOSITORY}/{commit}/features/iris.parquet"
            assert len(table) == 150
            assert table.loc[0, "sepal_length"] == pytest.approx(5.1 * scale)
            assert table.loc[149, "species"] == "virginica"
        # Training at a commit records that commit with the model.
        paths = features.train_on_features(
            repo, COMMITS[1], tmp_path / "artifacts", features.training.Hyperparams()
        )
    record = yaml.safe_load(paths["features_record"].read_text())
    assert record["commit_id"] == COMMITS[1] and record["rows"] == 150
    assert paths["model"].is_file()


def make_features(
    project: Path, tmp_path: Path
) -> tuple[dict, subprocess.CompletedProcess]:
    """`make features` with the project's metadata installed and its src/ first
    on the path, as an editable install puts it (before feature_repo/)."""
    installed = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
        + ["--no-build-isolation", "--target", str(installed), str(project)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(project / "src"), str(installed)]),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    env.pop("IRIS_FEATURES_REF", None)
    result = subprocess.run(
        ["make", "features", f"PYTHON={sys.executable}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return env, result


@NEEDS_FEAST
@pytest.mark.slow
def test_make_features_works_offline_and_the_project_keeps_full_coverage(
    project, tmp_path
):
    project = Path(shutil.copytree(project, tmp_path / "project"))  # writes data/
    env, result = make_features(project, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'species': ['setosa']" in result.stdout
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = tests.stdout + tests.stderr
    assert tests.returncode == 0, output[-3000:]
    assert "Total coverage: 100.00%" in output, output[-3000:]


def test_the_next_steps_name_make_features_only_with_the_option(tmp_path, capfd):
    # cookiecutter runs the post-generation hook in a child process: capfd.
    bake(tmp_path / "off")
    out = capfd.readouterr().out
    assert "make pipeline" in out and "make features" not in out
    bake(tmp_path / "on", use_feast=True)
    assert "make features     # Feast" in capfd.readouterr().out


@NEEDS_FEAST
@pytest.mark.slow
def test_a_package_named_like_its_features_still_applies_them(tmp_path):
    """ "Iris Features" makes the package iris_features: `feast apply` imports
    the feature repository's modules by bare name, and must get those."""
    project = bake(tmp_path / "bake", project_name="Iris Features", use_feast=True)
    assert (project / "src" / "iris_features").is_dir()
    _, result = make_features(project, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'species': ['setosa']" in result.stdout
