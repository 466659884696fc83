"""The compiled pipeline (KFP's IR YAML) as a list of steps in run order.

The fields read here are the stable part of the IR (``schemaVersion`` 2.1.x,
kfp >= 2.7, pinned in pyproject.toml):

* ``root.inputDefinitions.parameters``: the pipeline's parameters;
* ``root.dag.tasks.<task>``: ``componentRef.name``, ``dependentTasks``,
  ``inputs.parameters`` (``componentInputParameter``, ``runtimeValue.constant``,
  ``taskOutputParameter``) and ``inputs.artifacts`` (``taskOutputArtifact``),
  ``triggerPolicy`` (refused: conditions need the cluster's driver);
* ``components.<name>``: ``executorLabel``, ``inputDefinitions`` (defaults)
  and ``outputDefinitions``;
* ``deploymentSpec.executors.<label>.container``: ``image``, ``command``,
  ``args`` (the placeholders of :mod:`.placeholders`), ``env``;
* the kubernetes platform spec (second document): ``secretAsEnv``, reported
  as the environment variables a local run takes from the user's shell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from precommit_hooks.core.findings import Refusal

SCHEMA_VERSIONS = ("2.1.",)


@dataclass
class TaskSpec:
    """One container step: its wiring from the IR, its container from the executor."""

    name: str
    component: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, dict] = field(default_factory=dict)
    artifacts: dict[str, dict] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    output_artifacts: list[str] = field(default_factory=list)
    output_parameters: dict[str, str] = field(default_factory=dict)  # name: type
    depends: set[str] = field(default_factory=set)
    secret_env: dict[str, str] = field(default_factory=dict)


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def read_tasks(pipeline: str, documents: list) -> list[TaskSpec]:
    """The pipeline's container steps, each after the steps it reads from."""
    spec = _mapping(documents[0] if documents else None)
    version = str(spec.get("schemaVersion", ""))
    if not version.startswith(SCHEMA_VERSIONS):
        raise Refusal(
            f"{pipeline} compiled to IR schema {version or 'unknown'}; local runs read "
            f"schema {SCHEMA_VERSIONS[0]}x (kfp 2.x): install kfp>=2.7,<3"
        )
    platform = _mapping(documents[1]) if len(documents) > 1 else {}
    secrets = _kubernetes_executors(platform)
    executors = _mapping(_mapping(spec.get("deploymentSpec")).get("executors"))
    components = _mapping(spec.get("components"))
    tasks = {}
    for name, task in (
        _mapping(_mapping(spec.get("root")).get("dag")).get("tasks", {}).items()
    ):
        tasks[name] = _task(pipeline, name, task, components, executors, secrets)
    return _in_order(pipeline, tasks)


def _task(
    pipeline: str,
    name: str,
    task: dict,
    components: dict,
    executors: dict,
    secrets: dict,
) -> TaskSpec:
    where = f"{pipeline}: step {name!r}"
    if task.get("triggerPolicy") or task.get("iteratorPolicy"):
        raise Refusal(
            f"{where} runs under a dsl.If/Condition or a loop; local runs take "
            "pipelines of plain steps"
        )
    ref = _mapping(task.get("componentRef")).get("name", "")
    component = _mapping(components.get(ref))
    label = component.get("executorLabel")
    if "dag" in component or label is None:
        raise Refusal(f"{where} is a nested pipeline; local runs take plain steps")
    container = _mapping(_mapping(executors.get(label)).get("container"))
    if not container.get("image"):
        raise Refusal(f"{where} is not a container step (no image in {label})")
    if any(
        "kfp.dsl.executor_main" in str(word) for word in container.get("command") or []
    ):
        raise Refusal(
            f"{where} is a lightweight Python component (@dsl.component); run "
            "those with kfp's own runner (kfp.local), container steps with this"
        )
    inputs = _mapping(task.get("inputs"))
    definitions = _mapping(component.get("inputDefinitions"))
    outputs = _mapping(component.get("outputDefinitions"))
    env = {
        str(item.get("name")): str(item.get("value", ""))
        for item in container.get("env") or []
        if isinstance(item, dict)
    }
    return TaskSpec(
        name=name,
        component=ref,
        image=str(container["image"]),
        command=[str(word) for word in container.get("command") or []],
        args=[str(word) for word in container.get("args") or []],
        env=env,
        parameters=_mapping(inputs.get("parameters")),
        artifacts=_mapping(inputs.get("artifacts")),
        defaults={
            key: value["defaultValue"]
            for key, value in _mapping(definitions.get("parameters")).items()
            if isinstance(value, dict) and "defaultValue" in value
        },
        output_artifacts=list(_mapping(outputs.get("artifacts"))),
        output_parameters={
            name: str(_mapping(value).get("parameterType", "STRING"))
            for name, value in _mapping(outputs.get("parameters")).items()
        },
        depends=set(task.get("dependentTasks") or []),
        secret_env=secrets.get(label, {}),
    )


def _kubernetes_executors(platform: dict) -> dict[str, dict[str, str]]:
    """``{executor label: {env var: secret/key}}`` from ``secretAsEnv``."""
    kubernetes = _mapping(_mapping(platform.get("platforms")).get("kubernetes"))
    executors = _mapping(_mapping(kubernetes.get("deploymentSpec")).get("executors"))
    found: dict[str, dict[str, str]] = {}
    for label, config in executors.items():
        for secret in _mapping(config).get("secretAsEnv") or []:
            name = secret.get("secretName") or _mapping(
                secret.get("secretNameParameter")
            ).get("runtimeValue", {}).get("constant", "?")
            for pair in secret.get("keyToEnv") or []:
                found.setdefault(label, {})[
                    pair.get("envVar")
                ] = f"{name}/{pair.get('secretKey')}"
    return found


def _in_order(pipeline: str, tasks: dict[str, TaskSpec]) -> list[TaskSpec]:
    graph = {}
    for task in tasks.values():
        producers = {
            _mapping(ref.get(key)).get("producerTask")
            for refs in (task.parameters, task.artifacts)
            for ref in refs.values()
            for key in ("taskOutputParameter", "taskOutputArtifact")
        }
        task.depends |= {producer for producer in producers if producer}
        graph[task.name] = task.depends
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise Refusal(f"{pipeline}: the steps {exc.args[1]} depend on each other")
    return [tasks[name] for name in order if name in tasks]
