"""``dsp pipeline local``: run a pipeline on this machine, without Docker or Kubernetes.

kfp's own local runner (``kfp.local``) refuses container components, which
are the steps of our pipelines; this runs them as local processes with the
code their images would hold (see :mod:`precommit_hooks.kfp.local`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import shutil
import sys
import time
import uuid
from typing import Any

from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import text_table
from precommit_hooks.kfp.local import environment, run
from precommit_hooks.kfp.local.image import StagedImage
from precommit_hooks.kfp.local.plan import Plan, make_plan

RUNS_DIR = ".pipeline-local"
LATEST = "latest"


def default_python() -> str:
    """The project's ``.venv/bin/python`` when there is one, else this one."""
    local = os.path.join(".venv", "bin", "python")
    return local if os.path.exists(local) else sys.executable


def absolute_interpreter(python: str) -> str:
    """`python` as a path that works from any folder: the steps run elsewhere.

    Not resolved: a venv's ``bin/python`` is a link, and following it would
    leave the venv and its packages behind.
    """
    if os.sep in python:
        return os.path.abspath(python)
    return shutil.which(python) or python


def new_run_id() -> str:
    """A sortable, unique run id: UTC time and a short random suffix."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"


def notes_for(plan: Plan, images: dict[str, StagedImage], python: str) -> list[str]:
    """What the user should know before the steps start (one line each)."""
    notes = [note for image in images.values() for note in image.notes]
    wanted = {name: image.requirements for name, image in images.items()}
    notes += environment.requirement_notes(python, wanted)
    for task in plan.tasks:
        missing = sorted(set(task.secret_env) - set(os.environ))
        if missing:
            secrets = sorted({task.secret_env[v].split("/")[0] for v in missing})
            notes.append(
                f"step {task.name!r} reads {', '.join(missing)} from the secret "
                f"{', '.join(secrets)} on the cluster; here from your shell, where "
                "they are not set (export them if the step needs them)"
            )
    return notes


def prepare_run(plan: Plan, runs_dir: str, python: str) -> tuple[str, dict]:
    """The run folder with the IR and the images staged; removed on a refusal."""
    run_id = new_run_id()
    runs_dir = os.path.abspath(runs_dir)
    final = os.path.join(runs_dir, run_id)
    partial = os.path.join(runs_dir, f".{run_id}.partial")
    os.makedirs(partial)
    try:
        with open(os.path.join(partial, "pipeline.yaml"), "w", encoding="utf-8") as f:
            f.write(plan.compiled)
        images = run.stage_images(plan, partial)
        run.check_programs(plan, images, python)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        with contextlib.suppress(OSError):  # only when no earlier run is there
            os.rmdir(runs_dir)
        raise
    os.rename(partial, final)
    for image in images.values():  # the staged paths follow the rename
        image.root = os.path.join(final, os.path.relpath(image.root, partial))
    return final, images


def point_latest(runs_dir: str, run_dir: str) -> None:
    """``<runs>/latest`` -> this run (replaced atomically)."""
    link = os.path.join(runs_dir, LATEST)
    temporary = f"{link}.{os.getpid()}"
    os.symlink(os.path.basename(run_dir), temporary)
    os.replace(temporary, link)


def summary(record: dict[str, Any], run_dir: str, seconds: float) -> str:
    """The outputs of every step, where the user finds them."""
    rows = [
        (step["task"], name, os.path.relpath(path))
        for step in record["steps"]
        for name, path in step["outputs"].items()
    ]
    table = text_table(("step", "output", "path"), rows)
    return f"{table}\nrun {os.path.relpath(run_dir)} passed in {seconds:.1f} s"


def local_command(args: argparse.Namespace) -> int:
    """Plan (nothing written on a refusal), stage, run the steps, show outputs."""
    started = time.monotonic()
    python = absolute_interpreter(args.python or default_python())
    plan = make_plan(args.pipeline, args.arg, args.set, args.compose, args.skip)
    run_dir, images = prepare_run(plan, args.runs_dir, python)
    for note in notes_for(plan, images, python):
        print(f"note: {note}", file=sys.stderr, flush=True)
    point_latest(args.runs_dir, run_dir)
    print(f"run {os.path.relpath(run_dir)}: {len(plan.tasks)} steps", flush=True)
    record = run.run_steps(plan, run_dir, python, images, say=run.flush_say)
    print(summary(record, run_dir, time.monotonic() - started), flush=True)
    return 0


def configure_local(actions: Any) -> None:
    """Add ``local`` to ``dsp pipeline``'s actions."""
    text = "run a pipeline on this machine: each container step as a local process"
    sub = actions.add_parser("local", help=text, description=text)
    sub.add_argument(
        "pipeline", help="the pipeline file, e.g. workflows/iris_pipeline.py"
    )
    sub.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a pipeline parameter (repeatable), e.g. --arg C=0.5",
    )
    sub.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="TASK.INPUT=VALUE",
        help="replace a step's constant input, e.g. the lakeFS endpoint",
    )
    sub.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="TASK",
        help="leave out a step and the steps after it (repeatable), e.g. "
        "promote-model where no registry is reachable",
    )
    sub.add_argument("--compose", help="the compose file building the images")
    sub.add_argument("--python", help="interpreter of the steps (.venv/bin/python)")
    sub.add_argument("--runs-dir", default=RUNS_DIR, help="where runs go")
    sub.set_defaults(func=_guarded_local)


def _guarded_local(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.pipeline):
        raise Refusal(f"pipeline file {args.pipeline} not found")
    if args.python and shutil.which(args.python) is None:
        raise Refusal(
            f"--python {args.python}: no such interpreter; run make install "
            "(it creates .venv) or name the Python that has the steps' packages"
        )
    return local_command(args)
