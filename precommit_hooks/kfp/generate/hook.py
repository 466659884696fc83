"""check-components-sync: fail a commit whose generated components are stale.

It runs ``dsp components generate --check`` in the repository root: the
step functions are read with :mod:`ast`, so the hook imports neither kfp
nor the project's code and takes a fraction of a second.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from precommit_hooks.core.findings import UsageParser, run_guarded
from precommit_hooks.kfp.generate.command import run


def main(argv: Sequence[str] | None = None) -> int:
    parser = UsageParser(
        prog="check-components-sync",
        description="Check the generated component.yaml files match their steps.",
    )
    parser.add_argument(
        "filenames", nargs="*", help="ignored: the whole project is checked"
    )
    parser.add_argument(
        "--config",
        default="pyproject.toml",
        help="the project's pyproject.toml with [tool.dsp.components]",
    )
    args = parser.parse_args(argv)
    check = argparse.Namespace(config=args.config, check=True)
    return run_guarded("check-components-sync", lambda: run(check))


if __name__ == "__main__":
    raise SystemExit(main())
