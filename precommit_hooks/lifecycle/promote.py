"""``dsp model promote``: gate a trained model against ``current``, push it, tag it.

1. The candidate folder is what training wrote: ``make train``'s
   ``artifacts/`` (``model.joblib``, ``metrics.json``, ...) or the pipeline's
   ORMB model folder (``model/model.joblib``, ``evaluation/metrics.json``).
2. The promotion gate (:mod:`gate`, rules from ``[tool.dsp.gate]``) compares
   the candidate's metrics with the metrics in the ORMB config of the model
   the movable tag (``current``) points at; with no current model yet, the
   candidate's most-frequent-class baseline stands in, as in ``dsp gate``.
   The behavioural cases (``[tool.dsp.regression]``) run against the
   candidate's model file.
3. The candidate is always pushed under its pipeline version name,
   ``<branch>-<sha7>`` made DNS-safe (:func:`versions.version_name`), with the
   pipeline run recorded beside the git revision and the lakeFS commit.
4. ``current`` moves to it only when gate and cases pass and the branch is the
   default branch.  A refusal exits 1; the candidate stays under its own tag.

The registry login is :mod:`.registry_login`'s, as for ``dsp model
push|pull``: ``DSP_REGISTRY_USERNAME``/``DSP_REGISTRY_PASSWORD`` (what the
pipeline's promote step gets from a Kubernetes secret), else the docker config.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import Refusal, print_text
from precommit_hooks.core.images import is_tag
from precommit_hooks.kfp.versions import branch_name, version_name
from precommit_hooks.lifecycle import gate, registry
from precommit_hooks.lifecycle.cases import read_cases
from precommit_hooks.lifecycle.cases_report import (
    RegressionReport,
    build_report,
    read_results,
    render_report_markdown,
)
from precommit_hooks.lifecycle.lineage import (
    RegistryApi,
    config_metrics,
    dataset_of_record,
    model_config,
    read_json_object,
    record_pipeline_run,
)
from precommit_hooks.lifecycle.oci import split_reference
from precommit_hooks.lifecycle.ormb import ormb_config
from precommit_hooks.lifecycle.regression import (
    parse_regression_config,
    read_project_config,
    run_command,
)

DEFAULT_TAG = "current"
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle")
ANNOTATION_RUN = "org.kubeflow.pipelines.run-id"
ANNOTATION_VERSION = "org.kubeflow.pipelines.version"


@dataclass(frozen=True)
class Candidate:
    """The files of a trained model folder that promotion needs."""

    folder: Path
    model_files: tuple[Path, ...]
    metrics: Path
    hyperparams: Path | None
    fallback: Path | None
    profile: Path | None = None  # reference_profile.json, for dsp monitor


@dataclass
class Promotion:
    """What promotion decided and did."""

    reference: str
    digest: str
    gate: gate.GateResult
    cases: RegressionReport | None
    moved: bool
    tag_moved: str = DEFAULT_TAG
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.gate.passed and (self.cases is None or self.cases.passed)


def _first_file(folder: Path, name: str) -> Path | None:
    for path in (folder / name, folder / "evaluation" / name):
        if path.is_file():
            return path
    return None


def find_candidate(folder: Path) -> Candidate:
    """The model files and metrics in ``folder``; one line when they are missing."""
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise Refusal(
            f"--model-dir {folder} {what}; name the folder training wrote "
            "(artifacts/ after make train, or the pipeline's model output)"
        )
    model_folder = folder / "model" if (folder / "model").is_dir() else folder
    models = tuple(
        sorted(p for p in model_folder.iterdir() if p.suffix in MODEL_SUFFIXES)
    )
    if not models:
        raise Refusal(
            f"--model-dir {folder}: no model file (*.joblib, *.pkl) in "
            f"{model_folder}; train first (make train)"
        )
    metrics = _first_file(folder, "metrics.json")
    if metrics is None:
        raise Refusal(
            f"--model-dir {folder}: no metrics.json (nor evaluation/metrics.json); "
            "train first, the gate needs the candidate's metrics"
        )
    return Candidate(
        folder,
        models,
        metrics,
        _first_file(folder, "hyperparams.json"),
        _first_file(folder, "baseline_metrics.json"),
        _first_file(folder, "reference_profile.json"),
    )


def candidate_tag(branch: str, sha: str) -> str:
    """The candidate's tag: the pipeline version name ``<branch>-<sha7>``."""
    return version_name(branch, sha).name


# ----------------------------------------------------------------------- judging


def judge_gate(
    config_path: Path,
    candidate: Candidate,
    current: dict[str, float] | None,
    current_label: str,
) -> gate.GateResult:
    """The gate against ``current``'s metrics, else the fallback baseline."""
    config = gate.read_gate_config(config_path)
    metrics = gate.read_metrics(candidate.metrics)
    if current is not None:
        base, path, kind = current, Path(current_label), "current"
    elif candidate.fallback is not None:
        base, path, kind = (
            gate.read_metrics(candidate.fallback),
            candidate.fallback,
            "fallback",
        )
    else:
        base, path, kind = None, None, "none"
    return gate.evaluate(config, metrics, base, candidate.metrics, path, kind)


def judge_cases(
    config_path: Path, candidate: Candidate, workdir: Path
) -> RegressionReport | None:
    """Run the project's behavioural cases against the candidate's model file.

    The configured command names ``[tool.dsp.regression] model`` and
    ``results``; those arguments are pointed at the candidate and a scratch
    results file, so the cases never read a model other than the candidate.
    """
    dsp, root = read_project_config(config_path)
    if "regression" not in dsp:
        return None
    config = parse_regression_config(dsp["regression"], root, config_path)
    cases, found = read_cases(config.cases)
    if found:
        raise Refusal(
            f"{config.cases}: {len(found)} bad line(s); `dsp regression validate` "
            "names them"
        )
    if config.command is None or config.model is None or config.results is None:
        return None  # no runner (the schema requires model, results with command)
    model = next(
        (p for p in candidate.model_files if p.name == config.model.name),
        candidate.model_files[0],
    )
    results = workdir / "regression_results.json"
    swap = {config.model.resolve(): str(model.resolve())}
    swap[config.results.resolve()] = str(results)
    command = tuple(swap.get((root / a).resolve(), a) for a in config.command)
    if str(model.resolve()) not in command:
        raise Refusal(
            f"{config_path}: [tool.dsp.regression] command does not name the model "
            f"{config.model.relative_to(root)}; pass it so promotion can test the "
            "candidate"
        )
    run_command(dataclasses.replace(config, command=command, results=results))
    return build_report(cases, read_results(results))


# ----------------------------------------------------------------------- pushing


def model_config_for(candidate: Candidate, args: argparse.Namespace) -> dict:
    """The ORMB config, with the pipeline run recorded beside the git revision."""
    source, commit = dataset_of_record(args.dataset_record)
    config = ormb_config(
        framework=args.framework,
        model_format=args.model_format,
        size=sum(p.stat().st_size for p in candidate.model_files),
        metrics=gate.read_metrics(candidate.metrics),
        hyperparameters=(
            read_json_object(candidate.hyperparams, "hyper-parameters")
            if candidate.hyperparams
            else None
        ),
        git_repository=args.git_repository,
        git_revision=args.sha,
        dataset_repository=source,
        dataset_commit=commit,
    )
    version = args.version or version_name(args.branch, args.sha).display_name
    return record_pipeline_run(config, args.run_id, version)


def push_candidate(
    api: RegistryApi, repo: str, candidate: Candidate, args: argparse.Namespace
) -> tuple[str, str]:
    """Push under ``<branch>-<sha7>``; the reference and its manifest digest."""
    config = model_config_for(candidate, args)
    annotations = {
        registry.ANNOTATION_REVISION: args.sha,
        registry.ANNOTATION_CREATED: config["created"],
        ANNOTATION_VERSION: config["training"]["pipelineRun"]["version"],
    }
    if args.git_repository:
        annotations[registry.ANNOTATION_SOURCE] = args.git_repository
    if args.run_id:
        annotations[ANNOTATION_RUN] = args.run_id
    reference = f"{repo}:{candidate_tag(args.branch, args.sha)}"
    # metrics.json travels with the model: `make baseline` pulls it for the gate;
    # the reference profile too: the monitoring pipeline pulls it with `current`.
    files = [*candidate.model_files, candidate.metrics]
    if candidate.profile:
        files.append(candidate.profile)
    pushed = registry.push_model(reference, files, config, annotations, args.insecure)
    return reference, pushed.get("digest") or ""


def promote(args: argparse.Namespace) -> Promotion:
    """Judge, push, and move ``current`` when allowed (see the module docstring)."""
    candidate = find_candidate(args.model_dir)
    gate.read_gate_config(args.config)  # a bad config: refused before the network
    host, repository, tag = split_reference(args.repository)
    if tag != "latest" or args.repository.endswith(":latest"):
        raise Refusal(
            f"{args.repository!r}: name the repository without a tag (host/repo); "
            "promotion picks the tags"
        )
    if not is_tag(args.tag):
        raise Refusal(
            f"--tag {args.tag!r} is not an OCI tag (letters, digits, '_', '.', '-'; "
            "at most 128); the default is current"
        )
    repo = f"{host}/{repository}"
    api = RegistryApi(host, args.insecure)
    current_manifest = api.manifest(repository, args.tag)
    current = (
        config_metrics(model_config(api, repository, current_manifest))
        if current_manifest
        else None
    )
    label = f"{repo}:{args.tag}"
    result = judge_gate(args.config, candidate, current, label)
    with tempfile.TemporaryDirectory(prefix="dsp-promote-") as tmp:
        cases = judge_cases(args.config, candidate, Path(tmp))
    reference, digest = push_candidate(api, repo, candidate, args)
    promotion = Promotion(reference, digest, result, cases, False, args.tag)
    if not promotion.passed:
        promotion.reasons.append(f"{args.tag} not moved: the candidate is refused")
    elif branch_name(args.branch) != branch_name(args.default_branch):
        promotion.reasons.append(
            f"{args.tag} not moved: {args.branch} is not the default branch "
            f"{args.default_branch}"
        )
    else:
        pushed = api.manifest(repository, reference.rsplit(":", 1)[1])
        if pushed is None:
            raise Refusal(f"{reference}: pushed, but the registry does not have it")
        api.tag(repository, args.tag, pushed)
        promotion.moved = True
    return promotion


# ------------------------------------------------------------------------ output


def render_markdown(promotion: Promotion) -> str:
    """The gate table, the cases and the decision: what the KFP UI shows."""
    parts = [gate.render_markdown(promotion.gate)]
    if promotion.cases is not None:
        parts.append(render_report_markdown(promotion.cases))
    decision = [f"Pushed `{promotion.reference}` (`{promotion.digest}`)."]
    if promotion.moved:
        decision.append(f"Promoted: `{promotion.tag_moved}` now points at it.")
    decision += promotion.reasons
    parts.append("### Promotion\n\n" + "\n".join(f"- {d}" for d in decision) + "\n")
    return "\n".join(parts)


def summary_json(promotion: Promotion) -> dict[str, Any]:
    """The candidate's metrics and the decision, for KFP's metrics output."""
    return {
        "promoted": promotion.moved,
        "passed": promotion.passed,
        "reference": promotion.reference,
        "digest": promotion.digest,
        "metrics": {
            v.metric: v.candidate
            for v in promotion.gate.verdicts
            if v.candidate is not None
        },
        "gate": gate.result_json(promotion.gate),
        "cases_failed": len(promotion.cases.failed) if promotion.cases else None,
        "reasons": promotion.reasons,
    }


def _outputs_writable(*paths: Path | None) -> None:
    for path in paths:
        if path is not None and not path.parent.is_dir():
            raise Refusal(
                f"{path}: its folder {path.parent} does not exist; create it or "
                "name another path"
            )


# --------------------------------------------------------------------------- CLI


def configure_model(parser: argparse.ArgumentParser) -> None:
    """``dsp model``: push and pull (:mod:`registry`), promote and lineage."""
    from precommit_hooks.lifecycle.lineage import configure_lineage

    registry.configure_model(parser)
    # argparse allows one subparsers action per parser: add to registry's.
    (actions,) = [
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    ]
    configure_promote(
        actions.add_parser(
            "promote", help="gate a trained model against current, push, tag"
        )
    )
    configure_lineage(
        actions.add_parser(
            "lineage", help="data commit, code, pipeline run, digest and tags"
        )
    )


def configure_promote(parser: argparse.ArgumentParser) -> None:
    """``dsp model promote`` options."""
    parser.description = __doc__.split("\n\n")[0]
    parser.add_argument("repository", help="host[:port]/repository, without a tag")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--branch", required=True, help="the branch that trained it")
    parser.add_argument("--sha", required=True, help="the commit that trained it")
    parser.add_argument("--default-branch", default="main")
    parser.add_argument("--tag", default=DEFAULT_TAG, help="the movable tag")
    parser.add_argument("--config", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--run-id", help="the KFP run id (recorded in the config)")
    parser.add_argument("--version", help="pipeline version name (default: derived)")
    parser.add_argument("--git-repository", help="the training code's repository URL")
    parser.add_argument("--dataset-record", type=Path, help="download record JSON")
    parser.add_argument("--framework", default="scikit-learn")
    parser.add_argument("--format", dest="model_format", default="SKLearn")
    parser.add_argument("--gate-markdown", type=Path, help="write the tables here")
    parser.add_argument("--metrics-json", type=Path, help="write the outcome here")
    parser.add_argument("--insecure", action="store_true", help="plain HTTP")
    parser.set_defaults(func=promote_command)


def promote_command(args: argparse.Namespace) -> int:
    """Promote; write the outputs; 1 when the candidate is refused."""
    _outputs_writable(args.gate_markdown, args.metrics_json)
    version_name(args.branch, args.sha)  # a bad branch or SHA: refused first
    promotion = promote(args)
    markdown = render_markdown(promotion)
    if args.gate_markdown is not None:
        write_atomic(args.gate_markdown, markdown.encode())
    if args.metrics_json is not None:
        data = json.dumps(summary_json(promotion), indent=2, sort_keys=True)
        write_atomic(args.metrics_json, (data + "\n").encode())
    print_text(markdown)
    return 0 if promotion.passed else 1
