{% if cookiecutter.use_feast %}{% set data_step, data_output, data_inputs = "read-features", "data", "features_inputs" %}{% else %}{% set data_step, data_output, data_inputs = "lakefs-download-file", "file", "download_inputs" %}{% endif %}"""The pipeline loads its components with kfp and compiles."""

import importlib.util
from pathlib import Path

import yaml
from kfp import compiler

ROOT = Path(__file__).resolve().parent.parent
SLUG = "{{ cookiecutter.project_slug }}"


def test_pipeline_compiles_with_{% if cookiecutter.use_feast %}features{% else %}download{% endif %}_wired_into_train(tmp_path):
    path = ROOT / "workflows" / "iris_pipeline.py"
    spec = importlib.util.spec_from_file_location("iris_pipeline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    output = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(module.iris_pipeline, str(output))
    # kfp-kubernetes adds a second document: the Kubernetes platform spec.
    compiled, platform = yaml.safe_load_all(output.read_text())
    tasks = compiled["root"]["dag"]["tasks"]
    assert set(tasks) == {
        "{{ data_step }}",
        "profile-data",
        "train-ormb-model",
        "promote-model",
    }
    # The generated step profiles the {% if cookiecutter.use_feast %}features{% else %}downloaded file{% endif %}, and training waits for it.
    profile_inputs = tasks["profile-data"]["inputs"]["artifacts"]
    assert profile_inputs["data"]["taskOutputArtifact"]["producerTask"] == (
        "{{ data_step }}"
    )
    assert "profile-data" in tasks["train-ormb-model"]["dependentTasks"]
    train_inputs = tasks["train-ormb-model"]["inputs"]["artifacts"]
    assert train_inputs["data"]["taskOutputArtifact"] == {
        "outputArtifactKey": "{{ data_output }}",
        "producerTask": "{{ data_step }}",
    }
{%- if cookiecutter.use_feast %}
    # The features' record (their lakeFS commit) becomes the model's dataset.
    assert train_inputs["data_record"]["taskOutputArtifact"] == {
        "outputArtifactKey": "record",
        "producerTask": "read-features",
    }
    assert tasks["read-features"]["inputs"]["parameters"]["features_ref"] == {
        "componentInputParameter": "features_ref"
    }
{%- endif %}
    {{ data_inputs }} = tasks["{{ data_step }}"]["inputs"]["parameters"]
    assert {{ data_inputs }}["endpoint_url"]["runtimeValue"]["constant"] == (
        module.LAKEFS_ENDPOINT
    )
    assert compiled["pipelineInfo"]["name"] == SLUG
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    [secret] = executors["exec-{{ data_step }}"]["secretAsEnv"]
    assert secret["secretName"] == "lakefs-credentials"
    assert {item["envVar"]: item["secretKey"] for item in secret["keyToEnv"]} == {
        "AWS_ACCESS_KEY_ID": "access_key_id",
        "AWS_SECRET_ACCESS_KEY": "secret_access_key",
    }
    assert set(executors) == {"exec-{{ data_step }}", "exec-promote-model"}
    [registry] = executors["exec-promote-model"]["secretAsEnv"]
    assert registry["secretName"] == module.REGISTRY_SECRET
    promote_inputs = tasks["promote-model"]["inputs"]
    assert promote_inputs["artifacts"]["model"]["taskOutputArtifact"] == {
        "outputArtifactKey": "model",
        "producerTask": "train-ormb-model",
    }
    assert promote_inputs["parameters"]["sha"] == {"componentInputParameter": "git_sha"}
    outputs = compiled["components"]["comp-promote-model"]["outputDefinitions"]
    assert {
        name: output["artifactType"]["schemaTitle"]
        for name, output in outputs["artifacts"].items()
    } == {
        "gate_report": "system.Markdown",
        "metrics": "system.Metrics",
        "confusion_matrix": "system.ClassificationMetrics",
    }


def test_promotion_is_tagged_after_what_ci_compiled(tmp_path, monkeypatch):
    monkeypatch.setenv("BRANCH", "feature/x")
    monkeypatch.setenv("REVISION", "0123456789abcdef0123456789abcdef01234567")
    path = ROOT / "workflows" / "iris_pipeline.py"
    spec = importlib.util.spec_from_file_location("iris_pipeline_ci", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    output = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(module.iris_pipeline, str(output))
    compiled, _ = yaml.safe_load_all(output.read_text())
    parameters = compiled["root"]["inputDefinitions"]["parameters"]
    assert parameters["git_branch"]["defaultValue"] == "feature/x"
    assert parameters["git_sha"]["defaultValue"] == (
        "0123456789abcdef0123456789abcdef01234567"
    )
