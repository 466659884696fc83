"""The monitoring pipeline compiles with kfp, and schedules a recurring run."""

import importlib.util
import inspect
from pathlib import Path

import yaml
from kfp import Client, compiler

ROOT = Path(__file__).resolve().parent.parent


def load_pipeline():
    path = ROOT / "workflows" / "monitoring_pipeline.py"
    spec = importlib.util.spec_from_file_location("monitoring_pipeline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pipeline_compiles_with_the_batch_wired_into_monitoring(tmp_path):
    module = load_pipeline()
    output = tmp_path / "monitoring.yaml"
    compiler.Compiler().compile(module.monitoring_pipeline, str(output))
    compiled, platform = yaml.safe_load_all(output.read_text())
    tasks = compiled["root"]["dag"]["tasks"]
    assert set(tasks) == {"lakefs-download-file", "monitor-model"}
    batch = tasks["monitor-model"]["inputs"]["artifacts"]["batch"]
    assert batch["taskOutputArtifact"] == {
        "outputArtifactKey": "file",
        "producerTask": "lakefs-download-file",
    }
    # Each run reads the batch again: no cached download or verdict.
    assert all(task["cachingOptions"] == {} for task in tasks.values())
    assert compiled["pipelineInfo"]["name"] == module.NAME
    outputs = compiled["components"]["comp-monitor-model"]["outputDefinitions"]
    assert outputs["artifacts"]["summary"]["artifactType"]["schemaTitle"] == (
        "system.Markdown"
    )
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert set(executors) == {"exec-lakefs-download-file", "exec-monitor-model"}
    secrets = {
        name: {
            secret["secretName"]: {
                k["secretKey"]: k["envVar"] for k in secret["keyToEnv"]
            }
            for secret in executor["secretAsEnv"]
        }
        for name, executor in executors.items()
    }
    lakefs = {"lakefs-credentials": module.training.LAKEFS_SECRET_KEYS}
    registry = {"registry-credentials": module.training.REGISTRY_SECRET_KEYS}
    assert secrets["exec-lakefs-download-file"] == lakefs
    # The monitor step pulls the model: the registry login, as promote-model's.
    assert secrets["exec-monitor-model"] == {**lakefs, **registry}
    assert registry["registry-credentials"] == {
        "username": "DSP_REGISTRY_USERNAME",
        "password": "DSP_REGISTRY_PASSWORD",
    }
    monitor_inputs = tasks["monitor-model"]["inputs"]["parameters"]
    assert monitor_inputs["lakefs_endpoint"]["runtimeValue"]["constant"] == (
        module.training.LAKEFS_ENDPOINT
    )


class RecordingClient:
    """Records the call, after checking it against kfp.Client's signature."""

    def create_recurring_run(self, **kwargs):
        inspect.signature(Client.create_recurring_run).bind(self, **kwargs)
        self.call = kwargs
        return "run"


def test_schedule_creates_a_daily_recurring_run():
    module = load_pipeline()
    client = RecordingClient()
    assert module.schedule(client, "exp-1", "build/monitoring.yaml") == "run"
    assert client.call["cron_expression"] == "0 0 6 * * *"
    assert client.call["pipeline_package_path"] == "build/monitoring.yaml"
    assert client.call["job_name"] == module.NAME
    assert client.call["enable_caching"] is False


def test_the_script_schedules_on_the_given_endpoint(monkeypatch, capsys):
    import runpy
    import sys

    import kfp

    clients = []

    def client(host=None):
        clients.append(RecordingClient())
        clients[-1].host = host
        return clients[-1]

    monkeypatch.setattr(kfp, "Client", client)
    path = ROOT / "workflows" / "monitoring_pipeline.py"
    monkeypatch.setattr(
        sys, "argv", [str(path), "exp-2", "p.yaml", "--host", "http://kfp:8888"]
    )
    runpy.run_path(str(path), run_name="__main__")
    [made] = clients
    assert made.host == "http://kfp:8888" and made.call["experiment_id"] == "exp-2"
    assert capsys.readouterr().out == "run\n"
