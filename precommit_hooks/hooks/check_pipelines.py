"""check-pipelines: compile every KFP pipeline file, each in a fresh subprocess.

Why a subprocess per file: importing a pipeline file runs its code.  A file
that loops forever, calls ``sys.exit`` or ``os._exit``, changes the working
directory or leaves modules in ``sys.modules`` must not stop, hang or colour
the check of the next file, and kfp keeps global state (pipeline contexts,
registered components) that two files must not share.

How a file is compiled (see ``_RUNNER``):

* ``python -c <runner>`` with the hook's interpreter (``--python`` to choose
  another, e.g. the project's ``.venv/bin/python``), stdin closed, stdout and
  stderr captured, in a new process group that is killed on ``--timeout``;
* the working directory is a fresh temporary directory, so files a pipeline
  writes to relative paths at import land there and are deleted afterwards,
  and the compiled YAML goes there too: two ``train_pipeline.py`` in different
  folders never collide.  The cost: a pipeline must find its component files
  relative to ``__file__`` (``Path(__file__).parent / ...``), which is what
  works from any directory anyway; ``--cwd repo`` runs in the hook's directory
  instead for pipelines written otherwise;
* ``sys.path`` starts with the pipeline's own folder (as ``python file.py``
  would) and ends with the hook's working directory (the repository root);
* ``PYTHONDONTWRITEBYTECODE`` keeps ``__pycache__`` folders out of the
  repository;
* the module is imported under its file name, then the one ``@dsl.pipeline``
  defined in it (or the one named by ``--function``) is compiled with
  ``kfp.compiler.Compiler``.  The child reports through a JSON file, never
  through stdout, because the user's code may print anything there.

What it cannot prevent: a file that writes to absolute paths or next to
``__file__`` at import still does so; keep such code under
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

from precommit_hooks.core import yamlio
from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import (
    Finding,
    check_guarded,
    emit,
    finding,
    hook_parser,
)

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 86400.0  # a day; larger values overflow the OS timers
# Compiled pipelines embed component code: allow far more than a hand-written file.
_COMPILED_MAX_BYTES = 64 << 20
_COMPILED_MAX_NODES = 5_000_000

# The child process.  argv: pipeline path, output path, result path, function
# name ("" = pick the one pipeline), extra sys.path entry.  Self-contained: it
# needs kfp, not this package, so --python may name any interpreter with kfp.
_RUNNER = r"""
import json, os, sys, traceback

path, output, result_path, function, extra = sys.argv[1:6]
real = os.path.realpath(path)

def where(exc):
    # The innermost frame in the user's file, else the innermost frame at all.
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if os.path.realpath(f.filename) == real]
    line = mine[-1].lineno if mine else 0
    other, in_kfp = "", False
    if frames and os.path.realpath(frames[-1].filename) != real:
        last = os.path.realpath(frames[-1].filename)
        in_kfp = last.startswith(KFP_DIR)
        if not in_kfp:
            other = "%s:%s" % (frames[-1].filename, frames[-1].lineno)
    if isinstance(exc, SyntaxError) and exc.filename:
        if os.path.realpath(exc.filename) == real:
            return exc.lineno or 0, exc.offset or 0, "", False
        other = "%s:%s" % (exc.filename, exc.lineno)
    return line, 0, other, in_kfp

def done(**result):
    with open(result_path + ".part", "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(result_path + ".part", result_path)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

def failed(stage, exc):
    line, col, other, in_kfp = where(exc)
    if isinstance(exc, SyntaxError):
        message = "%s: %s" % (type(exc).__name__, exc.msg)
    elif isinstance(exc, SystemExit):
        message = "SystemExit: sys.exit(%r) called" % (exc.code,)
    else:
        message = "%s: %s" % (type(exc).__name__, exc)
    done(ok=False, stage=stage, line=line, col=col, other=other,
         error=type(exc).__name__, message=message, in_kfp=in_kfp)

sys.path[:1] = [os.path.dirname(os.path.abspath(path))]
if extra:
    sys.path.append(extra)
try:
    import kfp
    from kfp import compiler
    from kfp.dsl import graph_component
    KFP_DIR = os.path.realpath(os.path.dirname(kfp.__file__)) + os.sep
except BaseException as exc:
    done(ok=False, stage="kfp", line=0, col=0, other="", error=type(exc).__name__,
         message="cannot import kfp in %s: %s" % (sys.executable, exc))

import importlib.util
name = os.path.splitext(os.path.basename(path))[0]
try:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
except BaseException as exc:
    failed("import", exc)

found = {}
for attr in dir(module):
    obj = getattr(module, attr, None)
    if isinstance(obj, graph_component.GraphComponent):
        func = getattr(obj, "pipeline_func", None)
        defined_here = getattr(func, "__module__", name) == name
        found[attr] = (obj, defined_here)
if function:
    if function not in found:
        done(ok=False, stage="collect", line=0, col=0, other="", error="",
             message="no @dsl.pipeline named %r in the file (pipelines: %s)"
             % (function, ", ".join(sorted(found)) or "none"))
    chosen = [function]
else:
    chosen = sorted(a for a, (_, here) in found.items() if here) or sorted(found)
    if not chosen:
        done(ok=False, stage="collect", line=0, col=0, other="", error="",
             message="no pipeline found: decorate the pipeline function with "
             "@dsl.pipeline, or leave this file out of the hook's files pattern")
    if len(chosen) > 1:
        done(ok=False, stage="collect", line=0, col=0, other="", error="",
             message="%d pipelines in one file (%s); keep one pipeline a file, "
             "or name the one to compile with --function NAME"
             % (len(chosen), ", ".join(chosen)))
pipeline = found[chosen[0]][0]
try:
    compiler.Compiler().compile(pipeline_func=pipeline, package_path=output)
except BaseException as exc:
    failed("compile", exc)
done(ok=True, function=chosen[0])
"""


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the child and everything it started (it leads its own group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)


def compile_pipeline(
    path: str,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    function: str | None = None,
    python: str | None = None,
    cwd: str | None = None,
    output: str | None = None,
    max_bytes: int | None = None,
) -> tuple[dict | None, list[Finding]]:
    """Compile one pipeline file in a fresh subprocess.

    Returns ``(compiled, findings)``: ``compiled`` is the first document of the
    compiled pipeline YAML (the PipelineSpec as a dict) or None when the file
    does not compile, and ``findings`` say why, with the file and line.
    ``cwd`` None runs the child in a fresh temporary directory (see the module
    docstring); ``output`` also keeps the compiled YAML at that path;
    ``max_bytes`` caps the compiled YAML read back (default 64 MiB).
    """
    if os.path.islink(path) and not os.path.exists(path):
        target = os.readlink(path)
        return None, [
            finding(path, None, "file-missing", f"broken symbolic link to {target!r}")
        ]
    if not os.path.isfile(path):
        if os.path.isdir(path):
            what = "is a directory, not a file"
        elif os.path.exists(path):
            what = "is not a regular file (a pipe or device?)"
        else:
            what = "not found"
        return None, [finding(path, None, "file-missing", f"pipeline file {what}")]
    if not path.endswith(".py"):
        # Python imports only .py files; anything else fails deep in importlib.
        return None, [
            finding(
                path,
                None,
                "pipeline-file",
                "a pipeline file is Python source ending in .py "
                "(workflows/<name>_pipeline.py); rename it or pass the .py file",
            )
        ]
    with tempfile.TemporaryDirectory(prefix="dsp-pipeline-") as work:
        compiled_path = os.path.join(work, "compiled", "pipeline.yaml")
        os.mkdir(os.path.dirname(compiled_path))
        result_path = os.path.join(work, "compiled", "result.json")
        run_dir = os.path.join(work, "cwd")
        os.mkdir(run_dir)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        command = [
            python or sys.executable,
            "-c",
            _RUNNER,
            os.path.abspath(path),
            compiled_path,
            result_path,
            function or "",
            os.getcwd(),
        ]
        try:
            proc = subprocess.Popen(
                command,
                cwd=cwd or run_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except OSError as exc:
            return None, [
                finding(
                    path,
                    None,
                    "pipeline-python",
                    f"cannot start {command[0]!r}: {exc.strerror}; " "check --python",
                )
            ]
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            return None, [
                finding(
                    path,
                    None,
                    "pipeline-timeout",
                    f"compiling took longer than {timeout:g} s and was stopped "
                    "(an endless loop or a network call at import?); "
                    "fix it or raise --timeout",
                )
            ]
        _kill_group(proc)  # grandchildren left behind by the user's code
        try:
            with open(result_path, encoding="utf-8") as handle:
                result = json.load(handle)
        except (OSError, ValueError):
            detail = _tail(stderr)
            return None, [
                finding(
                    path,
                    None,
                    "pipeline-crash",
                    f"the compiler process ended with exit code {proc.returncode} "
                    "before reporting (os._exit or a crash at import?)"
                    + (f": {detail}" if detail else ""),
                )
            ]
        if not result.get("ok"):
            return None, [_failure(path, result)]
        found: list[Finding] = []
        try:
            loaded = yamlio.load(
                compiled_path,
                max_bytes=max_bytes or _COMPILED_MAX_BYTES,
                max_nodes=_COMPILED_MAX_NODES,
            )
        except yamlio.YamlError as exc:
            return None, [
                finding(
                    path,
                    None,
                    "pipeline-output",
                    f"kfp wrote compiled YAML that cannot be read back: "
                    f"{exc.finding.message}",
                )
            ]
        if output:
            _copy_compiled(compiled_path, output)
        compiled = loaded.documents[0] if loaded.documents else None
        if not isinstance(compiled, dict):
            found.append(
                finding(path, None, "pipeline-output", "compiled YAML is empty")
            )
            return None, found
        return compiled, found


def _copy_compiled(source: str, destination: str) -> None:
    with open(source, "rb") as compiled:
        write_atomic(destination, compiled.read())


_STAGE_HINTS = {
    "import": "importing the file failed",
    "compile": "the kfp compiler refused the pipeline",
    "collect": "",
    "kfp": "",
}


def _failure(path: str, result: dict[str, Any]) -> Finding:
    """Turn the child's JSON report into one finding at the user's line."""
    stage = result.get("stage", "")
    message = str(result.get("message", "")).strip().replace("\n", " ")
    error = result.get("error", "")
    hint = _STAGE_HINTS.get(stage, "")
    if error == "SystemExit":
        hint = (
            "the file exits at import; guard that call with if __name__ == '__main__'"
        )
    elif error in ("ModuleNotFoundError", "ImportError"):
        hint = (
            "importing the file failed; install the module in the hook's "
            "environment (additional_dependencies) or choose --python"
        )
    elif error == "FileNotFoundError" and stage == "import":
        hint = (
            "importing the file failed; the hook compiles in an empty temporary "
            "directory: locate files relative to __file__, or use --cwd repo"
        )
    elif result.get("in_kfp"):
        # kfp builds the pipeline graph when the decorator runs, i.e. at import.
        hint, stage = _STAGE_HINTS["compile"], "compile"
    other = result.get("other") or ""
    text = f"{hint}: {message}" if hint else message
    if other:
        text += f" (raised at {other})"
    rule = {
        "import": "pipeline-import",
        "collect": "pipeline-function",
        "compile": "pipeline-compile",
        "kfp": "pipeline-python",
    }.get(stage, "pipeline-compile")
    if error in ("SyntaxError", "IndentationError", "TabError") and not other:
        rule = "pipeline-syntax"
    line = int(result.get("line") or 0)
    col = int(result.get("col") or 0)
    return finding(path, (line, col) if line else None, rule, text)


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
    """Compile every file (a few at a time); one file's failure never stops others."""
    files = list(dict.fromkeys(filenames))
    if not files:
        return []
    workers = max(1, min(len(files), jobs or min(4, os.cpu_count() or 1)))

    def compile_one(path: str) -> list[Finding]:
        return compile_pipeline(
            path,
            timeout,
            function=function,
            python=python,
            cwd=cwd,
            max_bytes=max_bytes,
        )[1]

    def one(path: str) -> list[Finding]:
        return check_guarded(path, compile_one)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, files))
    return [f for found in results for f in found]


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of the ``check-pipelines`` hook."""
    parser = hook_parser(
        "check-pipelines", "Compile KFP pipeline files, each in a fresh subprocess."
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
    if args.max_bytes is not None and args.max_bytes < 1:
        parser.error(f"--max-bytes must be positive, got {args.max_bytes}")
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
