"""The promotion gate: candidate metrics against the current model's, or a baseline's.

Each gated metric has a rule in the project's ``pyproject.toml`` under
``[tool.dsp.gate.metrics.<metric>]`` with the keys of MLflow's
``MetricThreshold``: ``greater_is_better`` (required), ``threshold``,
``min_absolute_change`` and ``min_relative_change``.  The semantics are
MLflow's (``mlflow.models.evaluation.validation._validate``) with these
corrections:

* the relative change divides by the *absolute* baseline, so a negative
  baseline (a log-likelihood, a score) does not flip the sign of the change;
* a zero baseline is handled explicitly: the relative change is then
  +infinity (candidate better), -infinity (worse) or a tie (equal), instead
  of MLflow's silent fallback to a ``1e-10`` comparison;
* ties follow an explicit policy, ``[tool.dsp.gate] ties = "pass" | "fail"``
  (default ``"pass"``): a candidate equal to the baseline (within a relative
  1e-9) passes a zero required change under ``"pass"`` and fails under
  ``"fail"``; a positive required change is never met by a tie;
* a metric missing from the candidate or from the baseline fails with its
  name (MLflow skips a baseline-only miss for threshold-only rules);
* every failure is reported at once, in a table like ``dvc metrics diff``.

The top-level numeric fields of a metrics file are its metrics (booleans are
not numbers; nested objects such as ``per_class`` are ignored).  Without a
baseline file, the most-frequent-class metrics written by training
(``fallback_baseline``) stand in; when neither exists the gate says so.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from precommit_hooks.core.config import add_config_option
from precommit_hooks.core.findings import (
    add_format_option,
    print_json,
    print_text,
    refuse_special_file,
)
from precommit_hooks.lifecycle.gate_config import (  # noqa: F401 - the public names
    DEFAULT_CANDIDATE,
    GATE_KEYS,
    MAX_METRICS_BYTES,
    RULE_KEYS,
    TIE_POLICIES,
    GateConfig,
    MetricRule,
    dsp_table,
    load_toml,
    parse_gate_config,
    parse_rule,
    read_gate_config,
    read_metrics,
)
from precommit_hooks.lifecycle.gate_render import (  # noqa: F401 - the public names
    render,
    render_markdown,
    render_text,
    result_json,
    _fmt,
)

# Two values this close are equal: float noise must not decide a promotion.
REL_TOL = 1e-9
ABS_TOL = 1e-12


@dataclass
class MetricVerdict:
    """One row of the gate's table."""

    metric: str
    baseline: float | None
    candidate: float | None
    rule: MetricRule | None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def gated(self) -> bool:
        return self.rule is not None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def change(self) -> float | None:
        """candidate - baseline, signed as in ``dvc metrics diff``."""
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    @property
    def relative_change(self) -> float | None:
        """(candidate - baseline) / |baseline|; None when the baseline is 0."""
        change, baseline = self.change, self.baseline
        if change is None or baseline is None or baseline == 0:
            return None
        return change / abs(baseline)


@dataclass
class GateResult:
    """The verdicts, what they were measured against, and the overall outcome."""

    candidate_path: Path
    baseline_path: Path | None
    baseline_kind: str  # "given", "current", "fallback" or "none"
    ties: str
    verdicts: list[MetricVerdict]
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [f"{v.metric}: {msg}" for v in self.verdicts for msg in v.failures]

    @property
    def passed(self) -> bool:
        return not self.failures


# ------------------------------------------------------------------------ semantics


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _check_change(
    verdict: MetricVerdict,
    kind: str,
    improvement: float,
    required: float,
    tie: bool,
    ties: str,
) -> None:
    """One change requirement: ``improvement`` must reach ``required``."""
    if tie:
        if required > 0:
            verdict.failures.append(
                f"equals the baseline; {kind} {_fmt(required)} needs an improvement"
            )
        elif ties == "fail":
            verdict.failures.append(f'equals the baseline and ties = "fail" ({kind})')
        else:
            verdict.notes.append('tie with the baseline passes (ties = "pass")')
        return
    if improvement >= required or _close(improvement, required):
        return
    shown = "-inf" if improvement == -math.inf else _fmt(improvement)
    what = "relative improvement" if kind == "min_relative_change" else "improvement"
    verdict.failures.append(
        f"{what} {shown} is below {kind} {_fmt(required)}"
        + (
            ""
            if verdict.rule and verdict.rule.greater_is_better
            else " (lower is better)"
        )
    )


def _check_threshold(verdict: MetricVerdict, rule: MetricRule, cand: float) -> None:
    limit = rule.threshold
    assert limit is not None
    if rule.greater_is_better and cand < limit and not _close(cand, limit):
        verdict.failures.append(f"{_fmt(cand)} is below the threshold {_fmt(limit)}")
    if not rule.greater_is_better and cand > limit and not _close(cand, limit):
        verdict.failures.append(
            f"{_fmt(cand)} is above the threshold {_fmt(limit)} (lower is better)"
        )


def evaluate_metric(
    rule: MetricRule,
    candidate: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    ties: str,
    candidate_label: str = "the candidate",
    baseline_label: str = "the baseline",
) -> MetricVerdict:
    """Apply one rule; every failing check is recorded, none stops the others."""
    name = rule.name
    cand = candidate.get(name)
    base = baseline.get(name) if baseline is not None else None
    verdict = MetricVerdict(name, base, cand, rule)
    if cand is None:
        verdict.failures.append(f"missing from {candidate_label}")
    if baseline is not None and base is None:
        verdict.failures.append(f"missing from {baseline_label}")
    if cand is not None and rule.threshold is not None:
        _check_threshold(verdict, rule, cand)
    if not rule.needs_baseline:
        return verdict
    if baseline is None:
        verdict.failures.append(
            "min_absolute_change/min_relative_change need a baseline and there is none"
        )
        return verdict
    if cand is None or base is None:
        return verdict
    improvement = cand - base if rule.greater_is_better else base - cand
    tie = _close(cand, base)
    if rule.min_absolute_change is not None:
        _check_change(
            verdict,
            "min_absolute_change",
            improvement,
            rule.min_absolute_change,
            tie,
            ties,
        )
    if rule.min_relative_change is not None:
        if base == 0:
            # Relative to zero is undefined: any improvement is infinitely large.
            relative = math.inf if improvement > 0 else -math.inf
            verdict.notes.append("baseline is 0: relative change taken as +/-inf")
        else:
            relative = improvement / abs(base)
        _check_change(
            verdict,
            "min_relative_change",
            relative,
            rule.min_relative_change,
            tie,
            ties,
        )
    return verdict


def evaluate(
    config: GateConfig,
    candidate: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    candidate_path: Path,
    baseline_path: Path | None,
    baseline_kind: str,
) -> GateResult:
    """Every rule against the metrics, plus info rows for metrics not gated."""
    cand_label = f"the candidate ({candidate_path})"
    base_label = f"the baseline ({baseline_path})"
    verdicts = [
        evaluate_metric(rule, candidate, baseline, config.ties, cand_label, base_label)
        for rule in config.rules
    ]
    gated = {rule.name for rule in config.rules}
    others = [m for m in candidate if m not in gated]
    others += [m for m in (baseline or {}) if m not in gated and m not in candidate]
    for name in others:
        verdicts.append(
            MetricVerdict(
                name,
                (baseline or {}).get(name),
                candidate.get(name),
                None,
            )
        )
    result = GateResult(
        candidate_path, baseline_path, baseline_kind, config.ties, verdicts
    )
    if baseline_kind == "none":
        result.notes.append(_no_baseline_note(config))
    return result


def _no_baseline_note(config: GateConfig) -> str:
    names = [
        f"{p} ({key})"
        for key, p in (
            ("baseline", config.baseline),
            ("fallback_baseline", config.fallback_baseline),
        )
        if p is not None
    ]
    if not names:
        missing = "[tool.dsp.gate] sets neither baseline nor fallback_baseline"
    elif len(names) == 1:
        missing = f"{names[0]} does not exist"
    else:
        missing = f"neither {names[0]} nor {names[1]} exists"
    return (
        f"no baseline: {missing}; thresholds were checked, change rules fail "
        "(train to write the most-frequent-class baseline, or pass --baseline)"
    )


def choose_baseline(config: GateConfig, given: Path | None) -> tuple[Path | None, str]:
    """The baseline file and its kind: given, current model, fallback or none."""
    if given is not None:
        return given, "given"
    for path in (config.baseline, config.fallback_baseline):
        # A missing baseline is a first model; a folder or pipe is a mistake.
        if path is not None:
            refuse_special_file(path, "baseline metrics JSON file")
    if config.baseline is not None and config.baseline.is_file():
        return config.baseline, "current"
    if config.fallback_baseline is not None and config.fallback_baseline.is_file():
        return config.fallback_baseline, "fallback"
    return None, "none"


def run_gate(
    config: GateConfig,
    candidate_path: Path | None = None,
    baseline_path: Path | None = None,
) -> GateResult:
    """Read the metrics files the config (or the caller) names and judge them."""
    cand_path = candidate_path or config.candidate
    base_path, kind = choose_baseline(config, baseline_path)
    candidate = read_metrics(cand_path)
    baseline = read_metrics(base_path) if base_path is not None else None
    return evaluate(config, candidate, baseline, cand_path, base_path, kind)


# ----------------------------------------------------------------------------- CLI


def configure_gate(parser: argparse.ArgumentParser) -> None:
    """``dsp gate``: options and the function that runs it."""
    parser.add_argument(
        "--candidate",
        type=Path,
        help="the candidate's metrics.json (default: [tool.dsp.gate] candidate)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="the metrics to beat (default: [tool.dsp.gate] baseline, "
        "else fallback_baseline)",
    )
    add_config_option(
        parser,
        "gate",
        "pyproject.toml with [tool.dsp.gate] (default: ./pyproject.toml)",
    )
    add_format_option(
        parser,
        ("text", "markdown", "json"),
        "text table, Markdown for a PR comment, or JSON",
    )
    parser.set_defaults(func=gate_command)


def gate_command(args: argparse.Namespace) -> int:
    """Run the gate, print the table; 1 when it refuses the candidate."""
    config = read_gate_config(args.config)
    result = run_gate(config, args.candidate, args.baseline)
    if args.format == "json":
        print_json(result_json(result))
    else:
        print_text(render(result, args.format))
    return 0 if result.passed else 1
