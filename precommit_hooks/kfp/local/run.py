"""Run a planned pipeline: each step a local process, in order, files as artifacts.

The run folder holds the compiled IR (``pipeline.yaml``), each image laid out
(``images/<service>/``), each step's outputs (``<task>/<output>``) and log
(``<task>/log.txt``), and ``run.json`` (arguments, steps, outputs, seconds).
A step that exits non-zero stops the run with its name and last lines.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import clip
from precommit_hooks.kfp.local import placeholders
from precommit_hooks.kfp.local.image import StagedImage, stage
from precommit_hooks.kfp.local.plan import Plan
from precommit_hooks.kfp.local.spec import TaskSpec

# The image's values for these would break the local interpreter.
HOST_ENV = {"PATH", "HOME", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
TAIL_LINES = 5
_LINE_CHARS = 160


@dataclass
class Step:
    """A task ready to start: its command line, folder and environment."""

    task: TaskSpec
    argv: list[str]
    cwd: str
    env: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)
    parameter_files: dict[str, str] = field(default_factory=dict)


def python_name(word: str) -> bool:
    """``python``, ``python3`` or ``python3.11``: the image's interpreter."""
    return word in ("python", "python3") or (
        word.startswith("python3.") and word[8:].isdigit()
    )


def _in_image(word: str, image: StagedImage) -> bool:
    """Whether ``word`` is an absolute path that the staged image holds."""
    return word.startswith("/") and os.path.lexists(image.path(word))


def local_argv(words: list[str], image: StagedImage, python: str, task: str) -> list:
    """The command line with image paths mapped into the staged image."""
    argv = []
    for index, word in enumerate(words):
        if index == 0 and python_name(os.path.basename(word)):
            argv.append(python)
        elif _in_image(word, image):
            argv.append(image.path(word))
        else:
            argv.append(word)
    program = argv[0] if argv else ""
    if (
        not program
        or (not os.path.isabs(program) and shutil.which(program) is None)
        or (os.path.isabs(program) and not os.path.exists(program))
    ):
        raise Refusal(
            f"step {task!r} runs {words[0] if words else 'nothing'!r}, which is "
            f"neither in its image ({image.layout.path}) nor on this machine's PATH"
        )
    return argv


def container_words(task: TaskSpec, image: StagedImage) -> list[str]:
    """KFP's rule: ``command`` replaces ENTRYPOINT; ``args`` replaces CMD."""
    command = task.command or image.layout.entrypoint
    args = task.args if (task.command or task.args) else image.layout.cmd
    return [*command, *args]


def step_env(task: TaskSpec, image: StagedImage) -> dict[str, str]:
    """This shell's environment, the image's ENV and the step's, the image's site.

    A value that is a path in the image (``ENV REPO=/app/repo``) is mapped
    into the staged image, as on the command line.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    for source in (image.layout.env, task.env):
        env.update(
            {
                k: image.path(v) if _in_image(v, image) else v
                for k, v in source.items()
                if k not in HOST_ENV
            }
        )
    env["PYTHONPATH"] = image.site
    env["PYTHONUNBUFFERED"] = "1"
    return env


def bindings(
    plan: Plan, task: TaskSpec, run_dir: str, produced: dict[str, dict]
) -> placeholders.Bindings:
    """The values of the step's inputs and the paths of its outputs."""
    bound = placeholders.Bindings(task.name)
    bound.parameters = dict(task.defaults)
    for name, ref in task.parameters.items():
        if "componentInputParameter" in ref:
            bound.parameters[name] = plan.arguments.get(ref["componentInputParameter"])
        elif "runtimeValue" in ref:
            bound.parameters[name] = (ref["runtimeValue"] or {}).get("constant")
        elif "taskOutputParameter" in ref:
            out = ref["taskOutputParameter"]
            bound.parameters[name] = produced[out["producerTask"]][
                out["outputParameterKey"]
            ]
    bound.parameters.update(plan.overrides.get(task.name, {}))
    for name, ref in task.artifacts.items():
        out = ref.get("taskOutputArtifact")
        if not out:
            raise Refusal(
                f"step {task.name!r}: input {name!r} is a pipeline artifact input; "
                "local runs take artifacts from earlier steps only"
            )
        bound.input_paths[name] = os.path.join(
            run_dir, out["producerTask"], out["outputArtifactKey"]
        )
    folder = os.path.join(run_dir, task.name)
    bound.output_paths = {n: os.path.join(folder, n) for n in task.output_artifacts}
    bound.parameter_files = {n: os.path.join(folder, n) for n in task.output_parameters}
    bound.output_file = os.path.join(folder, "executor_output.json")
    run_id = os.path.basename(run_dir)
    bound.job = {
        "pipeline_job_name": run_id,
        "pipeline_job_uuid": run_id,
        "pipeline_job_resource_name": run_id,
        "pipeline_task_name": task.name,
        "pipeline_task_uuid": f"{run_id}-{task.name}",
        "pipeline_root": run_dir,
    }
    return bound


def stage_images(plan: Plan, run_dir: str) -> dict[str, StagedImage]:
    """Each service's image laid out under ``images/``."""
    staged = {}
    for build in {b.service: b for b in plan.builds.values()}.values():
        root = os.path.join(run_dir, "images", build.service)
        staged[build.service] = stage(plan.layouts[build.service], build.context, root)
    return staged


def prepare(
    plan: Plan,
    task: TaskSpec,
    image: StagedImage,
    run_dir: str,
    python: str,
    produced: dict[str, dict],
) -> Step:
    """The step's process: command line filled and mapped, folder, environment."""
    bound = bindings(plan, task, run_dir, produced)
    words = placeholders.command_line(container_words(task, image), bound)
    argv = local_argv(words, image, python, task.name)
    os.makedirs(os.path.join(run_dir, task.name), exist_ok=True)
    cwd = image.path(image.layout.workdir)
    env = step_env(task, image)
    return Step(task, argv, cwd, env, bound.output_paths, bound.parameter_files)


def execute(step: Step, log_path: str, say: Callable[[str], Any]) -> float:
    """Run the step, its output shown and logged; its seconds, or a refusal."""
    tail: collections.deque = collections.deque(maxlen=TAIL_LINES)
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            step.argv,
            cwd=step.cwd,
            env=step.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        for line in process.stdout or ():  # never None: stdout=PIPE
            log.write(line)
            say(f"[{step.task.name}] {line.rstrip()}")
            if line.strip():
                tail.append(clip(line.strip(), _LINE_CHARS))
        code = process.wait()
    if code != 0:
        lines = " | ".join(tail) or "no output"
        raise Refusal(
            f"step {step.task.name!r} failed (exit {code}): {lines} "
            f"(full log: {os.path.relpath(log_path)})"
        )
    return time.monotonic() - started


def read_outputs(step: Step) -> dict[str, str]:
    """The step's output parameters; a missing output artifact is refused."""
    for name, path in step.outputs.items():
        if not os.path.lexists(path):
            raise Refusal(
                f"step {step.task.name!r} ended without writing its output "
                f"{name!r} (expected at {os.path.relpath(path)})"
            )
    values = {}
    for name, path in step.parameter_files.items():
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            raise Refusal(
                f"step {step.task.name!r} ended without writing its output "
                f"parameter {name!r} (expected at {os.path.relpath(path)})"
            ) from None
        kind = step.task.output_parameters[name]
        values[name] = output_value(step.task.name, name, kind, text)
    return values


def output_value(task: str, name: str, kind: str, text: str) -> Any:
    """An output parameter's file read as its type, as the launcher reads it."""
    if kind == "STRING":
        return text
    try:
        if kind == "NUMBER_INTEGER":
            return int(text.strip())
        if kind == "NUMBER_DOUBLE":
            return float(text.strip())
        value = json.loads(text)
    except ValueError:
        value = None
    if kind == "BOOLEAN" and isinstance(value, bool):
        return value
    if (kind, type(value)) in (("LIST", list), ("STRUCT", dict)):
        return value
    raise Refusal(
        f"step {task!r} wrote {text[:40]!r} as its output {name!r}, which is not "
        f"a {kind.lower()}"
    )


def check_programs(plan: Plan, images: dict[str, StagedImage], python: str) -> None:
    """Every step's program exists in its image or on this machine, or a refusal."""
    for task in plan.tasks:
        image = images[plan.builds[task.name].service]
        local_argv(container_words(task, image)[:1], image, python, task.name)


def run_steps(
    plan: Plan,
    run_dir: str,
    python: str,
    images: dict[str, StagedImage],
    say: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Run every step in order; the run's record (also written to run.json)."""
    produced: dict[str, dict] = {}
    record: dict[str, Any] = {
        "pipeline": plan.pipeline,
        "arguments": plan.arguments,
        "steps": [],
    }
    for task in plan.tasks:
        image = images[plan.builds[task.name].service]
        step = prepare(plan, task, image, run_dir, python, produced)
        say(f"[{task.name}] $ {' '.join(step.argv)}")
        log_path = os.path.join(run_dir, task.name, "log.txt")
        try:
            seconds = execute(step, log_path, say)
            produced[task.name] = read_outputs(step)
        finally:
            _write_record(run_dir, record)
        record["steps"].append(
            {"task": task.name, "seconds": round(seconds, 2), "outputs": step.outputs}
        )
    _write_record(run_dir, record)
    return record


def _write_record(run_dir: str, record: dict) -> None:
    with open(os.path.join(run_dir, "run.json"), "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")


def flush_say(line: str) -> None:
    """Print a line at once (step output interleaves with ours)."""
    print(line, flush=True)
    sys.stdout.flush()
