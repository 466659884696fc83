"""``dsp monitor``: check a production batch against the training reference.

Exit 0 when every limit holds, 1 when one does not (or the input is refused,
in one line), 2 for a usage error.  numpy is imported only here, after the
arguments are read, with one line naming the extra when missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from precommit_hooks.core.config import add_config_option
from precommit_hooks.core.findings import (
    Refusal,
    add_format_option,
    print_json,
    print_text,
)
from precommit_hooks.core.text import file_path, positive_int
from precommit_hooks.lifecycle.monitor.batch import DEFAULT_MAX_BYTES
from precommit_hooks.lifecycle.monitor.profile import parse_date

MISSING_EXTRA = (
    "dsp monitor needs numpy ({module} is missing): "
    "pip install 'dsp-template[monitor]'"
)


def configure_monitor(parser: argparse.ArgumentParser) -> None:
    """``dsp monitor --reference ... --batch FILE``."""
    parser.add_argument(
        "--reference",
        type=file_path,
        help="reference_profile.json, or the model directory holding it "
        "(default: [tool.dsp.monitor] reference)",
    )
    parser.add_argument(
        "--batch", type=file_path, required=True, help="CSV or JSON lines of inputs"
    )
    add_config_option(
        parser, "monitor", "pyproject.toml with [tool.dsp.monitor] (optional)"
    )
    add_format_option(parser, ("text", "markdown", "json"))
    parser.add_argument(
        "--output", type=file_path, help="also write the JSON report here (atomically)"
    )
    parser.add_argument("--data-date", help="the data's commit date (ISO 8601)")
    parser.add_argument("--model-created", help="the model's created date (ISO)")
    parser.add_argument(
        "--lakefs-endpoint",
        help="ask lakeFS for the date of the commit the model was trained on",
    )
    parser.add_argument("--now", help="the time to measure ages at (ISO 8601)")
    parser.add_argument(
        "--max-bytes", type=positive_int, help="refuse a larger batch file"
    )
    parser.set_defaults(func=monitor_command)


def require_numeric() -> None:
    """Refuse in one line when the monitor extra is not installed."""
    try:
        import numpy  # noqa: F401 - only whether it imports
    except ImportError:
        raise Refusal(MISSING_EXTRA.format(module="numpy"))


def _settings(args: argparse.Namespace) -> tuple[object, Path]:
    """``[tool.dsp.monitor]`` of --config (None when the file is absent)."""
    if not args.config.exists():
        return None, Path(".")
    from precommit_hooks.lifecycle.regression import read_project_config

    dsp, root = read_project_config(args.config)
    return dsp.get("monitor"), root


def _reference_path(args: argparse.Namespace, table: object, root: Path) -> Path:
    if args.reference is not None:
        return args.reference
    if isinstance(table, dict) and isinstance(table.get("reference"), str):
        return root / table["reference"]
    raise Refusal("no reference: pass --reference or set [tool.dsp.monitor] reference")


def _commit_date(args: argparse.Namespace, reference) -> str | None:
    """The training data's lakeFS commit date, with --lakefs-endpoint."""
    if not args.lakefs_endpoint:
        return None
    if reference.dataset is None:
        raise Refusal(
            f"--lakefs-endpoint: {reference.path.parent} names no dataset commit "
            "(ORMB config dataset.git); pass --data-date instead"
        )
    from precommit_hooks.lifecycle.monitor.lakefs import commit_date

    return commit_date(args.lakefs_endpoint, *reference.dataset)


def monitor_command(args: argparse.Namespace) -> int:
    """Read, check, print; exit 1 when a limit is exceeded."""
    from precommit_hooks.core.files import write_atomic
    from precommit_hooks.lifecycle.monitor.profile import read_reference
    from precommit_hooks.lifecycle.monitor.report import parse_limits

    table, root = _settings(args)
    limits = parse_limits(table, args.config)
    now = (
        parse_date(args.now, "--now") if args.now else dt.datetime.now(dt.timezone.utc)
    )
    for option in ("data_date", "model_created"):
        if getattr(args, option):
            parse_date(getattr(args, option), "--" + option.replace("_", "-"))
    reference = read_reference(_reference_path(args, table, root))
    checked = table if isinstance(table, dict) else {}  # parse_limits refused others
    max_bytes = args.max_bytes or checked.get("max_bytes", DEFAULT_MAX_BYTES)
    require_numeric()
    from precommit_hooks.lifecycle.monitor import render
    from precommit_hooks.lifecycle.monitor.batch import read_batch
    from precommit_hooks.lifecycle.monitor.report import evaluate

    batch = read_batch(
        args.batch,
        list(reference.features),
        limits.prediction_column,
        limits.label_column,
        max_bytes,
    )
    data_date = args.data_date or _commit_date(args, reference)
    verdict = evaluate(reference, batch, limits, now, data_date, args.model_created)
    document = render.verdict_json(verdict)
    if args.output is not None:
        import json

        write_atomic(args.output, (json.dumps(document, indent=2) + "\n").encode())
    if args.format == "json":
        print_json(document)
    elif args.format == "markdown":
        print_text(render.render_markdown(verdict))
    else:
        print_text(render.render_text(verdict))
    return 0 if verdict.passed else 1
