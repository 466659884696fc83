"""Components generated from src/ in a baked project, end to end.

A new typed step in the project's package, `dsp components generate`, the
pipeline compiled with it by the real kfp compiler, the component's command
run as its container would run it, and the sync check failing with the
regeneration command after the signature changes.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from precommit_hooks.hooks.check_components import main as check_components
from tests.integration.test_precommit import (  # noqa: F401 - pytest fixtures
    hooks_snapshot,
    pre_commit_env,
    run_hook,
)
from tests.support.gitrepos import commit_all
from tests.support.template import bake

PACKAGE = "iris_classifier"
NEW_STEP = '''

@step
def count_species(
    data: InputPath(Data), counts: OutputPath(Metrics), top: int = 3
) -> None:
    """Count the rows of each species.

    Args:
        data: the iris CSV
        counts: one line per species
        top: how many species to keep
    """
    labels = load_csv(data).labels
    species, numbers = np.unique(labels, return_counts=True)
    lines = [f"{name} {count}" for name, count in zip(species, numbers)][:top]
    Path(counts).write_text("\\n".join(lines) + "\\n", encoding="utf-8")
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("generate"))


def dsp(project: Path, *args: str) -> tuple[int, str, str]:
    """``dsp components generate`` in a subprocess, in the project root."""
    result = subprocess.run(
        [sys.executable, "-m", "precommit_hooks", "components", "generate", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout, result.stderr


def compile_pipeline(project: Path, output: Path) -> dict:
    """Load workflows/iris_pipeline.py and compile it with kfp's compiler."""
    from kfp import compiler

    path = project / "workflows" / "iris_pipeline.py"
    spec = importlib.util.spec_from_file_location(f"pipeline_{id(output)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compiler.Compiler().compile(module.iris_pipeline, str(output))
    return next(yaml.safe_load_all(output.read_text()))


def run_component(project: Path, name: str, paths: dict[str, Path]) -> int:
    """Run a component's command as its container would, with local paths."""
    spec = yaml.safe_load(
        (project / "workflows/components" / name / "component.yaml").read_text()
    )
    defaults = {i["name"]: i.get("default") for i in spec.get("inputs", [])}
    argv = []
    for arg in spec["implementation"]["container"]["args"]:
        if isinstance(arg, dict):
            ((placeholder, key),) = arg.items()
            value = defaults[key] if placeholder == "inputValue" else paths[key]
            argv.append(str(value))
        else:
            argv.append(arg)
    command = spec["implementation"]["container"]["command"]
    assert command[:2] == ["python", "-m"]
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [sys.executable, *command[1:], *argv], env=env, timeout=120
    ).returncode


def test_the_baked_project_is_in_sync_and_its_images_agree(project):
    assert dsp(project, "--check") == (0, "", "")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    image = pyproject["tool"]["dsp"]["components"]["image"]
    assert image == "harbor.example.com/dsp/iris-classifier-steps:0.1.0"
    components = project / "workflows/components"
    compose = yaml.safe_load((components / "docker-compose.yaml").read_text())
    service = compose["services"]["steps"]
    assert service["image"] == image
    assert (components / service["build"]["context"]).resolve() == project
    assert service["build"]["dockerfile"] == "Dockerfile"
    dockerfile = (project / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (project / source).exists(), source
    component = yaml.safe_load((components / "profile-data/component.yaml").read_text())
    assert component["implementation"]["container"]["image"] == image
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    ids = [hook["id"] for hook in hooks["repos"][-1]["hooks"]]
    assert "check-components-sync" in ids


def run_locally(work: Path) -> None:
    """`dsp pipeline local` runs the new step as its container would, in order."""
    data = work / "data" / "iris.csv"
    env = {**os.environ, "PYTHONPATH": str(work / "src")}
    subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.data", str(data)], env=env, check=True
    )
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # precommit_hooks
    done = subprocess.run(
        [sys.executable, "-m", "precommit_hooks", "pipeline", "local"]
        + ["workflows/iris_pipeline.py", "--python", sys.executable]
        + ["--arg", f"source=file://{data}", "--skip", "promote-model"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    counts = work / ".pipeline-local" / "latest" / "count-species" / "counts"
    assert counts.read_text().splitlines() == ["setosa 50", "versicolor 50"]


def test_a_new_step_is_generated_compiled_and_kept_in_sync(project, tmp_path):
    work = tmp_path / "project"
    subprocess.run(["cp", "-a", str(project), str(work)], check=True)
    steps = work / "src" / PACKAGE / "steps.py"
    text = steps.read_text().replace(
        "from .markers import Data, InputPath, OutputPath, step",
        "from .markers import Data, InputPath, Metrics, OutputPath, step",
    )
    steps.write_text(text + NEW_STEP)

    code, out, err = dsp(work)
    assert (code, err) == (0, "")
    assert out == "wrote workflows/components/count-species/component.yaml\n"
    component = work / "workflows/components/count-species/component.yaml"
    assert check_components([str(component)]) == 0

    pipeline = work / "workflows" / "iris_pipeline.py"
    source = pipeline.read_text()
    source = source.replace(
        "\n\n@dsl.pipeline(",
        "\ncount_species = components.load_component_from_file(\n"
        '    str(COMPONENTS / "count-species" / "component.yaml")\n)\n'
        "\n\n@dsl.pipeline(",
    )
    profile_step = "    profile = profile_data(data=data)\n"
    assert profile_step in source  # the line the new step goes after
    source = source.replace(
        profile_step, profile_step + "    count_species(data=data, top=2)\n"
    )
    pipeline.write_text(source)
    compiled = compile_pipeline(work, tmp_path / "pipeline.yaml")
    tasks = compiled["root"]["dag"]["tasks"]
    assert "count-species" in tasks
    inputs = tasks["count-species"]["inputs"]
    assert inputs["artifacts"]["data"]["taskOutputArtifact"]["producerTask"] == (
        "lakefs-download-file"
    )
    assert inputs["parameters"]["top"]["runtimeValue"]["constant"] == 2
    executor = compiled["deploymentSpec"]["executors"]["exec-count-species"]
    assert executor["container"]["command"] == [
        "python",
        "-m",
        f"{PACKAGE}.run_step",
        f"{PACKAGE}.steps:count_species",
    ]
    run_locally(work)

    # The signature changes: the check fails with the diff and the command.
    steps.write_text(steps.read_text().replace("top: int = 3", "top: int = 5"))
    code, out, _ = dsp(work, "--check")
    assert code == 1
    assert '-    default: "3"' in out and '+    default: "5"' in out
    assert "run `dsp components generate` and commit the result" in out
    hook = subprocess.run(
        [sys.executable, "-m", "precommit_hooks.kfp.generate.hook"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert hook.returncode == 1 and "count-species/component.yaml" in hook.stdout
    assert dsp(work)[0] == 0 and dsp(work, "--check")[0] == 0


def write_iris_csv(path: Path, rows: int | None = None) -> Path:
    """The bundled iris data (its first ``rows``) as the CSV download.py writes."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    header = "sepal_length,sepal_width,petal_length,petal_width,species\n"
    lines = [
        ",".join(f"{value:g}" for value in row) + f",{iris.target_names[label]}\n"
        for row, label in zip(iris.data, iris.target)
    ][:rows]
    path.write_text(header + "".join(lines), encoding="utf-8")
    return path


def test_the_generated_component_runs_as_its_container_would(project, tmp_path):
    data = write_iris_csv(tmp_path / "iris.csv")
    profile = tmp_path / "outputs" / "profile" / "data"
    paths = {"data": data, "profile": profile}
    assert run_component(project, "profile-data", paths) == 0
    summary = yaml.safe_load(profile.read_text())
    assert summary["rows"] == 150
    assert summary["classes"] == {"setosa": 50, "versicolor": 50, "virginica": 50}
    # Too few rows (the default min_rows is 30): one line, exit 1.
    short = write_iris_csv(tmp_path / "short.csv", rows=10)
    assert run_component(project, "profile-data", {**paths, "data": short}) == 1


@pytest.mark.slow
def test_the_sync_hook_through_pre_commit(
    hooks_snapshot, pre_commit_env, project, tmp_path  # noqa: F811
):
    work = tmp_path / "repo"
    subprocess.run(["cp", "-a", str(project), str(work)], check=True)
    commit_all(work)
    result = run_hook(hooks_snapshot, pre_commit_env, work, "check-components-sync")
    assert result.returncode == 0, result.stdout + result.stderr
    component = work / "workflows/components/profile-data/component.yaml"
    component.write_text(component.read_text().replace("30", "31"))
    result = run_hook(hooks_snapshot, pre_commit_env, work, "check-components-sync")
    assert result.returncode == 1
    assert "run `dsp components generate`" in result.stdout
