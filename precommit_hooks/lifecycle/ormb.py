"""ORMB's model configuration on the `dsp` side: build it with refusals, read it back.

The format itself is :mod:`.ormb_format` (standard library only, copied into
the generated project); this module adds what `dsp` refuses: a metric that
is NaN or too large for a float on push, and a pulled config that is not a
JSON object within its size cap.
"""

from __future__ import annotations

import json
from typing import Any

from precommit_hooks.core.files import loads_strict_json
from precommit_hooks.core.findings import Refusal, json_problem, json_type_name
from precommit_hooks.core.text import is_number
from precommit_hooks.lifecycle.ormb_format import (  # noqa: F401 - public names
    ORMB_CONFIG_MEDIA_TYPE,
    model_config,
    named_values,
)

CONFIG_FILE = "ormb-config.json"  # where `dsp model pull` writes the config
MAX_CONFIG_BYTES = 1 << 20  # a config is names and numbers: 1 MiB is plenty


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


def ormb_config(**fields: Any) -> dict[str, Any]:
    """The ORMB model configuration (:func:`.ormb_format.model_config`)."""
    numeric_metrics(fields.get("metrics") or {}, "metrics")
    return model_config(**fields)


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
