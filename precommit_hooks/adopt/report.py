"""The readable summary of ``dsp adopt`` (``--format json`` gives the data)."""

from __future__ import annotations

from typing import Any

NEXT_STEPS = (
    "review the change: git status && git diff",
    "resolve each conflict above (or leave your file as it is)",
    "install the git hooks and run them: pre-commit install --install-hooks "
    "&& pre-commit run --all-files",
    "run your tests, then commit: git add -A && git commit -m 'Adopt dsp-template'",
    "later template releases: cruft update",
)


def _section(title: str, lines: list[str]) -> list[str]:
    return (
        [f"{title} ({len(lines)}):", *(f"  {line}" for line in lines)] if lines else []
    )


def _conflict_lines(conflicts: list[dict[str, str]]) -> list[str]:
    """Each conflict with how to resolve it."""
    lines = []
    for conflict in conflicts:
        lines.append(f"{conflict['path']}: {conflict['reason']}")
        if conflict.get("diff"):
            lines.append(
                "    to take the template's version: `dsp adopt --format json` "
                "gives the diff (conflicts[].diff), apply it with `git apply`"
            )
    return lines


def text_summary(result: dict[str, Any]) -> str:
    """Added, merged, kept, conflicts with their resolution, and next steps."""
    verb = "would be " if result["dry_run"] else ""
    head = (
        f"dsp adopt {result['repo_dir']}: template {result['template']} "
        f"at {result['commit']}" + (" (dry run: nothing written)" if verb else "")
    )
    merged = [
        f"{item['path']}: {', '.join(item['added'])}" for item in result["merged"]
    ]
    kept = [f"{item['path']}: {item['reason']}" for item in result["skipped"]]
    lines = [head, ""]
    for block in (
        _section(f"{verb}added", result["added"]),
        _section(f"{verb}merged (your text kept, these added)", merged),
        _section("kept as they are", kept),
        _section(
            "conflicts (kept as you wrote them)", _conflict_lines(result["conflicts"])
        ),
        _section("notes", result["notes"]),
    ):
        if block:
            lines += [*block, ""]
    if not verb:
        lines += ["next steps:", *(f"  {n}. {s}" for n, s in enumerate(NEXT_STEPS, 1))]
    return "\n".join(lines).rstrip("\n") + "\n"
