"""promote-model: runs `dsp model promote` and writes the KFP outputs.

`dsp` itself is tested where it is developed, against a real registry; here
a stand-in `dsp` on PATH records its arguments and answers like it, so the
component's wiring (arguments, outputs, executor output) is what is tested.
"""

import json
import os
import sys

import pytest

# Answers like `dsp model promote`: the Markdown, the summary, an exit code.
FAKE_DSP = """#!{python}
import json, sys
import os
args = sys.argv[1:]
open({calls!r}, "w").write(json.dumps(args))
# The registry login dsp reads: what the step's environment gave it.
names = ("DSP_REGISTRY_USERNAME", "DSP_REGISTRY_PASSWORD")
login = [os.environ.get(name) for name in names]
open({calls!r} + ".login", "w").write(json.dumps(login))
value = dict(zip(args, args[1:]))
outcome = {outcome!r}
if outcome == "error":
    print("dsp model: cannot reach the registry", file=sys.stderr)
    sys.exit(1)
open(value["--gate-markdown"], "w").write("### Promotion gate: " + outcome)
summary = dict(
    promoted=outcome == "passed",
    reference=args[2] + ":main-abc1234",
    reasons=[] if outcome == "passed" else ["current not moved"],
)
json.dump(summary, open(value["--metrics-json"], "w"))
sys.exit(0 if outcome == "passed" else 1)
"""


def executor_input(tmp_path):
    def artifact(name):
        return {"artifacts": [{"name": name, "uri": f"s3://b/{name}", "metadata": {}}]}

    return json.dumps(
        {
            "outputs": {
                "artifacts": {
                    name: artifact(name) for name in ("metrics", "confusion_matrix")
                },
                "outputFile": str(tmp_path / "kfp" / "output_metadata.json"),
            }
        }
    )


@pytest.fixture
def run(promote_component, trained, tmp_path, monkeypatch):
    """Run the component with a stand-in dsp answering `outcome`."""
    model_dir = tmp_path / "model"
    (model_dir / "evaluation").mkdir(parents=True)
    metrics = trained["metrics"].read_text()
    (model_dir / "evaluation" / "metrics.json").write_text(metrics)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DSP_REGISTRY_USERNAME", raising=False)

    def run(outcome, insecure=True):
        fake = tmp_path / "bin" / "dsp"
        fake.parent.mkdir(exist_ok=True)
        calls = str(tmp_path / "calls.json")
        fake.write_text(
            FAKE_DSP.format(python=sys.executable, calls=calls, outcome=outcome)
        )
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
        out = tmp_path / "out"
        argv = ["--repository", "registry.example.com/iris-model"]
        argv += ["--model-dir", str(model_dir), "--data-record", "record.json"]
        argv += ["--branch", "main", "--sha", "abc1234", "--run-id", "run-1"]
        argv += ["--gate-report", str(out / "gate.md")]
        argv += ["--metrics", str(out / "metrics.json")]
        argv += ["--confusion-matrix", str(out / "matrix.json")]
        argv += ["--insecure"] if insecure else []
        argv += ["--executor-input", executor_input(tmp_path)]
        code = promote_component.main(argv)
        return code, out, json.loads(open(calls).read())

    return run


def test_a_promotion_writes_every_kfp_output(run, trained, tmp_path, capsys):
    code, out, calls = run("passed")
    assert code == 0
    assert calls[:4] == ["model", "promote", "registry.example.com/iris-model"] + [
        "--model-dir"
    ]
    assert "--insecure" in calls and calls[calls.index("--run-id") + 1] == "run-1"
    assert (out / "gate.md").read_text() == "### Promotion gate: passed"
    metrics = json.loads(trained["metrics"].read_text())
    assert json.loads((out / "metrics.json").read_text()) == metrics
    executor = json.loads((tmp_path / "kfp" / "output_metadata.json").read_text())
    [logged] = executor["artifacts"]["metrics"]["artifacts"]
    assert logged["uri"] == "s3://b/metrics"
    assert logged["metadata"]["accuracy"] == metrics["accuracy"]
    assert "per_class" not in logged["metadata"]
    [matrix] = executor["artifacts"]["confusion_matrix"]["artifacts"]
    confusion = matrix["metadata"]["confusionMatrix"]
    labels = metrics["confusion_matrix"]["labels"]
    assert [spec["displayName"] for spec in confusion["annotationSpecs"]] == labels
    assert [row["row"] for row in confusion["rows"]] == (
        metrics["confusion_matrix"]["matrix"]
    )
    assert "main-abc1234: promoted" in capsys.readouterr().out


def test_a_refused_candidate_still_shows_its_table(run, capsys):
    code, out, calls = run("refused", insecure=False)
    assert code == 0  # the step succeeds so the run's page shows the table
    assert "--insecure" not in calls
    assert (out / "gate.md").read_text() == "### Promotion gate: refused"
    printed = capsys.readouterr().out
    assert "not promoted" in printed and "current not moved" in printed


def test_dsp_refusing_its_input_fails_the_step(run, capsys):
    code, out, _ = run("error")
    assert code == 1
    assert "dsp model promote exited 1" in capsys.readouterr().err
    assert not (out / "metrics.json").exists()


def test_dsp_gets_the_registry_login_from_the_step_env(run, tmp_path, monkeypatch):
    """The secret's env vars reach dsp (which logs in with them), and the step
    writes no credentials to disk."""
    monkeypatch.setenv("DSP_REGISTRY_USERNAME", "robot")
    monkeypatch.setenv("DSP_REGISTRY_PASSWORD", "s3cret")
    code, _, _ = run("passed")
    assert code == 0
    login = json.loads((tmp_path / "calls.json.login").read_text())
    assert login == ["robot", "s3cret"]
    assert not (tmp_path / "home").exists()
