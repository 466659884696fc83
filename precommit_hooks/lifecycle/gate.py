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
import difflib
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from precommit_hooks.core.files import loads_strict_json, read_capped
from precommit_hooks.core.text import is_number
from precommit_hooks.core.findings import (
    Refusal,
    json_problem,
    json_type_name,
    print_json,
    print_text,
    refuse_special_file,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

GATE_KEYS = ("candidate", "baseline", "fallback_baseline", "ties", "metrics")
RULE_KEYS = (
    "greater_is_better",
    "threshold",
    "min_absolute_change",
    "min_relative_change",
)
TIE_POLICIES = ("pass", "fail")
DEFAULT_CANDIDATE = "artifacts/metrics.json"
MAX_METRICS_BYTES = 10 << 20
MAX_TOML_BYTES = 1 << 20  # a pyproject.toml is a page or two
# Two values this close are equal: float noise must not decide a promotion.
REL_TOL = 1e-9
ABS_TOL = 1e-12


@dataclass(frozen=True)
class MetricRule:
    """One ``[tool.dsp.gate.metrics.<name>]`` table (MLflow's MetricThreshold)."""

    name: str
    greater_is_better: bool
    threshold: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None

    @property
    def needs_baseline(self) -> bool:
        """A change requirement compares with a baseline (as in MLflow)."""
        return self.min_absolute_change is not None or (
            self.min_relative_change is not None
        )


@dataclass(frozen=True)
class GateConfig:
    """``[tool.dsp.gate]``, with paths resolved against the config's folder."""

    path: Path
    candidate: Path
    baseline: Path | None
    fallback_baseline: Path | None
    ties: str
    rules: tuple[MetricRule, ...]


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
        change = self.change
        if change is None or self.baseline == 0:
            return None
        return change / abs(self.baseline)


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


# --------------------------------------------------------------------------- input


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return "allowed keys: " + ", ".join(allowed)


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, refusing a missing, oversized or broken one with one line."""
    data = read_capped(
        path,
        MAX_TOML_BYTES,
        "pyproject.toml",
        "no such file; pass --config pointing at pyproject.toml",
    )
    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise Refusal(f"{path}: not valid TOML ({exc}); fix the syntax")
    except RecursionError:
        raise Refusal(f"{path}: not valid TOML (nested too deep to read; flatten it)")
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text; save it as UTF-8")


def dsp_table(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The ``[tool.dsp]`` table of a parsed pyproject.toml (empty if absent)."""
    tool = data.get("tool", {})
    dsp = tool.get("dsp", {}) if isinstance(tool, dict) else {}
    if not isinstance(dsp, dict):
        raise Refusal(f"{path}: [tool.dsp] must be a table, not {json_type_name(dsp)}")
    return dsp


def _shown(value: object) -> str:
    """A value for a message: a 400-digit integer is not printed whole."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _number(value: object, where: str, path: Path) -> float:
    if not is_number(value):  # also an integer too large for a float
        raise Refusal(
            f"{path}: {where} must be a finite number, not {_shown(value)}; "
            "write e.g. 0.9"
        )
    return float(value)


def parse_rule(name: str, table: object, path: Path) -> MetricRule:
    """Check one ``[tool.dsp.gate.metrics.<name>]`` table like MLflow does."""
    where = f"[tool.dsp.gate.metrics.{name}]"
    if not isinstance(table, dict):
        raise Refusal(f"{path}: {where} must be a table of {', '.join(RULE_KEYS)}")
    for key in table:
        if key not in RULE_KEYS:
            raise Refusal(
                f"{path}: {where} has an unknown key {key!r}; "
                + _did_you_mean(key, RULE_KEYS)
            )
    if "greater_is_better" not in table:
        raise Refusal(
            f"{path}: {where} needs greater_is_better = true or false "
            "(is a higher value better?)"
        )
    greater = table["greater_is_better"]
    if not isinstance(greater, bool):
        raise Refusal(
            f"{path}: {where} greater_is_better must be true or false, not {greater!r}"
        )
    values: dict[str, float | None] = {}
    for key in RULE_KEYS[1:]:
        values[key] = (
            _number(table[key], f"{where} {key}", path) if key in table else None
        )
    absolute = values["min_absolute_change"]
    if absolute is not None and absolute < 0:
        raise Refusal(
            f"{path}: {where} min_absolute_change must be >= 0, not {absolute!r}; "
            "it is the least improvement over the baseline"
        )
    relative = values["min_relative_change"]
    if relative is not None and not 0 <= relative <= 1:
        raise Refusal(
            f"{path}: {where} min_relative_change must be between 0 and 1, "
            f"not {relative!r}; 0.05 means 5% better than the baseline"
        )
    if all(v is None for v in values.values()):
        raise Refusal(
            f"{path}: {where} sets no threshold; add threshold, min_absolute_change "
            "or min_relative_change"
        )
    return MetricRule(
        name,
        greater,
        values["threshold"],
        values["min_absolute_change"],
        values["min_relative_change"],
    )


def _relative_path(
    gate: Mapping[str, Any], key: str, root: Path, path: Path
) -> Path | None:
    value = gate.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise Refusal(
            f"{path}: [tool.dsp.gate] {key} must be a path string, not {value!r}"
        )
    return root / value


def parse_gate_config(data: Mapping[str, Any], path: Path) -> GateConfig:
    """Check ``[tool.dsp.gate]`` and resolve its paths against ``path``'s folder."""
    dsp = dsp_table(data, path)
    gate = dsp.get("gate")
    if not isinstance(gate, dict):
        raise Refusal(
            f"{path}: no [tool.dsp.gate] table; add one with "
            "[tool.dsp.gate.metrics.<metric>] rules (see the README)"
        )
    for key in gate:
        if key not in GATE_KEYS:
            raise Refusal(
                f"{path}: [tool.dsp.gate] has an unknown key {key!r}; "
                + _did_you_mean(key, GATE_KEYS)
            )
    ties = gate.get("ties", "pass")
    if ties not in TIE_POLICIES:
        raise Refusal(
            f'{path}: [tool.dsp.gate] ties must be "pass" or "fail", not {ties!r}'
        )
    metrics = gate.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        raise Refusal(
            f"{path}: no [tool.dsp.gate.metrics.<metric>] rules; add one per gated "
            "metric with greater_is_better and a threshold"
        )
    root = path.parent
    rules = tuple(parse_rule(name, table, path) for name, table in metrics.items())
    return GateConfig(
        path=path,
        candidate=_relative_path(gate, "candidate", root, path)
        or root / DEFAULT_CANDIDATE,
        baseline=_relative_path(gate, "baseline", root, path),
        fallback_baseline=_relative_path(gate, "fallback_baseline", root, path),
        ties=ties,
        rules=rules,
    )


def read_gate_config(path: Path) -> GateConfig:
    """Read and check ``[tool.dsp.gate]`` of a pyproject.toml."""
    return parse_gate_config(load_toml(path), path)


def read_metrics(path: Path) -> dict[str, float]:
    """The top-level numeric fields of a metrics JSON file.

    NaN, Infinity, duplicate keys and a top level that is not an object are
    refused with one line naming the file.
    """
    data = read_capped(
        path,
        MAX_METRICS_BYTES,
        "metrics JSON file",
        "no such metrics file; train first or fix the path",
    )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text; a metrics file is JSON")
    try:
        data = loads_strict_json(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise Refusal(f"{path}: not valid metrics JSON ({json_problem(exc)})")
    if not isinstance(data, dict):
        raise Refusal(
            f"{path}: the top level must be a JSON object of metrics, "
            f"not {json_type_name(data)}"
        )
    metrics: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not is_number(value):
            raise Refusal(
                f"{path}: metric {key!r} is {_shown(value)}, not a finite number "
                "a float can hold; write the metric as a plain number"
            )
        metrics[key] = float(value)
    return metrics


# ------------------------------------------------------------------------ semantics


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}"


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
        limit = rule.threshold
        if rule.greater_is_better and cand < limit and not _close(cand, limit):
            verdict.failures.append(
                f"{_fmt(cand)} is below the threshold {_fmt(limit)}"
            )
        if not rule.greater_is_better and cand > limit and not _close(cand, limit):
            verdict.failures.append(
                f"{_fmt(cand)} is above the threshold {_fmt(limit)} (lower is better)"
            )
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


# -------------------------------------------------------------------------- output

_KIND_TEXT = {
    "given": "given baseline",
    "current": "current model",
    "fallback": "most-frequent-class baseline",
    "none": "no baseline",
}


def _change_text(verdict: MetricVerdict) -> str:
    change = verdict.change
    if change is None:
        return "-"
    text = f"{change:+.6g}"
    relative = verdict.relative_change
    if relative is not None:
        text += f" ({relative:+.1%})"
    elif change != 0:
        text += " (baseline 0)"
    return text


def _verdict_text(verdict: MetricVerdict) -> str:
    if not verdict.gated:
        return "not gated"
    return "pass" if verdict.passed else "FAIL"


def _rows(result: GateResult) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            v.metric,
            _fmt(v.baseline),
            _fmt(v.candidate),
            _change_text(v),
            _verdict_text(v),
        )
        for v in result.verdicts
    ]


def _headline(result: GateResult) -> str:
    gated = [v for v in result.verdicts if v.gated]
    failed = [v for v in gated if not v.passed]
    if result.passed:
        return f"PASSED: {len(gated)} gated metric(s) pass"
    return f"REFUSED: {len(failed)} of {len(gated)} gated metric(s) fail"


def render_text(result: GateResult) -> str:
    """A fixed-width table like ``dvc metrics diff``, then every failure."""
    header = ("Metric", "Baseline", "Candidate", "Change", "Verdict")
    rows = _rows(result)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = [
        f"Promotion gate: {result.candidate_path} against "
        + (
            f"{result.baseline_path} ({_KIND_TEXT[result.baseline_kind]})"
            if result.baseline_path
            else "no baseline"
        ),
        "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
    ]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    lines.extend(f"note: {n}" for n in result.notes)
    lines.append(f'Ties policy: ties = "{result.ties}"')
    lines.append(_headline(result))
    lines.extend(f"  - {f}" for f in result.failures)
    return "\n".join(lines) + "\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|")


def render_markdown(result: GateResult) -> str:
    """The table for a pull-request comment."""
    mark = {"pass": "✅ pass", "FAIL": "❌ fail", "not gated": "not gated"}
    lines = [
        f"### Promotion gate: {'passed' if result.passed else 'refused'}",
        "",
        f"Candidate `{result.candidate_path}` against "
        + (
            f"`{result.baseline_path}` ({_KIND_TEXT[result.baseline_kind]})"
            if result.baseline_path
            else "no baseline"
        )
        + f'; ties policy `"{result.ties}"`.',
        "",
        "| Metric | Baseline | Candidate | Change | Verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for metric, base, cand, change, verdict in _rows(result):
        lines.append(
            f"| {_md(metric)} | {base} | {cand} | {_md(change)} | {mark[verdict]} |"
        )
    if result.notes:
        lines.append("")
        lines.extend(f"> {n}" for n in result.notes)
    if result.failures:
        lines += ["", "**Failures**", ""]
        lines.extend(f"- {_md(f)}" for f in result.failures)
    return "\n".join(lines) + "\n"


def result_json(result: GateResult) -> dict[str, Any]:
    """The gate's outcome as plain data (what ``--format json`` prints)."""
    return {
        "passed": result.passed,
        "candidate": str(result.candidate_path),
        "baseline": str(result.baseline_path) if result.baseline_path else None,
        "baseline_kind": result.baseline_kind,
        "ties": result.ties,
        "notes": result.notes,
        "failures": result.failures,
        "metrics": [
            {
                "metric": v.metric,
                "baseline": v.baseline,
                "candidate": v.candidate,
                "change": v.change,
                "relative_change": v.relative_change,
                "gated": v.gated,
                "passed": v.passed if v.gated else None,
                "failures": v.failures,
                "notes": v.notes,
                "rule": (
                    {
                        "greater_is_better": v.rule.greater_is_better,
                        "threshold": v.rule.threshold,
                        "min_absolute_change": v.rule.min_absolute_change,
                        "min_relative_change": v.rule.min_relative_change,
                    }
                    if v.rule
                    else None
                ),
            }
            for v in result.verdicts
        ],
    }


def render(result: GateResult, fmt: str) -> str:
    """Text, Markdown or JSON."""
    if fmt == "markdown":
        return render_markdown(result)
    if fmt == "json":
        return json.dumps(result_json(result), indent=2, sort_keys=True) + "\n"
    return render_text(result)


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
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("pyproject.toml"),
        help="pyproject.toml with [tool.dsp.gate] (default: ./pyproject.toml)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text table, Markdown for a PR comment, or JSON",
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
