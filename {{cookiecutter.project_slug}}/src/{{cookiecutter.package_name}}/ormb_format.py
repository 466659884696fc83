"""ORMB's model configuration, defined once: `dsp model push` and the train component.

This module uses the standard library only: the generated project carries a
byte-identical copy of it (``python -m precommit_hooks.lifecycle.shared_formats
--check`` fails when they drift), so the train component's ``ormbfile.yaml``
and the config `dsp model push` uploads are built by the same function.

The configuration (media type ``application/vnd.caicloud.model.config.v1alpha1+json``,
spec ``kleveross/ormb docs/spec-v1alpha1.md``) holds ``framework``, ``format``,
``size``, ``metrics`` (``{"validation": [{"name", "value"}]}``, values as
strings as ORMB has them), ``hyperParameters`` (``[{"name", "value"}]``),
``training.git`` (repository and revision of the training code) and
``dataset.git`` (the lakeFS repository URI and the lakeFS commit it was read
at: lakeFS commits are git-like, and ORMB's dataset has only a git field).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

ORMB_CONFIG_MEDIA_TYPE = "application/vnd.caicloud.model.config.v1alpha1+json"
ORMBFILE_HEADER = {"apiVersion": "v1alpha1", "kind": "Model"}


def named_values(data: dict[str, Any]) -> list[dict[str, str]]:
    """ORMB's ``[{"name", "value"}]`` with string values (JSON for non-strings)."""
    return [
        {"name": str(k), "value": v if isinstance(v, str) else json.dumps(v)}
        for k, v in data.items()
    ]


def top_level_numbers(metrics: dict[str, Any]) -> dict[str, Any]:
    """The finite top-level numbers of a metrics object (booleans are not numbers)."""
    numbers = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        try:
            if math.isfinite(value):
                numbers[key] = value
        except OverflowError:  # an integer too large for a float
            continue
    return numbers


def _git(repository: str | None, revision: str | None) -> dict[str, Any]:
    pairs = (("repository", repository), ("revision", revision))
    found = {key: value for key, value in pairs if value}
    return {"git": found}


def model_config(
    *,
    framework: str,
    model_format: str,
    size: int,
    metrics: dict[str, Any] | None = None,
    hyperparameters: dict[str, Any] | None = None,
    git_repository: str | None = None,
    git_revision: str | None = None,
    dataset_repository: str | None = None,
    dataset_commit: str | None = None,
    author: str | None = None,
    description: str | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    """The ORMB model configuration of a trained model."""
    now = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    config: dict[str, Any] = {
        "created": created or now,
        "framework": framework,
        "format": model_format,
        "size": size,
    }
    for key, value in (("author", author), ("description", description)):
        if value:
            config[key] = value
    numbers = top_level_numbers(metrics or {})
    if numbers:
        config["metrics"] = {"validation": named_values(numbers)}
    if hyperparameters:
        config["hyperParameters"] = named_values(hyperparameters)
    if git_repository or git_revision:
        config["training"] = _git(git_repository, git_revision)
    if dataset_repository or dataset_commit:
        config["dataset"] = _git(dataset_repository, dataset_commit)
    if dataset_commit:
        config["labels"] = {"io.lakefs.commit": dataset_commit}
    return config


def ormbfile(config: dict[str, Any]) -> dict[str, Any]:
    """ORMB's ``ormbfile.yaml`` for a model: its header, then the configuration."""
    return {**ORMBFILE_HEADER, **config}
