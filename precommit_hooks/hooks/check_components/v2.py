"""Compiled v2 (IR) YAML: its view and the rule that every reference resolves.

A wrong shape in compiled YAML is kfp's to report (its loader rejects it);
these checks only follow the references that are there.
"""

from __future__ import annotations

from typing import Any, Iterator

from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components.model import (
    HOOK,
    Component,
    Container,
    Context,
    KeySite,
    Pos,
    mapping_at,
    pos_of,
    suggestion,
)

TOP_KEYS = (
    "components",
    "deploymentSpec",
    "pipelineInfo",
    "root",
    "schemaVersion",
    "sdkVersion",
    "defaultPipelineRoot",
)
RULE = "component-v2"


def is_v2(spec: dict) -> bool:
    """Whether ``spec`` looks like compiled v2 YAML."""
    return "pipelineInfo" in spec or "deploymentSpec" in spec or "root" in spec


def view(spec: dict) -> Component:
    """The compiled component as the rules see it; reports nothing."""
    component = Component(spec, "v2")
    component.key_sites.append(KeySite(spec, TOP_KEYS, "the compiled component"))
    executors = mapping_at(mapping_at(spec, "deploymentSpec"), "executors")
    users: dict[str, list[str]] = {}
    for name, body in mapping_at(spec, "components").items():
        label = body.get("executorLabel") if isinstance(body, dict) else None
        if isinstance(label, str) and label in executors:
            users.setdefault(label, []).append(name)
    for label, executor in executors.items():
        container = mapping_at(executor, "container")
        if container:
            component.containers.append(
                Container(container, label, users.get(label, []))
            )
    return component


def _shape(spec: dict) -> Iterator[tuple[Pos | None, str]]:
    info = spec.get("pipelineInfo")
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        yield pos_of(spec, "pipelineInfo"), (
            "compiled YAML needs pipelineInfo.name (a string); recompile it with kfp"
        )
    if not isinstance(spec.get("root"), dict):
        yield getattr(spec, "pos", None), (
            "compiled YAML has no root mapping; recompile it with kfp"
        )
    executors = mapping_at(mapping_at(spec, "deploymentSpec"), "executors")
    for name, body in mapping_at(spec, "components").items():
        label = body.get("executorLabel") if isinstance(body, dict) else None
        if label is not None and (not isinstance(label, str) or label not in executors):
            yield pos_of(body, "executorLabel"), (
                f"component {name!r} runs executor {label!r}, which "
                "deploymentSpec.executors does not define"
                + suggestion(str(label), executors)
            )


def _task_problems(
    owner: str, task_name: str, task: dict, tasks: dict, inputs: dict, components: dict
) -> Iterator[tuple[Pos | None, str]]:
    ref = mapping_at(task, "componentRef").get("name")
    if not isinstance(ref, str) or ref not in components:
        yield pos_of(task, "componentRef"), (
            f"task {task_name!r} in {owner} refers to component {ref!r}, "
            "which components does not define" + suggestion(str(ref), components)
        )
    dependencies = task.get("dependentTasks")
    for dep in dependencies if isinstance(dependencies, list) else []:
        if not isinstance(dep, str) or dep not in tasks:
            yield pos_of(task, "dependentTasks"), (
                f"task {task_name!r} depends on task {dep!r}, which {owner} "
                "does not have"
            )
    task_inputs = mapping_at(task, "inputs")
    for kind, source_key in (
        ("parameters", "componentInputParameter"),
        ("artifacts", "componentInputArtifact"),
    ):
        for source in mapping_at(task_inputs, kind).values():
            if not isinstance(source, dict) or source_key not in source:
                continue
            wanted = source[source_key]
            if not isinstance(wanted, str) or wanted not in inputs[kind]:
                yield pos_of(source, source_key), (
                    f"task {task_name!r} reads {owner} input {wanted!r}, "
                    f"which {owner}'s inputDefinitions.{kind} does not define"
                )


def _dag(owner: str, body: Any, components: dict) -> Iterator[tuple[Pos | None, str]]:
    tasks = mapping_at(mapping_at(body, "dag"), "tasks")
    defs = mapping_at(body, "inputDefinitions")
    inputs = {k: set(mapping_at(defs, k)) for k in ("parameters", "artifacts")}
    for task_name, task in tasks.items():
        if isinstance(task, dict):
            yield from _task_problems(owner, task_name, task, tasks, inputs, components)


@rule(HOOK, RULE)
def references(ctx: Context, component: Component) -> None:
    """A reference in compiled v2 YAML that does not resolve.

    Tasks must name components that exist, components executors that exist,
    ``dependentTasks`` tasks of the same DAG and ``componentInputParameter``
    inputs the DAG defines; ``pipelineInfo.name`` and ``root`` must be there.
    Recompile the pipeline with kfp rather than editing compiled YAML by hand.
    """
    if component.kind != "v2":
        return
    spec = component.spec
    components = mapping_at(spec, "components")
    for pos, message in _shape(spec):
        ctx.add(pos, RULE, message)
    for owner, body in [("root", spec.get("root"))] + list(components.items()):
        for pos, message in _dag(owner, body, components):
            ctx.add(pos, RULE, message)
