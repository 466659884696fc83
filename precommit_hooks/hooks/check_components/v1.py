"""The v1 component format (``implementation.container``): its view and rules."""

from __future__ import annotations

from typing import Any

from precommit_hooks.core import yamldata
from precommit_hooks.core.rules import rule
from precommit_hooks.core.text import closest

from precommit_hooks.hooks.check_components import placeholders
from precommit_hooks.hooks.check_components.model import (
    HOOK,
    TYPO_CUTOFF,
    Component,
    Container,
    Context,
    KeySite,
    Pos,
    key_pos,
    pos_of,
)

# Keys kfp's v1 model knows; anything else is ignored by kfp, so a typo is lost.
TOP_KEYS = ("name", "description", "metadata", "inputs", "outputs", "implementation")
OPTIONAL_TOP_KEYS = ("version",)
INPUT_KEYS = ("name", "type", "description", "default", "optional", "annotations")
OUTPUT_KEYS = ("name", "type", "description", "annotations")
IMPLEMENTATION_KEYS = ("container", "graph")
CONTAINER_KEYS = ("image", "command", "args", "env", "fileOutputs")
METADATA_KEYS = ("annotations", "labels")


def resolve(mapping: dict, key: str, known: tuple[str, ...]) -> Any:
    """``key``, or the unknown key of ``mapping`` that is its typo, or None.

    The checks below a misspelled key then still run on its value, so one
    typo never hides the errors under it.
    """
    if key in mapping:
        return key
    for other in mapping:
        if other not in known and closest(other, known, TYPO_CUTOFF) == key:
            return other
    return None


def implementation_key(spec: dict) -> str | None:
    """``implementation``, or the top-level key that is a typo of it."""
    return resolve(spec, "implementation", TOP_KEYS + OPTIONAL_TOP_KEYS)


def view(spec: dict, impl_key: str = "implementation") -> Component:
    """The v1 component as the rules see it; reports nothing."""
    component = Component(spec, "v1", implementation_key=impl_key)
    sites = component.key_sites
    sites.append(KeySite(spec, TOP_KEYS, "the component", OPTIONAL_TOP_KEYS))
    top = TOP_KEYS + OPTIONAL_TOP_KEYS
    metadata = spec.get(resolve(spec, "metadata", top))
    if isinstance(metadata, dict):
        sites.append(KeySite(metadata, METADATA_KEYS, "metadata"))
    for key, allowed, where in (
        ("inputs", INPUT_KEYS, "an input"),
        ("outputs", OUTPUT_KEYS, "an output"),
    ):
        component.item_keys[key] = resolve(spec, key, top) or key
        items = spec.get(component.item_keys[key])
        names = component.inputs if key == "inputs" else component.outputs
        for index, item in enumerate(items if isinstance(items, list) else []):
            component.items.append((key, index, item))
            if not isinstance(item, dict):
                continue
            sites.append(KeySite(item, allowed, where))
            name = item.get("name")
            if isinstance(name, str) and name.strip() and name not in names:
                names[name] = pos_of(item, "name")
    implementation = spec.get(impl_key)
    component.implementation = implementation
    if isinstance(implementation, dict):
        sites.append(KeySite(implementation, IMPLEMENTATION_KEYS, "implementation"))
        container = implementation.get(
            resolve(implementation, "container", IMPLEMENTATION_KEYS)
        )
        if isinstance(container, dict):
            sites.append(KeySite(container, CONTAINER_KEYS, "container"))
            component.containers.append(Container(container))
            for if_arg in placeholders.if_arguments(container):
                sites.append(
                    KeySite(if_arg, ("cond", "then", "else"), "an if placeholder")
                )
    return component


def _type_problems(component: Component) -> list[tuple[Pos | None, str]]:
    spec = component.spec
    problems = []
    for key in ("name", "description"):
        if key in spec and not isinstance(spec[key], str):
            problems.append(
                (
                    pos_of(spec, key),
                    f"{key} must be a string, got {yamldata.type_name(spec[key])}; "
                    "quote it",
                )
            )
    for key in ("inputs", "outputs"):
        written = component.item_keys.get(key, key)
        value = spec.get(written)
        if value is not None and not isinstance(value, list):
            problems.append(
                (
                    pos_of(spec, written),
                    f"{key} must be a list of {{name: ...}} mappings, got "
                    f"{yamldata.type_name(value)}",
                )
            )
    return problems


@rule(HOOK, "component-type")
def value_types(ctx: Context, component: Component) -> None:
    """A value of the wrong type where kfp expects a string, list or mapping.

    The file's top level is a mapping; ``name: no`` is a boolean in YAML,
    ``inputs:`` a list of mappings, ``command:`` and ``args:`` lists; the
    message names the type found and, for a scalar read as a boolean or
    number, says to quote it.
    """
    if component.kind != "v1":
        return
    for pos, message in _type_problems(component):
        ctx.add(pos, "component-type", message)
    for key, index, item in component.items:
        if not isinstance(item, dict):
            ctx.add(
                yamldata.pos_of(component.spec[component.item_keys[key]], index),
                "component-type",
                f"each {key[:-1]} must be a mapping with a name, got "
                f"{yamldata.type_name(item)}",
            )
    for container in component.containers:
        for key in ("command", "args"):
            value = container.mapping.get(key)
            if value is not None and not isinstance(value, list):
                ctx.add(
                    pos_of(container.mapping, key),
                    "component-type",
                    f"{key} must be a list, got {yamldata.type_name(value)}",
                )


@rule(HOOK, "component-name")
def item_names(ctx: Context, component: Component) -> None:
    """An input or output without a non-empty string name, or named twice.

    kfp needs every input and output named once; ``name: yes`` is a boolean,
    so quote it.
    """
    seen: dict[str, dict[str, Pos | None]] = {"inputs": {}, "outputs": {}}
    for key, index, item in component.items:
        if not isinstance(item, dict):
            continue
        singular, name = key[:-1], item.get("name")
        if not isinstance(name, str) or not name.strip():
            got = yamldata.type_name(name) if "name" in item else "nothing"
            quote = "; quote it" if isinstance(name, (bool, int, float)) else ""
            ctx.add(
                pos_of(item, "name") if "name" in item else pos_of(item, None),
                "component-name",
                f"{singular} name must be a non-empty string, got {got}{quote}",
            )
        elif name in seen[key]:
            ctx.add(
                pos_of(item, "name"),
                "component-name",
                f"{singular} {name!r} is defined twice (first at line "
                f"{(seen[key][name] or (0, 0))[0]}); rename one",
            )
        else:
            seen[key][name] = pos_of(item, "name")


@rule(HOOK, "component-name-collision")
def name_collisions(ctx: Context, component: Component) -> None:
    """Two input (or output) names that kfp's sanitiser turns into one name.

    kfp silently keeps only the last of them (``Learning rate`` and
    ``learning_rate`` both become ``learning_rate``); rename one.
    """
    if not component.inputs and not component.outputs:
        return
    from precommit_hooks.kfp.internals import KfpInternalsError, sanitize_input_name

    try:
        sanitize_input_name("x")
    except KfpInternalsError as exc:
        ctx.add(None, "component-name-collision", f"cannot ask kfp: {exc}")
        return
    for kind, names in (("input", component.inputs), ("output", component.outputs)):
        seen: dict[str, str] = {}
        for name, pos in names.items():
            clean = sanitize_input_name(name)
            if clean in seen:
                ctx.add(
                    pos,
                    "component-name-collision",
                    f"{kind} {name!r} and {seen[clean]!r} both become {clean!r} "
                    "in kfp, which keeps only one of them; rename one",
                )
            else:
                seen[clean] = name


def _implementation_problem(component: Component) -> tuple[Any, str] | None:
    spec, key = component.spec, component.implementation_key
    implementation = component.implementation
    if not isinstance(implementation, dict):
        return pos_of(spec, key), (
            "implementation must be a mapping with a 'container', got "
            f"{yamldata.type_name(implementation)}"
        )
    container = implementation.get("container")
    if container is None and "graph" in implementation:
        return key_pos(implementation, "graph"), (
            "a graph component cannot be loaded by kfp 2; rewrite it as a "
            "pipeline (@dsl.pipeline) or a container component"
        )
    if container is not None and not isinstance(container, dict):
        return pos_of(implementation, "container"), (
            f"container must be a mapping, got {yamldata.type_name(container)}"
        )
    return None


@rule(HOOK, "component-implementation")
def implementation(ctx: Context, component: Component) -> None:
    """A file that is no component kfp 2 can run.

    Neither a v1 component (``implementation.container``) nor compiled v2
    YAML (``pipelineInfo``, ``root``); or an implementation that is not a
    mapping, holds a graph (kfp 2 cannot load graph components) or a
    container that is not a mapping.
    """
    if component.kind == "unknown":
        ctx.add(
            getattr(component.spec, "pos", None),
            "component-implementation",
            "neither a v1 component (no 'implementation') nor compiled v2 YAML "
            "(no 'pipelineInfo'/'root'); add 'implementation: {container: ...}'",
        )
        return
    if component.kind != "v1":
        return
    problem = _implementation_problem(component)
    if problem is not None:
        ctx.add(problem[0], "component-implementation", problem[1])
