"""The findings of a pipeline compile: one line at the user's file and line.

Hints name an option only when the caller has it (``Options.option_hints``:
the ``check-pipelines`` hook); ``dsp parse-comment --repo`` has none of them,
so its hints say what to change in the file or its environment instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Finding, finding
from precommit_hooks.kfp.isolation import Ended

DEFAULT_TIMEOUT = 60.0
# Compiled pipelines embed component code: allow far more than a hand-written file.
COMPILED_MAX_BYTES = 64 << 20
COMPILED_MAX_NODES = 5_000_000


@dataclass(frozen=True)
class Options:
    """How to compile; ``option_hints`` names the hook's options in hints."""

    timeout: float = DEFAULT_TIMEOUT
    function: str | None = None
    python: str | None = None
    cwd: str | None = None
    max_bytes: int | None = None
    option_hints: bool = False


def ended_badly(path: str, ended: Ended, tail: str, options: Options) -> Finding:
    """The child was stopped, or ended without a report."""
    if ended.timed_out:
        return finding(
            path,
            None,
            "pipeline-timeout",
            f"compiling took longer than {options.timeout:g} s and was stopped "
            "(an endless loop or a network call at import?); fix it"
            + (" or raise --timeout" if options.option_hints else ""),
        )
    code = ended.exit_code or 0
    how = (
        f"was killed by signal {-code}" if code < 0 else f"ended with exit code {code}"
    )
    return finding(
        path,
        None,
        "pipeline-crash",
        f"the compiler process {how} before reporting "
        "(os._exit or a crash at import?)" + (f": {tail}" if tail else ""),
    )


def read_back(
    path: str, compiled_path: str, options: Options
) -> tuple[dict | None, list[Finding]]:
    """The compiled pipeline spec kfp wrote, read with the guarded reader."""
    limit = options.max_bytes or COMPILED_MAX_BYTES
    try:
        loaded = yamlio.load(
            compiled_path, max_bytes=limit, max_nodes=COMPILED_MAX_NODES
        )
    except yamlio.YamlError as exc:
        problem = exc.finding.message
        if exc.finding.rule == "file-too-large":
            problem = f"it is over the {limit}-byte limit" + (
                "; raise --max-bytes" if options.option_hints else ""
            )
        return None, [
            finding(
                path,
                None,
                "pipeline-output",
                f"kfp wrote compiled YAML that cannot be read back: {problem}",
            )
        ]
    compiled = loaded.documents[0] if loaded.documents else None
    if not isinstance(compiled, dict):
        return None, [finding(path, None, "pipeline-output", "compiled YAML is empty")]
    return compiled, []


_STAGE_HINTS = {
    "import": "importing the file failed",
    "compile": "the kfp compiler refused the pipeline",
}
_RULES = {
    "import": "pipeline-import",
    "collect": "pipeline-function",
    "compile": "pipeline-compile",
    "kfp": "pipeline-python",
    "python": "pipeline-python",
}


def _collect_message(result: dict[str, Any], options: Options) -> str:
    names = [str(name) for name in result.get("names") or []]
    listed = ", ".join(names) or "none"
    problem = result.get("problem")
    if problem == "missing":
        wanted = options.function
        return f"no @dsl.pipeline named {wanted!r} in the file (pipelines: {listed})"
    if problem == "many":
        return (
            f"{len(names)} pipelines in one file ({listed}); keep one pipeline a file"
            + (
                ", or name the one to compile with --function NAME"
                if options.option_hints
                else ""
            )
        )
    return "no pipeline found: decorate the pipeline function with @dsl.pipeline" + (
        ", or leave this file out of the hook's files pattern"
        if options.option_hints
        else ""
    )


def _hint(result: dict[str, Any], stage: str, error: str, options: Options) -> str:
    """What to do about the failure, naming only options the caller has."""
    hooked = options.option_hints
    if error == "SystemExit":
        return (
            "the file exits at import; guard that call with if __name__ == '__main__'"
        )
    if error in ("ModuleNotFoundError", "ImportError"):
        if hooked:
            return (
                "importing the file failed; install the module in the hook's "
                "environment (additional_dependencies) or choose --python"
            )
        return "importing the file failed; install the module where pipelines compile"
    if error == "FileNotFoundError" and stage == "import":
        return (
            "importing the file failed; the pipeline is compiled in an empty "
            "temporary directory: locate files relative to __file__"
            + (", or use --cwd repo" if hooked else "")
        )
    if result.get("in_kfp"):
        # kfp builds the pipeline graph when the decorator runs, i.e. at import.
        return _STAGE_HINTS["compile"]
    return _STAGE_HINTS.get(stage, "")


def failure(path: str, result: dict[str, Any], options: Options) -> Finding:
    """Turn the child's JSON report into one finding at the user's line."""
    stage = str(result.get("stage", ""))
    error = str(result.get("error", ""))
    if stage == "collect":
        return finding(
            path, None, "pipeline-function", _collect_message(result, options)
        )
    if stage == "python":
        return finding(
            path,
            None,
            "pipeline-python",
            f"cannot start {options.python!r}: {error}"
            + ("; check --python" if options.option_hints else ""),
        )
    message = str(result.get("message", "")).strip().replace("\n", " ")
    hint = _hint(result, stage, error, options)
    if hint == _STAGE_HINTS["compile"]:
        stage = "compile"
    other = str(result.get("other") or "")
    text = f"{hint}: {message}" if hint else message
    if other:
        text += f" (raised at {other})"
    rule = _RULES.get(stage, "pipeline-compile")
    if error in ("SyntaxError", "IndentationError", "TabError") and not other:
        rule = "pipeline-syntax"
    line = int(result.get("line") or 0)
    col = int(result.get("col") or 0)
    return finding(path, (line, col) if line else None, rule, text)
