"""check-components-sync: fail a commit whose generated components are stale.

It runs ``dsp components generate --check`` in the repository root: the
step functions are read with :mod:`ast`, so the hook imports neither kfp
nor the project's code and takes a fraction of a second.  A repository with
no ``[tool.dsp.components]`` generates nothing, so it passes.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Sequence

from precommit_hooks.core.config import add_config_option
from precommit_hooks.core.findings import UsageParser, run_guarded
from precommit_hooks.kfp.generate.command import run


def configured(config: Path) -> bool:
    """Whether ``config`` has a ``[tool.dsp.components]`` table.

    No pyproject.toml is nothing to check; a folder, a broken file or a
    ``[tool.dsp]`` that is not a table is refused by the reader in one line.
    """
    from precommit_hooks.core.config import dsp_table, load_toml

    if not os.path.lexists(config):
        return False
    return "components" in dsp_table(load_toml(config), config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = UsageParser(
        prog="check-components-sync",
        description="Check the generated component.yaml files match their steps.",
    )
    parser.add_argument(
        "filenames", nargs="*", help="ignored: the whole project is checked"
    )
    add_config_option(parser, "components")
    args = parser.parse_args(argv)
    check = argparse.Namespace(config=args.config, check=True)
    return run_guarded(
        "check-components-sync",
        lambda: run(check) if configured(Path(args.config)) else 0,
    )


if __name__ == "__main__":
    raise SystemExit(main())
