"""ORMB's model configuration, defined once for `dsp model push` and `pull`.

The config blob (media type ``application/vnd.caicloud.model.config.v1alpha1+json``,
spec ``kleveross/ormb docs/spec-v1alpha1.md``) holds ``framework``,
``format``, ``size``, ``metrics`` (``{"validation": [{"name", "value"}]}``,
values as strings as ORMB has them), ``hyperParameters``
(``[{"name", "value"}]``), ``training.git`` (repository and revision of the
training code) and ``dataset.git`` (the lakeFS repository URI and the lakeFS
commit it was read at: lakeFS commits are git-like, and ORMB's dataset has
only a git field).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from precommit_hooks.core.files import loads_strict_json
from precommit_hooks.core.findings import Refusal, json_problem, json_type_name
from precommit_hooks.core.text import is_number

ORMB_CONFIG_MEDIA_TYPE = "application/vnd.caicloud.model.config.v1alpha1+json"
CONFIG_FILE = "ormb-config.json"  # where `dsp model pull` writes the config
MAX_CONFIG_BYTES = 1 << 20  # a config is names and numbers: 1 MiB is plenty


def named_values(data: dict[str, Any]) -> list[dict[str, str]]:
    """ORMB's ``[{"name", "value"}]`` with string values (JSON for non-strings)."""
    return [
        {"name": str(k), "value": v if isinstance(v, str) else json.dumps(v)}
        for k, v in data.items()
    ]


def numeric_metrics(metrics: dict[str, Any], where: str) -> dict[str, float | int]:
    """The top-level numbers of a metrics object; NaN or a huge number is refused.

    Booleans and nested objects such as ``per_class`` are left out, as the
    promotion gate reads only the top-level numbers.
    """
    numbers: dict[str, float | int] = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not is_number(value):
            shown = f"{str(value)[:20]}..." if isinstance(value, int) else value
            raise Refusal(
                f"{where}: metric {key!r} is {shown}, not a finite number a float "
                "can hold; write the metric as a plain number"
            )
        numbers[key] = value
    return numbers


def _git(repository: str | None, revision: str | None) -> dict[str, Any]:
    return {
        "git": {
            k: v for k, v in (("repository", repository), ("revision", revision)) if v
        }
    }


def ormb_config(
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
    """The ORMB model configuration for a pushed model."""
    config: dict[str, Any] = {
        "created": created
        or dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "framework": framework,
        "format": model_format,
        "size": size,
    }
    if author:
        config["author"] = author
    if description:
        config["description"] = description
    numeric = numeric_metrics(metrics or {}, "metrics")
    if numeric:
        config["metrics"] = {"validation": named_values(numeric)}
    if hyperparameters:
        config["hyperParameters"] = named_values(hyperparameters)
    if git_repository or git_revision:
        config["training"] = _git(git_repository, git_revision)
    if dataset_repository or dataset_commit:
        config["dataset"] = _git(dataset_repository, dataset_commit)
        if dataset_commit:
            config["labels"] = {"io.lakefs.commit": dataset_commit}
    return config


def config_bytes(config: dict[str, Any]) -> bytes:
    """The config blob: sorted, indented JSON (the same config, the same digest)."""
    return json.dumps(config, indent=2, sort_keys=True).encode()


def parse_config(data: bytes, where: str) -> dict[str, Any]:
    """A pulled config blob, refused in one line unless it is a JSON object."""
    if len(data) > MAX_CONFIG_BYTES:
        raise Refusal(f"{where}: the model config is over {MAX_CONFIG_BYTES} bytes")
    try:
        config = loads_strict_json(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refusal(f"{where}: the model config is not UTF-8 JSON; do not use it")
    except (ValueError, RecursionError) as exc:
        raise Refusal(
            f"{where}: the model config is not valid JSON ({json_problem(exc)}); "
            "do not use this model"
        )
    if not isinstance(config, dict):
        raise Refusal(
            f"{where}: the model config must be a JSON object, not "
            f"{json_type_name(config)}; do not use this model"
        )
    return config
