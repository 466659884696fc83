"""Render ``docs/rules.md`` from the registered rules (``--check`` for drift).

python -m precommit_hooks.hooks.rules_doc --write docs/rules.md
python -m precommit_hooks.hooks.rules_doc --check docs/rules.md
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Sequence

from precommit_hooks.core.rules import markdown_table, rules_of

# hook id -> the module whose import registers its rules
RULE_SOURCES: dict[str, str] = {
    "check-components": "precommit_hooks.hooks.check_components",
    "check-tekton": "precommit_hooks.hooks.check_tekton.rules",
    "check-serving": "precommit_hooks.hooks.check_serving",
}

HEADER = (
    "# Rules\n\n"
    "Generated from the rules' own docstrings by\n"
    "`python -m precommit_hooks.hooks.rules_doc --write docs/rules.md`;\n"
    "a test fails when this page and the code differ. Do not edit by hand.\n"
)


def render() -> str:
    """The whole page: one section per hook, one table row per rule."""
    parts = [HEADER]
    for hook, module in RULE_SOURCES.items():
        importlib.import_module(module)
        rules = rules_of(hook)
        parts.append(f"\n## {hook}\n\n" + markdown_table(rules))
        for r in rules:
            if r.details:
                parts.append(f"\n### `{r.id}`\n\n{r.details}\n")
    return "".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rules_doc", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="PATH", help="write the page to PATH")
    mode.add_argument("--check", metavar="PATH", help="exit 1 if PATH differs")
    args = parser.parse_args(argv)
    page = render()
    if args.write:
        Path(args.write).write_text(page, encoding="utf-8")
        return 0
    current = Path(args.check).read_text(encoding="utf-8")
    if current != page:
        sys.stderr.write(
            f"{args.check} is out of date; run python -m "
            f"precommit_hooks.hooks.rules_doc --write {args.check}\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
