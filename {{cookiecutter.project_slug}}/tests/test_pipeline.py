"""The pipeline loads both components with kfp and compiles."""

import importlib.util
from pathlib import Path

import yaml
from kfp import compiler

ROOT = Path(__file__).resolve().parent.parent
SLUG = "{{ cookiecutter.project_slug }}"


def test_pipeline_compiles_with_download_wired_into_train(tmp_path):
    path = ROOT / "workflows" / "iris_pipeline.py"
    spec = importlib.util.spec_from_file_location("iris_pipeline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    output = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(module.iris_pipeline, str(output))
    compiled = yaml.safe_load(output.read_text())
    tasks = compiled["root"]["dag"]["tasks"]
    assert set(tasks) == {"lakefs-download-file", "train-ormb-model"}
    train_inputs = tasks["train-ormb-model"]["inputs"]["artifacts"]
    assert train_inputs["data"]["taskOutputArtifact"] == {
        "outputArtifactKey": "file",
        "producerTask": "lakefs-download-file",
    }
    assert compiled["pipelineInfo"]["name"] == SLUG
