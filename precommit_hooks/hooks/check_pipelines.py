"""check-pipelines: compile the KFP pipelines a change touches, each in isolation.

A pipeline file given to the hook is compiled.  A component's files
(``component.yaml`` or anything under its folder, such as ``src/``) are not
compiled themselves: the pipelines that use the component are, because renaming
an input in ``component.yaml`` passes check-components and breaks only the
pipeline that calls it.  A pipeline uses a component when its source names the
component's folder (``COMPONENTS / "train" / "component.yaml"``); the pipelines
searched are the ``*_pipeline.py`` files of the ``workflows/`` folder the
component lives in, else of ``workflows/`` in the current directory (the
repository root under pre-commit).  A component file no pipeline uses compiles
nothing.

How each file is compiled (kfp imported once, a forked child per file, bounded
output, timeout): :mod:`precommit_hooks.kfp.compile`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Sequence

from precommit_hooks.core.findings import (
    Finding,
    emit,
    hook_parser,
    internal_error_finding,
)
from precommit_hooks.kfp.compile import (  # noqa: F401 - the hook's public names
    DEFAULT_TIMEOUT,
    Options,
    compile_pipeline,
    compile_pipelines,
    pipeline_input_specs,
    pipeline_inputs,
)

MAX_TIMEOUT = 86400.0  # a day; larger values overflow the OS timers
_COMPONENT_FILES = ("component.yaml", "component.yml")
# A component's source folder whose component.yaml is gone: nothing compiles it.
_COMPONENT_SOURCE = re.compile(r"(^|/)components/[^/]+/src/")
_PIPELINE_GLOB = "*_pipeline.py"
_MAX_SOURCE_BYTES = 1 << 20  # a pipeline file read to see which components it names


def component_folder(path: str) -> Path | None:
    """The component folder (holding component.yaml) ``path`` belongs to, if any."""
    here = Path(os.path.abspath(path))
    if here.name in _COMPONENT_FILES:
        return here.parent
    if here.name.endswith("_pipeline.py"):
        return None
    for folder in here.parents:
        if any((folder / name).is_file() for name in _COMPONENT_FILES):
            return folder
        if folder.name == "workflows" or folder == Path.cwd():
            return None
    return None


def _workflows_roots(component: Path) -> list[Path]:
    """The workflows/ folder the component lives in, else ./workflows."""
    for folder in component.parents:
        if folder.name == "workflows":
            return [folder]
    local = Path.cwd() / "workflows"
    return [local] if local.is_dir() else []


def _names_component(pipeline: Path, component: Path) -> bool:
    try:
        with open(pipeline, "rb") as handle:
            source = handle.read(_MAX_SOURCE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    return component.name in source


def pipelines_using(component: Path) -> list[Path]:
    """The ``*_pipeline.py`` files that name the component's folder."""
    found = []
    for root in _workflows_roots(component):
        for pipeline in sorted(root.rglob(_PIPELINE_GLOB)):
            parts = pipeline.relative_to(root).parts
            if any(part.startswith(".") for part in parts):
                continue  # .venv, .git and other hidden folders
            if pipeline.is_file() and _names_component(pipeline, component):
                found.append(pipeline)
    return found


def pipelines_to_compile(filenames: Sequence[str]) -> dict[str, str | None]:
    """``{pipeline path: None}`` for pipelines given, ``{path: component file}``
    for those compiled because a component file they use changed."""
    chosen: dict[str, str | None] = {}
    for name in filenames:
        component = component_folder(name)
        if component is None:
            if not _COMPONENT_SOURCE.search(name.replace(os.sep, "/")):
                chosen[name] = None
            continue
        for pipeline in pipelines_using(component):
            shown = os.path.relpath(pipeline)
            shown = str(pipeline) if shown.startswith("..") else shown
            chosen.setdefault(shown, name)
    return chosen


def _explained(found: list[Finding], because: str | None) -> list[Finding]:
    """Say which component file made the hook compile this pipeline."""
    if not because:
        return found
    return [
        dataclasses.replace(
            f, message=f"{f.message} (compiled because {because} " "changed)"
        )
        for f in found
    ]


def check_pipelines(
    filenames: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    function: str | None = None,
    python: str | None = None,
    cwd: str | None = None,
    jobs: int | None = None,
    max_bytes: int | None = None,
) -> list[Finding]:
    """Compile the pipelines the files touch; one file's failure never stops others."""
    try:
        chosen = pipelines_to_compile(list(dict.fromkeys(filenames)))
    except Exception as exc:  # noqa: BLE001 - a hook never shows a traceback
        return [internal_error_finding(filenames[0], exc)]
    if not chosen:
        return []
    workers = max(1, min(len(chosen), jobs or min(4, os.cpu_count() or 1)))
    options = Options(timeout, function, python, cwd, max_bytes, option_hints=True)
    by_path: dict[str, list[Finding]] = {}
    try:
        for path, _, found in compile_pipelines(chosen, options, jobs=workers):
            by_path[path] = _explained(found, chosen[path])
    except Exception as exc:  # noqa: BLE001 - e.g. fork refused: no traceback
        for path in chosen:
            by_path.setdefault(path, [internal_error_finding(path, exc)])
    return [f for path in chosen for f in by_path.get(path, [])]


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of the ``check-pipelines`` hook."""
    parser = hook_parser(
        "check-pipelines",
        "Compile KFP pipeline files, and the pipelines that use a changed "
        "component, each in an isolated child.",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds allowed per file (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--function", default=None, help="the pipeline to compile in each file"
    )
    parser.add_argument(
        "--python",
        default=os.environ.get("DSP_PYTHON") or None,
        help="interpreter with kfp and the pipeline's imports "
        "(default: $DSP_PYTHON, else the hook's own)",
    )
    parser.add_argument(
        "--cwd",
        choices=("tmp", "repo"),
        default="tmp",
        help="compile in a fresh temporary directory (default) or in the "
        "current directory",
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="files compiled at once (default 4)"
    )
    for action in parser._actions:  # the shared option means the compiled YAML here
        if action.dest == "max_bytes":
            action.help = "largest compiled YAML read back, in bytes (default 64 MiB)"
    args = parser.parse_args(argv)
    if not 0 < args.timeout < MAX_TIMEOUT:  # also refuses nan and inf
        parser.error(
            f"--timeout must be a number of seconds between 0 and {MAX_TIMEOUT:g}, "
            f"got {args.timeout:g}"
        )
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    found = check_pipelines(
        args.filenames,
        timeout=args.timeout,
        function=args.function,
        python=args.python,
        cwd=os.getcwd() if args.cwd == "repo" else None,
        jobs=args.jobs,
        max_bytes=args.max_bytes,
    )
    return emit(found, args.format, args.strict)


if __name__ == "__main__":
    raise SystemExit(main())
