"""The reference profile: what the training data looked like.

Training writes ``reference_profile.json`` beside its metrics::

    {"format": "dsp-reference-profile/1",
     "rows": 105,
     "quantile_levels": [0.0, 0.01, ..., 1.0],
     "features": {"sepal_length": {"min": 4.3, "max": 7.9,
                                   "quantiles": [4.3, ..., 7.9]}, ...},
     "target": "species",
     "classes": {"setosa": 0.333, ...},
     "data": {"source": "lakefs://...", "commit_id": "...",
              "committed": "2026-11-30T12:00:00Z"}}

``classes`` and ``data`` are optional.  This module reads and checks it
(without numpy: only lists of floats), finds it in a model directory, and
reads the model's ``created`` date (ORMB config pulled by ``dsp model pull``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from precommit_hooks.core.files import loads_strict_json
from precommit_hooks.core.findings import Refusal, json_problem, refuse_special_file
from precommit_hooks.core.text import is_number

PROFILE_FORMAT = "dsp-reference-profile/1"
PROFILE_FILE = "reference_profile.json"
# Where a model directory may hold the profile: train's output folder, the
# ORMB directory's evaluation/ (train component), or model/ or models/ (a
# pulled model: ORMB's layer, KServe's)
PROFILE_PLACES = tuple(
    f"{folder}{PROFILE_FILE}" for folder in ("", "evaluation/", "model/", "models/")
)
CREATED_PLACES = ("ormb-config.json", "model/ormb-config.json")
MAX_PROFILE_BYTES = 20 << 20
MIN_LEVELS = 3


@dataclass(frozen=True)
class FeatureProfile:
    """One feature of the training data."""

    name: str
    minimum: float
    maximum: float
    quantiles: tuple[float, ...]


@dataclass(frozen=True)
class Reference:
    """A checked reference profile and where it came from."""

    path: Path
    rows: int
    levels: tuple[float, ...]
    features: dict[str, FeatureProfile]
    target: str | None = None
    classes: dict[str, float] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    model_created: str | None = None
    dataset: tuple[str, str] | None = None  # (lakeFS URI, commit) of the model


def find_profile(path: Path) -> tuple[Path, Path | None]:
    """(profile file, model directory or None) for a file or a model directory."""
    if not path.exists():
        raise Refusal(
            f"--reference {path}: no such file or folder; name the "
            f"{PROFILE_FILE} training wrote, or the model directory holding it"
        )
    if not path.is_dir():
        return path, None
    for place in PROFILE_PLACES:
        if (path / place).is_file():
            return path / place, path
    raise Refusal(
        f"--reference {path}: no {PROFILE_FILE} in the folder (looked for "
        f"{', '.join(PROFILE_PLACES)}); push it with the model (dsp model push "
        f"... --model artifacts/{PROFILE_FILE}) or retrain to write it"
    )


def _finite_list(value: object, where: str, size: int | None = None) -> list[float]:
    if not isinstance(value, list) or not all(is_number(v) for v in value):
        raise Refusal(f"{where} must be a list of finite numbers")
    if size is not None and len(value) != size:
        raise Refusal(f"{where} has {len(value)} values, not {size} (one per level)")
    if any(b < a for a, b in zip(value, value[1:])):
        raise Refusal(f"{where} must be in increasing order")
    return [float(v) for v in value]


def _feature(name: str, value: object, levels: int, where: str) -> FeatureProfile:
    if not isinstance(value, dict):
        raise Refusal(f"{where}.{name} must be an object with min, max, quantiles")
    for key in ("min", "max"):
        if not is_number(value.get(key)):
            raise Refusal(f"{where}.{name}.{key} must be a finite number")
    quantiles = _finite_list(
        value.get("quantiles"), f"{where}.{name}.quantiles", levels
    )
    if not value["min"] <= value["max"]:
        raise Refusal(f"{where}.{name}: min is above max")
    return FeatureProfile(
        name, float(value["min"]), float(value["max"]), tuple(quantiles)
    )


def parse_profile(data: object, path: Path) -> Reference:
    """Check a parsed profile; every problem is one line naming the file."""
    where = str(path)
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise Refusal(f"{path}: not a reference profile (format {PROFILE_FORMAT!r})")
    rows = data.get("rows")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise Refusal(f"{path}: rows must be a positive whole number")
    levels = _finite_list(data.get("quantile_levels"), f"{where}: quantile_levels")
    if len(levels) < MIN_LEVELS or levels[0] != 0 or levels[-1] != 1:
        raise Refusal(f"{path}: quantile_levels must run from 0 to 1 (3 or more)")
    features = data.get("features")
    if not isinstance(features, dict) or not features:
        raise Refusal(f"{path}: features must be a non-empty object")
    profiles = {
        str(n): _feature(str(n), v, len(levels), f"{where}: features")
        for n, v in features.items()
    }
    classes = data.get("classes") or {}
    if not isinstance(classes, dict) or not all(
        is_number(v) and v >= 0 for v in classes.values()
    ):
        raise Refusal(f"{path}: classes must map class names to shares (0..1)")
    extra = data.get("data") or {}
    if not isinstance(extra, dict):
        raise Refusal(f"{path}: data must be an object (source, commit_id, committed)")
    target = data.get("target")
    return Reference(
        path=path,
        rows=rows,
        levels=tuple(levels),
        features=profiles,
        target=target if isinstance(target, str) else None,
        classes={str(k): float(v) for k, v in classes.items()},
        data=extra,
    )


def _read_json(path: Path, what: str) -> object:
    refuse_special_file(path, what)
    if path.stat().st_size > MAX_PROFILE_BYTES:
        raise Refusal(f"{path}: over {MAX_PROFILE_BYTES >> 20} MiB; not a {what}")
    try:
        return loads_strict_json(path.read_bytes())
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is one
        raise Refusal(f"{path}: not valid JSON ({json_problem(exc)})")


def model_config(model_dir: Path) -> dict[str, Any]:
    """A pulled model's ORMB config ({} when there is none)."""
    for place in CREATED_PLACES:
        config = model_dir / place
        if config.is_file():
            data = _read_json(config, "ORMB config")
            return data if isinstance(data, dict) else {}
    return {}


def _dataset(config: dict[str, Any]) -> tuple[str, str] | None:
    """(repository URI, commit) of ORMB's ``dataset.git``, when both are text."""
    git = config.get("dataset", {})
    git = git.get("git") if isinstance(git, dict) else None
    if not isinstance(git, dict):
        return None
    repository, commit = git.get("repository"), git.get("revision")
    if isinstance(repository, str) and isinstance(commit, str):
        return repository, commit
    return None


def read_reference(path: Path) -> Reference:
    """The profile at ``path`` (a file or a model directory), checked."""
    profile_path, model_dir = find_profile(path)
    reference = parse_profile(
        _read_json(profile_path, "reference profile"), profile_path
    )
    if model_dir is None:
        return reference
    config = model_config(model_dir)
    created = config.get("created")
    return Reference(
        **{
            **reference.__dict__,
            "model_created": created if isinstance(created, str) else None,
            "dataset": _dataset(config),
        }
    )


def parse_date(text: object, what: str) -> dt.datetime:
    """An ISO 8601 date or time (``Z`` allowed), as an aware UTC datetime."""
    if not isinstance(text, str):
        raise Refusal(f"{what} must be an ISO 8601 date, not {json.dumps(text)}")
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refusal(f"{what} {text!r} is not an ISO 8601 date, e.g. 2026-11-30")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)
