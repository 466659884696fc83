"""The project's ``[tool.dsp]`` configuration: one guarded reader for every part.

``pyproject.toml`` is read under a size cap, and a missing, broken or
non-UTF-8 file is refused in one line; each part validates its own sub-table
(``gate``, ``regression``, ``components``, ``monitor``) against its schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Mapping

from precommit_hooks.core.files import read_capped
from precommit_hooks.core.findings import Refusal, json_type_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

MAX_TOML_BYTES = 1 << 20  # a pyproject.toml is a page or two


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
        raise Refusal(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    except RecursionError:
        raise Refusal(
            f"{path}: not valid TOML (nested too deep to read; flatten it)"
        ) from None
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text; save it as UTF-8") from None


def dsp_table(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The ``[tool.dsp]`` table of a parsed pyproject.toml (empty if absent)."""
    tool = data.get("tool", {})
    dsp = tool.get("dsp", {}) if isinstance(tool, dict) else {}
    if not isinstance(dsp, dict):
        raise Refusal(f"{path}: [tool.dsp] must be a table, not {json_type_name(dsp)}")
    return dsp


def add_config_option(
    parser: argparse.ArgumentParser, table: str, help: str | None = None
) -> None:
    """``--config``: the pyproject.toml with the ``[tool.dsp.<table>]`` it reads."""
    name = f"tool.dsp.{table}" if table else "tool.dsp"
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("pyproject.toml"),
        help=help or f"the project's pyproject.toml with [{name}]",
    )
