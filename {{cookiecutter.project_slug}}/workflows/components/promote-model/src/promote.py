"""KFP component: promote the trained model with `dsp model promote`.

`dsp model promote` gates the candidate against the registry's `current`
model (the project's `[tool.dsp.gate]` rules and behavioural cases), pushes it
under `<branch>-<sha7>` and moves `current` when it passes on the default
branch. This script runs it and turns its outcome into KFP outputs the run's
page shows: the gate table (Markdown), the metrics (Metrics) and the confusion
matrix (ClassificationMetrics). A refused candidate is a result, not an error:
the step succeeds so the table is shown, and says "refused".

dsp logs in to the registry with the env vars DSP_REGISTRY_USERNAME and
DSP_REGISTRY_PASSWORD, which the pipeline sets from the Kubernetes secret
(see workflows/README.md); this step passes its environment on unchanged.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


def kfp_outputs(metrics: dict, executor_input: str) -> dict:
    """KFP's executor output: metadata the UI shows for Metrics and the matrix."""
    outputs = json.loads(executor_input)["outputs"]
    scalars = {
        k: v
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    matrix = metrics.get("confusion_matrix") or {"labels": [], "matrix": []}
    confusion = {
        "annotationSpecs": [{"displayName": str(c)} for c in matrix["labels"]],
        "rows": [{"row": row} for row in matrix["matrix"]],
    }
    metadata = {"metrics": scalars, "confusion_matrix": {"confusionMatrix": confusion}}
    artifacts = {}
    for name, meta in metadata.items():
        (artifact,) = outputs["artifacts"][name]["artifacts"]
        artifacts[name] = {
            "artifacts": [{"name": artifact["name"], "uri": artifact["uri"]}]
        }
        artifacts[name]["artifacts"][0]["metadata"] = meta
    return {"artifacts": artifacts}


def promote(args: argparse.Namespace, summary: Path) -> int:
    """Run `dsp model promote`; its exit code."""
    command = ["dsp", "model", "promote", args.repository]
    command += ["--model-dir", str(args.model_dir), "--config", str(args.config)]
    command += ["--branch", args.branch, "--sha", args.sha]
    command += ["--default-branch", args.default_branch, "--run-id", args.run_id]
    command += ["--dataset-record", str(args.data_record)]
    command += ["--gate-markdown", str(args.gate_report)]
    command += ["--metrics-json", str(summary)]
    if args.insecure:
        command.append("--insecure")
    return subprocess.run(command, check=False).returncode


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Promote a trained model.")
    parser.add_argument("--repository", required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--data-record", type=Path, required=True)
    parser.add_argument("--branch", required=True)
    parser.add_argument("--sha", required=True)
    parser.add_argument("--default-branch", default="main")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--config", type=Path, default=Path("/app/pyproject.toml"))
    parser.add_argument("--insecure", action="store_true")
    parser.add_argument("--gate-report", type=Path, required=True)
    parser.add_argument("--metrics", type=Path, required=True)
    parser.add_argument("--confusion-matrix", type=Path, required=True)
    parser.add_argument("--executor-input", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """The component's command line: 0 when dsp decided, 1 when it could not."""
    args = parse_args(argv)
    for path in (args.gate_report, args.metrics, args.confusion_matrix):
        path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "promotion.json"
        code = promote(args, summary)
        if not summary.is_file():  # dsp refused its input: its line is above
            print(f"error: dsp model promote exited {code}", file=sys.stderr)
            return 1
        decision = json.loads(summary.read_text())
    candidate = args.model_dir / "evaluation" / "metrics.json"
    metrics = json.loads(candidate.read_text())
    args.metrics.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    matrix = metrics.get("confusion_matrix", {})
    args.confusion_matrix.write_text(json.dumps(matrix, sort_keys=True) + "\n")
    outputs = kfp_outputs(metrics, args.executor_input)
    output_file = Path(json.loads(args.executor_input)["outputs"]["outputFile"])
    output_file.parent.mkdir(parents=True, exist_ok=True)
    output_file.write_text(json.dumps(outputs))
    verdict = "promoted" if decision["promoted"] else "not promoted"
    print(f"{decision['reference']}: {verdict}")
    print("\n".join(decision["reasons"]) or "current points at it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
