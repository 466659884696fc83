"""``[tool.dsp.gate]`` and metrics files: read, check, refuse in one line.

Each ``[tool.dsp.gate.metrics.<metric>]`` table has MLflow's
``MetricThreshold`` keys; an unknown key gets a did-you-mean.  A metrics file
is a JSON object whose top-level numbers are the metrics (booleans and nested
objects are ignored); NaN, Infinity, duplicate keys and numbers a float
cannot hold are refused.  Every file is size-capped before it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from precommit_hooks.core.config import dsp_table, load_toml
from precommit_hooks.core.files import loads_strict_json, read_capped
from precommit_hooks.core.findings import Refusal, json_problem, json_type_name
from precommit_hooks.core.text import is_number
from precommit_hooks.lifecycle.config_schema import schema_problem

GATE_KEYS = ("candidate", "baseline", "fallback_baseline", "ties", "metrics")
RULE_KEYS = (
    "greater_is_better",
    "threshold",
    "min_absolute_change",
    "min_relative_change",
)
TIE_POLICIES = ("pass", "fail")
GATE_SCHEMA = "tool-dsp-gate.schema.json"
DEFAULT_CANDIDATE = "artifacts/metrics.json"
MAX_METRICS_BYTES = 10 << 20


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


# --------------------------------------------------------------------------- input


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
    """One ``[tool.dsp.gate.metrics.<name>]`` table, checked like MLflow does.

    The schema (``schemas/tool-dsp-gate.schema.json``) checks the keys and
    types; what JSON Schema cannot say (NaN, a number too large for a float)
    is checked here.
    """
    where = f"[tool.dsp.gate.metrics.{name}]"
    problem = schema_problem({"metrics": {name: table}}, GATE_SCHEMA, "tool.dsp.gate")
    if problem:
        raise Refusal(f"{path}: {problem}")
    assert isinstance(table, dict)
    values = {
        key: _number(table[key], f"{where} {key}", path) if key in table else None
        for key in RULE_KEYS[1:]
    }
    return MetricRule(
        name,
        table["greater_is_better"],
        values["threshold"],
        values["min_absolute_change"],
        values["min_relative_change"],
    )


def _relative_path(
    gate: Mapping[str, Any], key: str, root: Path, path: Path
) -> Path | None:
    value = gate.get(key)  # a non-empty string: the schema checked it
    return root / value if value is not None else None


def parse_gate_config(data: Mapping[str, Any], path: Path) -> GateConfig:
    """Check ``[tool.dsp.gate]`` and resolve its paths against ``path``'s folder."""
    dsp = dsp_table(data, path)
    gate = dsp.get("gate")
    if not isinstance(gate, dict):
        raise Refusal(
            f"{path}: no [tool.dsp.gate] table; add one with "
            "[tool.dsp.gate.metrics.<metric>] rules (see the README)"
        )
    problem = schema_problem(gate, GATE_SCHEMA, "tool.dsp.gate")
    if problem:
        raise Refusal(f"{path}: {problem}")
    ties = gate.get("ties", "pass")
    metrics = gate["metrics"]
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
