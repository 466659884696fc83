"""Everything a local run needs, checked before anything is written.

The pipeline is compiled with the real kfp compiler (in an isolated child,
:mod:`precommit_hooks.kfp.compile`), its steps are read from the IR, each
step's image is traced to the docker-compose service and Dockerfile that
build it, and the parameters are typed as the pipeline declares them.  Any
problem is one :class:`Refusal` line; the run folder does not exist yet.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Sequence
from urllib.parse import urlsplit

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.kfp.local import compose
from precommit_hooks.kfp.local.dockerfile import ImageLayout, read_layout
from precommit_hooks.kfp.local.spec import TaskSpec, read_tasks

_COMPILED_MAX_BYTES = 64 << 20
_COMPILED_MAX_NODES = 5_000_000
_DOCKERFILE_MAX_BYTES = 1 << 20


@dataclass
class Plan:
    """A pipeline ready to run locally."""

    pipeline: str
    compiled: str  # the IR YAML text, kept in the run folder
    tasks: list[TaskSpec]
    arguments: dict[str, Any]
    builds: dict[str, compose.Build] = field(default_factory=dict)  # by task
    layouts: dict[str, ImageLayout] = field(default_factory=dict)  # by service
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)


def split_pairs(pairs: list[str], what: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` as a dict; a word without ``=`` is refused."""
    found = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise Refusal(f"{what} {pair!r} is not NAME=VALUE (e.g. C=0.5)")
        found[name.strip()] = value
    return found


def compile_ir(pipeline: str) -> tuple[str, list]:
    """The compiled IR YAML of ``pipeline``: its text and documents."""
    from precommit_hooks.kfp.compile import compile_pipeline

    with tempfile.TemporaryDirectory(prefix="dsp-local-") as work:
        output = os.path.join(work, "pipeline.yaml")
        compiled, found = compile_pipeline(pipeline, output=output)
        if compiled is None:
            reason = found[0].text() if found else f"{pipeline} does not compile"
            raise Refusal(f"the pipeline does not compile: {reason}")
        try:
            loaded = yamlio.load(
                output,
                max_bytes=_COMPILED_MAX_BYTES,
                max_nodes=_COMPILED_MAX_NODES,
                size_hint="simplify the pipeline",
            )
        except yamlio.YamlError as exc:
            raise Refusal(f"the compiled pipeline is unreadable: {exc.finding.text()}")
        with open(output, encoding="utf-8") as handle:
            return handle.read(), loaded.documents


def typed_arguments(
    pipeline: str, documents: list, params: dict[str, str]
) -> dict[str, Any]:
    """Every pipeline parameter's value: the given ones typed, the rest defaults."""
    from precommit_hooks.kfp.client import run_arguments
    from precommit_hooks.kfp.compile import pipeline_input_specs

    specs = pipeline_input_specs(documents[0])
    typed = run_arguments(params, specs, pipeline)
    for name, spec in specs.items():
        if name not in typed and "default" in spec:
            typed[name] = spec["default"]
    for name, value in typed.items():
        check_local_source(name, value)
    return typed


def check_local_source(name: str, value: Any) -> None:
    """A ``file://`` parameter must name an existing file by its absolute path."""
    if not isinstance(value, str) or not value.startswith("file:"):
        return
    parts = urlsplit(value)
    if parts.netloc or not parts.path.startswith("/"):
        raise Refusal(
            f"parameter {name!r}: {value!r} is not file:///absolute/path; "
            f"use file://{os.path.abspath(parts.netloc + parts.path)}"
        )
    if not os.path.isfile(parts.path):
        raise Refusal(f"parameter {name!r}: no data file at {parts.path}")


def task_overrides(tasks: list[TaskSpec], pairs: list[str]) -> dict[str, dict]:
    """``--set TASK.INPUT=VALUE``: a step's constant or default input replaced."""
    by_name = {task.name: task for task in tasks}
    overrides: dict[str, dict[str, str]] = {}
    for key, value in split_pairs(pairs, "--set").items():
        name, dot, input_name = key.rpartition(".")
        if not dot or name not in by_name:
            raise Refusal(
                f"--set {key}: no step {name or key!r}{did_you_mean(name, by_name)}; "
                f"the steps are {', '.join(by_name)} (TASK.INPUT=VALUE)"
            )
        task = by_name[name]
        known = set(task.parameters) | set(task.defaults)
        if input_name not in known:
            raise Refusal(
                f"--set {key}: step {name!r} has no parameter {input_name!r}"
                f"{did_you_mean(input_name, known)}; it has {', '.join(sorted(known))}"
            )
        overrides.setdefault(name, {})[input_name] = value
    return overrides


def compose_file(pipeline: str, given: str | None) -> str:
    """The compose file: ``--compose`` or the one beside the components."""
    if given:
        if not os.path.isfile(given):
            raise Refusal(f"--compose {given}: no such file")
        return given
    folder = os.path.dirname(os.path.abspath(pipeline))
    for candidate in (os.path.join(folder, "components"), folder):
        found = compose.find_compose(candidate)
        if found:
            return os.path.relpath(found)
    components = os.path.join(os.path.dirname(pipeline), "components")
    raise Refusal(
        f"no docker-compose.yaml in {components}; pass --compose FILE "
        "(the file that builds the component images)"
    )


def read_dockerfile(build: compose.Build) -> ImageLayout:
    """The layout of the Dockerfile a compose service builds from."""
    path = os.path.relpath(build.dockerfile)
    try:
        with open(build.dockerfile, "rb") as handle:
            data = handle.read(_DOCKERFILE_MAX_BYTES + 1)
    except OSError as exc:
        raise Refusal(
            f"cannot read {path}, the Dockerfile of service {build.service!r}: "
            f"{exc.strerror}"
        ) from None
    if len(data) > _DOCKERFILE_MAX_BYTES:
        raise Refusal(f"{path} is over 1 MiB; is it a Dockerfile?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"{path} is not UTF-8 text; save it as UTF-8") from None
    return read_layout(path, text, build.args)


def without_skipped(
    pipeline: str, tasks: list[TaskSpec], skip: list[str]
) -> list[TaskSpec]:
    """``tasks`` less the skipped ones and every step that waits for them."""
    names = [t.name for t in tasks]
    for name in skip:
        if name not in names:
            raise Refusal(
                f"--skip {name}: {pipeline} has no step {name!r}"
                f"{did_you_mean(name, names)}"
            )
    dropped = set(skip)
    for task in tasks:  # in order: a step's producers come before it
        if task.depends & dropped:
            dropped.add(task.name)
    return [t for t in tasks if t.name not in dropped]


def make_plan(
    pipeline: str,
    params: list[str],
    sets: Sequence[str] = (),
    compose_path: str | None = None,
    skip: Sequence[str] = (),
) -> Plan:
    """Compile, read and check everything; nothing is written."""
    arguments_given = split_pairs(params, "--arg")
    compiled, documents = compile_ir(pipeline)
    tasks = without_skipped(pipeline, read_tasks(pipeline, documents), list(skip))
    if not tasks:
        raise Refusal(f"{pipeline} has no steps to run")
    arguments = typed_arguments(pipeline, documents, arguments_given)
    plan = Plan(pipeline, compiled, tasks, arguments)
    plan.overrides = task_overrides(tasks, list(sets))
    compose_path = compose_file(pipeline, compose_path)
    builds = compose.read_builds(compose_path)
    for task in tasks:
        build = compose.build_for(task.image, builds, compose_path, task.name)
        plan.builds[task.name] = build
        if build.service not in plan.layouts:
            plan.layouts[build.service] = read_dockerfile(build)
    return plan
