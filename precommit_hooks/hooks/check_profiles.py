"""The ``check-profiles`` hook: validate the platform's ``profiles.yaml`` files.

The model and its rules live in :mod:`precommit_hooks.access.profiles`; this is
the thin command over it.
"""

from __future__ import annotations

from typing import Sequence

from precommit_hooks.access.profiles import load_profiles
from precommit_hooks.core.findings import Finding, emit, hook_parser, run_checks


def check_file(
    path: str, allowed_domains: Sequence[str] = (), max_bytes: int | None = None
) -> list[Finding]:
    """All findings for one profiles file."""
    return load_profiles(path, allowed_domains, max_bytes)[1]


def main(argv: Sequence[str] | None = None) -> int:
    """check-profiles: validate profiles.yaml files."""
    parser = hook_parser(
        "check-profiles", "Check the platform's profiles.yaml (name, admins, ...)."
    )
    parser.add_argument(
        "--allowed-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="email domain members must use (repeatable; exact match)",
    )
    args = parser.parse_args(argv)
    found = run_checks(
        args.filenames,
        lambda name: check_file(name, args.allowed_domain, args.max_bytes),
    )
    return emit(found, args.format, args.strict)


if __name__ == "__main__":
    raise SystemExit(main())
