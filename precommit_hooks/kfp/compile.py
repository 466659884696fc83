"""Compile KFP pipeline files, each in an isolated child, kfp imported once.

Why a child per file: importing a pipeline file runs its code.  A file that
loops forever, calls ``sys.exit`` or ``os._exit``, changes the working
directory or leaves modules in ``sys.modules`` must not stop, hang or colour
the compile of the next file, and kfp keeps global state (pipeline contexts,
registered components) that two files must not share.

How a file is compiled (the child is :mod:`precommit_hooks.kfp.compile_child`):

* the parent imports kfp once and forks a child per file (a few at a time), so
  kfp's import (about a second of CPU) is paid once per run, not per file; with
  ``python`` (``check-pipelines --python``, e.g. the project's
  ``.venv/bin/python``) the forked child runs ``compile_child.py`` with that
  interpreter instead, and pays the import itself;
* the child leads its own session, killed with everything it started on the
  timeout and when it ends; stdin is ``/dev/null``; of its stdout and stderr
  only the last 64 KiB each are kept (:mod:`precommit_hooks.kfp.isolation`);
* the working directory is a fresh temporary directory, so files a pipeline
  writes to relative paths at import land there and are deleted afterwards,
  and the compiled YAML goes there too: two ``train_pipeline.py`` in different
  folders never collide.  A pipeline must find its component files relative
  to ``__file__``; ``cwd`` runs it elsewhere (``check-pipelines --cwd repo``);
* ``sys.path`` starts with the pipeline's own folder (as ``python file.py``
  would) and ends with the caller's working directory (the repository root);
  no bytecode is written next to the pipeline;
* the module is imported under its file name, then the one ``@dsl.pipeline``
  defined in it (or the one named by ``function``) is compiled with
  ``kfp.compiler.Compiler``; the child reports through a JSON file.

What it cannot prevent: a file that writes to absolute paths or next to
``__file__`` at import still does so; keep such code under
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any, Iterable, Iterator, cast

from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import Finding, finding, internal_error_finding
from precommit_hooks.core.text import clip
from precommit_hooks.kfp import compile_child
from precommit_hooks.kfp.compile_findings import ended_badly, failure, read_back
from precommit_hooks.kfp.compile_findings import DEFAULT_TIMEOUT, Options
from precommit_hooks.kfp.isolation import Ended, Task, run_tasks

_RESULT_MAX_BYTES = 1 << 20
_LINE_CHARS = 100  # of each of the last lines a crashed child printed


def pipeline_inputs(compiled: dict) -> dict[str, str]:
    """The pipeline's inputs as ``{name: type}`` read from its compiled spec.

    Parameters give their IR type (``STRING``, ``NUMBER_INTEGER``,
    ``NUMBER_DOUBLE``, ``BOOLEAN``, ``LIST``, ``STRUCT``); artifact inputs give
    their schema title (e.g. ``system.Dataset``).
    """
    return {name: spec["type"] for name, spec in pipeline_input_specs(compiled).items()}


def pipeline_input_specs(compiled: dict) -> dict[str, dict[str, Any]]:
    """Each input's ``type``, ``optional`` flag and ``default`` (when it has one)."""
    root = compiled.get("root") or {}
    definitions = root.get("inputDefinitions") or {}
    specs: dict[str, dict[str, Any]] = {}
    for name, spec in (definitions.get("parameters") or {}).items():
        entry = {
            "type": spec.get("parameterType", "STRING"),
            "optional": bool(spec.get("isOptional", False)),
        }
        if "defaultValue" in spec:
            entry["default"] = spec["defaultValue"]
        specs[name] = entry
    for name, spec in (definitions.get("artifacts") or {}).items():
        schema = (spec.get("artifactType") or {}).get("schemaTitle", "system.Artifact")
        specs[name] = {"type": schema, "optional": bool(spec.get("isOptional", False))}
    return specs


def compile_pipeline(
    path: str,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    function: str | None = None,
    python: str | None = None,
    cwd: str | None = None,
    output: str | None = None,
    max_bytes: int | None = None,
    option_hints: bool = False,
) -> tuple[dict | None, list[Finding]]:
    """Compile one pipeline file in an isolated child.

    Returns ``(compiled, findings)``: ``compiled`` is the first document of the
    compiled pipeline YAML (the PipelineSpec as a dict) or None when the file
    does not compile, and ``findings`` say why, with the file and line.
    ``cwd`` None runs the child in a fresh temporary directory (see the module
    docstring); ``output`` also keeps the compiled YAML at that path;
    ``max_bytes`` caps the compiled YAML read back (default 64 MiB).
    """
    options = Options(timeout, function, python, cwd, max_bytes, option_hints)
    outputs = {path: output} if output else None
    for _, compiled, found in compile_pipelines([path], options, outputs=outputs):
        return compiled, found
    raise AssertionError("compile_pipelines yields one result per file")


def compile_pipelines(
    paths: Iterable[str],
    options: Options = Options(),
    *,
    jobs: int = 1,
    outputs: dict[str, str] | None = None,
) -> Iterator[tuple[str, dict | None, list[Finding]]]:
    """Compile each file, ``jobs`` at a time: ``(path, compiled, findings)``.

    Results come as the children end, not in the order of ``paths``.
    """
    with tempfile.TemporaryDirectory(prefix="dsp-pipeline-") as work:
        tasks = []
        for index, path in enumerate(dict.fromkeys(paths)):
            refused = _refusal(path)
            if refused:
                yield path, None, [refused]
                continue
            tasks.append(_task(path, os.path.join(work, str(index)), options))
        if tasks and not options.python:
            compile_child.preload()  # once here, inherited by every fork
        for ended in run_tasks(tasks, jobs):
            path, folder = cast(tuple[str, str], ended.task.key)  # set by _task
            try:
                compiled, found = _outcome(path, folder, ended, options)
            except Exception as exc:  # noqa: BLE001 - one file, one finding
                compiled, found = None, [internal_error_finding(path, exc)]
            if compiled is not None and outputs and outputs.get(path):
                _copy_compiled(os.path.join(folder, "pipeline.yaml"), outputs[path])
            yield path, compiled, found


def _refusal(path: str) -> Finding | None:
    """A finding for a path that is no pipeline file to compile, else None."""
    if os.path.islink(path) and not os.path.exists(path):
        target = os.readlink(path)
        return finding(
            path, None, "file-missing", f"broken symbolic link to {target!r}"
        )
    if not os.path.isfile(path):
        if os.path.isdir(path):
            what = "is a directory, not a file"
        elif os.path.exists(path):
            what = "is not a regular file (a pipe or device?)"
        else:
            what = "not found"
        return finding(path, None, "file-missing", f"pipeline file {what}")
    if not path.endswith(".py"):
        # Python imports only .py files; anything else fails deep in importlib.
        return finding(
            path,
            None,
            "pipeline-file",
            "a pipeline file is Python source ending in .py "
            "(workflows/<name>_pipeline.py); rename it or pass the .py file",
        )
    return None


def _task(path: str, folder: str, options: Options) -> Task:
    """The child's work: compile ``path`` into ``folder``, report there."""
    run_dir = os.path.join(folder, "cwd")
    os.makedirs(run_dir)
    argv = [
        os.path.abspath(path),
        os.path.join(folder, "pipeline.yaml"),
        os.path.join(folder, "result.json"),
        options.function or "",
        os.getcwd(),
    ]
    python = options.python
    if python and os.sep in python:
        python = os.path.abspath(python)  # the child runs in another directory

    def target() -> None:
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        if python:
            try:
                os.execvp(python, [python, compile_child.__file__, *argv])
            except OSError as exc:
                compile_child.done(
                    argv[2], ok=False, stage="python", error=exc.strerror
                )
        sys.dont_write_bytecode = True
        compile_child.run(*argv)

    return Task((path, folder), target, options.cwd or run_dir, options.timeout)


def _copy_compiled(source: str, destination: str) -> None:
    with open(source, "rb") as compiled:
        write_atomic(destination, compiled.read())


def _read_result(folder: str) -> dict | None:
    try:
        with open(os.path.join(folder, "result.json"), "rb") as handle:
            result = json.loads(handle.read(_RESULT_MAX_BYTES))
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) else None


def _tail(data: bytes, lines: int = 3) -> str:
    """The last few non-blank lines of a child's output, as one short line."""
    text = data.decode("utf-8", errors="replace")
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(clip(line, _LINE_CHARS) for line in kept)


def _outcome(
    path: str, folder: str, ended: Ended, options: Options
) -> tuple[dict | None, list[Finding]]:
    """The compiled spec, or the one finding that says why there is none."""
    result = None if ended.timed_out else _read_result(folder)
    if result is None:
        return None, [ended_badly(path, ended, _tail(ended.stderr), options)]
    if not result.get("ok"):
        return None, [failure(path, result, options)]
    return read_back(path, os.path.join(folder, "pipeline.yaml"), options)
