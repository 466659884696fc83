"""The child that compiles one KFP pipeline file and reports through a JSON file.

Standard library and kfp only, never this package: ``check-pipelines --python``
runs this file by its path with an interpreter that has kfp but not the hooks
(``python compile_child.py PATH OUTPUT RESULT FUNCTION EXTRA``).  Without
``--python`` the parent imports kfp once (:func:`preload`) and forks a child per
file that calls :func:`run`, so kfp's import is paid once per run.

The report is a JSON file, never stdout: the user's code may print anything.
``ok`` false carries ``stage`` (kfp, import, collect, compile), the user's
``line``/``col``, ``other`` (a frame outside the file) and ``error``/``message``;
``stage`` collect carries ``problem`` (missing, none, many) and the ``names``
found, and the parent words the message.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback

_KFP_DIR = ""


def preload() -> None:
    """Import kfp and its compiler now (errors are reported per file by run)."""
    global _KFP_DIR
    try:
        import kfp
        from kfp import compiler  # noqa: F401 - forks inherit it
        from kfp.dsl import graph_component  # noqa: F401 - forks inherit it
    except BaseException:  # noqa: BLE001 - run() reports it for each file
        return
    _KFP_DIR = os.path.realpath(os.path.dirname(kfp.__file__)) + os.sep


def done(result_path: str, **result) -> None:
    """Write the report atomically and end the process without cleanup."""
    with open(result_path + ".part", "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(result_path + ".part", result_path)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the user's code closed or broke it
            pass
    os._exit(0)


def where(exc: BaseException, real: str) -> tuple[int, int, str, bool]:
    """(line, col) in the user's file, another file's frame, raised inside kfp."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if os.path.realpath(f.filename) == real]
    line = mine[-1].lineno or 0 if mine else 0
    other, in_kfp = "", False
    if frames and os.path.realpath(frames[-1].filename) != real:
        last = os.path.realpath(frames[-1].filename)
        in_kfp = bool(_KFP_DIR) and last.startswith(_KFP_DIR)
        if not in_kfp:
            other = f"{frames[-1].filename}:{frames[-1].lineno}"
    if isinstance(exc, SyntaxError) and exc.filename:
        if os.path.realpath(exc.filename) == real:
            return exc.lineno or 0, exc.offset or 0, "", False
        other = f"{exc.filename}:{exc.lineno}"
    return line, 0, other, in_kfp


def failed(result_path: str, stage: str, exc: BaseException, real: str) -> None:
    """Report an exception raised while importing or compiling the file."""
    line, col, other, in_kfp = where(exc, real)
    if isinstance(exc, SyntaxError):
        message = f"{type(exc).__name__}: {exc.msg}"
    elif isinstance(exc, SystemExit):
        message = f"SystemExit: sys.exit({exc.code!r}) called"
    else:
        message = f"{type(exc).__name__}: {exc}"
    done(
        result_path,
        ok=False,
        stage=stage,
        line=line,
        col=col,
        other=other,
        error=type(exc).__name__,
        message=message,
        in_kfp=in_kfp,
    )


def choose(module, name: str, function: str) -> tuple[str, object] | dict:
    """The one pipeline to compile, or the collect problem to report."""
    # kfp private API, read here directly (this file never imports the package);
    # precommit_hooks.kfp.internals.REQUIRED lists it, so its test guards it.
    from kfp.dsl import graph_component

    found = {}
    for attr in dir(module):
        obj = getattr(module, attr, None)
        if isinstance(obj, graph_component.GraphComponent):
            func = getattr(obj, "pipeline_func", None)
            found[attr] = (obj, getattr(func, "__module__", name) == name)
    if function:
        if function not in found:
            return {"problem": "missing", "names": sorted(found)}
        return function, found[function][0]
    chosen = sorted(a for a, (_, here) in found.items() if here) or sorted(found)
    if len(chosen) != 1:
        return {"problem": "many" if chosen else "none", "names": chosen}
    return chosen[0], found[chosen[0]][0]


def run(path: str, output: str, result_path: str, function: str, extra: str) -> None:
    """Import the pipeline file, compile its pipeline to ``output``, report; exit."""
    global _KFP_DIR
    real = os.path.realpath(path)
    sys.path[:1] = [os.path.dirname(os.path.abspath(path))]
    if extra:
        sys.path.append(extra)
    sys.argv = [path]
    try:
        import kfp
        from kfp import compiler

        _KFP_DIR = os.path.realpath(os.path.dirname(kfp.__file__)) + os.sep
    except BaseException as exc:  # noqa: BLE001 - reported, never raised
        done(
            result_path,
            ok=False,
            stage="kfp",
            message=f"cannot import kfp in {sys.executable}: {exc}",
        )
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # not a .py file
            raise ImportError(f"{path} is not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - the user's code may raise anything
        failed(result_path, "import", exc, real)
    chosen = choose(module, name, function)
    if isinstance(chosen, dict):
        done(result_path, ok=False, stage="collect", **chosen)
    attr, pipeline = chosen
    try:
        compiler.Compiler().compile(pipeline_func=pipeline, package_path=output)
    except BaseException as exc:  # noqa: BLE001
        failed(result_path, "compile", exc, real)
    done(result_path, ok=True, function=attr)


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    run(*sys.argv[1:6])
