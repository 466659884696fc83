"""check-components: KFP component specs (v1 ``component.yaml`` and compiled v2 YAML).

kfp's own loader is the final word on whether a component loads: every file
goes through the same steps as ``kfp.components.load_component_from_file``,
but fed with the documents our guarded reader (:mod:`.yamlio`) already parsed,
so a file is parsed once, by libyaml, with every cap in place.  Around that
verdict the hook reports what kfp lets through or words badly, each at its line:

* duplicate keys, key typos ("did you mean"), values of the wrong type;
* input or output names that collide once kfp sanitises them (kfp silently
  keeps only the last one);
* placeholders (``{inputValue: x}``, ``{outputPath: x}``, ``{if: {cond:
  {isPresent: x}}}``...) naming inputs or outputs that do not exist;
* a missing image, and a ``:latest`` or untagged one (a warning for a
  standalone component, an error in a project folder);
* in compiled v2 YAML, references that do not resolve (tasks to components,
  components to executors, placeholders to input and output definitions).

Project-folder rules apply when the component's folder holds a ``Dockerfile``,
a ``requirements.txt`` or a ``src/`` folder, or sits at
``workflows/components/<name>/`` (the template's layout): see
:func:`check_project_folder`.
"""

from __future__ import annotations

import difflib
import functools
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import (
    ERROR,
    WARNING,
    Finding,
    emit,
    finding,
    hook_parser,
    run_checks,
)

Pos = tuple[int, int]

# Keys kfp's v1 model knows; anything else is ignored by kfp, so a typo is lost.
V1_TOP_KEYS = ("name", "description", "metadata", "inputs", "outputs", "implementation")
V1_OPTIONAL_TOP_KEYS = ("version",)
V1_INPUT_KEYS = ("name", "type", "description", "default", "optional", "annotations")
V1_OUTPUT_KEYS = ("name", "type", "description", "annotations")
V1_IMPLEMENTATION_KEYS = ("container", "graph")
V1_CONTAINER_KEYS = ("image", "command", "args", "env", "fileOutputs")
V1_METADATA_KEYS = ("annotations", "labels")
V2_TOP_KEYS = (
    "components",
    "deploymentSpec",
    "pipelineInfo",
    "root",
    "schemaVersion",
    "sdkVersion",
    "defaultPipelineRoot",
)
INPUT_PLACEHOLDERS = (
    "inputValue",
    "inputPath",
    "inputUri",
    "isPresent",
    "inputMetadata",
    "inputOutputPortName",
)
OUTPUT_PLACEHOLDERS = ("outputPath", "outputUri")
OTHER_PLACEHOLDERS = ("concat", "if", "executorInput", "outputMetadata")
ALL_PLACEHOLDERS = INPUT_PLACEHOLDERS + OUTPUT_PLACEHOLDERS + OTHER_PLACEHOLDERS
# A close match to a known key is almost surely a typo (an error); a key that
# resembles nothing is only ignored by kfp (a warning).
TYPO_CUTOFF = 0.75
# kfp error messages can embed the whole component; keep findings one line.
MAX_KFP_MESSAGE = 300

_V2_PLACEHOLDER = re.compile(
    r"\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\]"
)
COMPOSE_FILES = (
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.yaml",
    "compose.yml",
)
SCRIPT_SUFFIXES = (".py", ".sh")


@dataclass
class Context:
    """What one file's checks share: where findings go and the options."""

    path: str
    max_bytes: int | None = None
    project_rules: bool = True
    in_project: bool = False
    found: list[Finding] = field(default_factory=list)

    def add(self, pos: Pos | None, rule: str, message: str, level: str = ERROR) -> None:
        self.found.append(finding(self.path, pos, rule, message, level))


# ---------------------------------------------------------------- helpers


def _pos(container: Any, key: Any) -> Pos | None:
    return yamlio.pos_of(container, key) or getattr(container, "pos", None)


def _key_pos(mapping: Any, key: Any) -> Pos | None:
    key_pos = getattr(mapping, "key_pos", {})
    return key_pos.get(key) or _pos(mapping, key)


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    guess = _suggest(word, choices)
    return f"; did you mean {guess!r}?" if guess else ""


def check_keys(
    ctx: Context,
    mapping: Any,
    known: Sequence[str],
    where: str,
    also_allowed: Sequence[str] = (),
) -> None:
    """Unknown keys: a near-miss of a known key is an error, others a warning."""
    if not isinstance(mapping, dict):
        return
    for key in mapping:
        if key in known or key in also_allowed:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=TYPO_CUTOFF)
        if close and close[0] not in mapping:
            ctx.add(
                _key_pos(mapping, key),
                "component-key-typo",
                f"unknown key {key!r} in {where}; did you mean {close[0]!r}?",
            )
        else:
            ctx.add(
                _key_pos(mapping, key),
                "component-unknown-key",
                f"unknown key {key!r} in {where} is ignored by kfp "
                f"(known: {', '.join(known)}); remove it",
                WARNING,
            )


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """``registry/name:tag@digest`` -> ``(registry/name, tag, digest)``."""
    name, _, digest = ref.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def image_tag_problem(ref: str) -> str | None:
    """Why an image reference is not pinned (``:latest`` or no tag), or None."""
    if not ref.strip():
        return "is empty: kfp loads it, but no run can start"
    _, tag, digest = split_image(ref)
    if digest:
        return None
    if tag is None:
        return "has no tag, so it means ':latest'"
    if tag == "latest":
        return "uses the moving tag ':latest'"
    return None


def _check_image(ctx: Context, container: Any, in_project: bool) -> str | None:
    """Image present, a string, and pinned; returns the image when usable."""
    if "image" not in container:
        ctx.add(
            _pos(container, "image"),
            "component-image",
            "container has no image; add 'image: registry/name:tag'",
        )
        return None
    image = container["image"]
    pos = _pos(container, "image")
    if not isinstance(image, str):
        ctx.add(
            pos,
            "component-image",
            f"image must be a string, got {yamlio.type_name(image)}; "
            "write 'image: registry/name:tag'",
        )
        return None
    problem = image_tag_problem(image)
    if problem:
        if in_project:
            ctx.add(
                pos,
                "component-image-tag",
                f"image {image!r} {problem}; a project component pins its tag "
                "(CI bumps it with 'dsp bump-image-tag')",
            )
        else:
            ctx.add(
                pos,
                "component-image-tag",
                f"image {image!r} {problem}; pin a version tag or digest so runs "
                "are reproducible",
                WARNING,
            )
    return image


# ------------------------------------------------------------- v1 format


def _named_items(ctx: Context, spec: Any, key: str, allowed: Sequence[str]) -> dict:
    """Check ``inputs``/``outputs``; return ``{raw name: position}``."""
    names: dict[str, Pos | None] = {}
    if key not in spec or spec[key] is None:
        return names
    items = spec[key]
    if not isinstance(items, list):
        ctx.add(
            _pos(spec, key),
            "component-type",
            f"{key} must be a list of {{name: ...}} mappings, got "
            f"{yamlio.type_name(items)}",
        )
        return names
    singular = key[:-1]
    for index, item in enumerate(items):
        pos = yamlio.pos_of(items, index)
        if not isinstance(item, dict):
            ctx.add(
                pos,
                "component-type",
                f"each {singular} must be a mapping with a name, got "
                f"{yamlio.type_name(item)}",
            )
            continue
        check_keys(
            ctx, item, allowed, f"an {singular}" if key == "inputs" else "an output"
        )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            ctx.add(
                _pos(item, "name") if "name" in item else pos,
                "component-name",
                f"{singular} name must be a non-empty string, got "
                f"{yamlio.type_name(name) if 'name' in item else 'nothing'}"
                + ("; quote it" if isinstance(name, (bool, int, float)) else ""),
            )
            continue
        if name in names:
            ctx.add(
                _pos(item, "name"),
                "component-name",
                f"{singular} {name!r} is defined twice (first at line "
                f"{(names[name] or (0, 0))[0]}); rename one",
            )
            continue
        names[name] = _pos(item, "name")
    return names


def check_sanitised_collisions(
    ctx: Context, names: dict[str, Pos | None], kind: str
) -> None:
    """Names that kfp's sanitiser maps to one name: kfp keeps only the last."""
    from kfp.dsl.utils import sanitize_input_name  # kfp's own sanitiser

    seen: dict[str, str] = {}
    for name, pos in names.items():
        clean = sanitize_input_name(name)
        if clean in seen:
            ctx.add(
                pos,
                "component-name-collision",
                f"{kind} {name!r} and {seen[clean]!r} both become {clean!r} in "
                "kfp, which keeps only one of them; rename one",
            )
        else:
            seen[clean] = name


class _Placeholders:
    """Walks command/args/env of a v1 container and checks each placeholder."""

    def __init__(self, ctx: Context, inputs: dict, outputs: dict) -> None:
        self.ctx, self.inputs, self.outputs = ctx, inputs, outputs

    def walk(self, value: Any, pos: Pos | None) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.walk(item, yamlio.pos_of(value, index) or pos)
            return
        if not isinstance(value, dict):
            return
        if len(value) != 1:
            self.ctx.add(
                pos,
                "component-placeholder",
                f"a placeholder is a mapping with one key, got "
                f"{', '.join(map(str, value)) or 'an empty mapping'}",
            )
            return
        ((kind, arg),) = value.items()
        arg_pos = _pos(value, kind) or pos
        if kind in INPUT_PLACEHOLDERS:
            self.reference(kind, arg, arg_pos, self.inputs, self.outputs, "input")
        elif kind in OUTPUT_PLACEHOLDERS:
            self.reference(kind, arg, arg_pos, self.outputs, self.inputs, "output")
        elif kind == "concat":
            if not isinstance(arg, list):
                self.ctx.add(
                    arg_pos,
                    "component-placeholder",
                    f"concat takes a list, got {yamlio.type_name(arg)}",
                )
            self.walk(arg, arg_pos)
        elif kind == "if":
            self.if_placeholder(arg, arg_pos)
        elif kind in OTHER_PLACEHOLDERS:
            return
        else:
            self.ctx.add(
                _key_pos(value, kind),
                "component-placeholder",
                f"unknown placeholder {{{kind}: ...}}"
                + _did_you_mean(kind, ALL_PLACEHOLDERS),
            )

    def if_placeholder(self, arg: Any, pos: Pos | None) -> None:
        if not isinstance(arg, dict):
            self.ctx.add(
                pos,
                "component-placeholder",
                "if takes a mapping {cond: ..., then: [...], else: [...]}, got "
                f"{yamlio.type_name(arg)}",
            )
            return
        check_keys(self.ctx, arg, ("cond", "then", "else"), "an if placeholder")
        if "cond" not in arg:
            self.ctx.add(pos, "component-placeholder", "if placeholder has no 'cond'")
        for key in ("cond", "then", "else"):
            if key in arg:
                self.walk(arg[key], _pos(arg, key))

    def reference(
        self,
        kind: str,
        name: Any,
        pos: Pos | None,
        own: dict,
        other: dict,
        what: str,
    ) -> None:
        if not isinstance(name, str):
            self.ctx.add(
                pos,
                "component-placeholder",
                f"{{{kind}: ...}} must name an {what}, got {yamlio.type_name(name)}",
            )
            return
        if name in own:
            return
        if name in other:
            if what == "input":
                hint = f"; {name!r} is an output: use outputPath"
            else:
                hint = f"; {name!r} is an input: use inputValue or inputPath"
        else:
            defined = ", ".join(sorted(own)) or "none"
            hint = _did_you_mean(name, own) or f" ({what}s: {defined})"
        self.ctx.add(
            pos,
            "component-placeholder",
            f"{{{kind}: {name}}} names no {what} of this component{hint}",
        )


def check_v1(ctx: Context, spec: dict) -> None:
    """Rules beyond kfp for the v1 component format."""
    check_keys(
        ctx, spec, V1_TOP_KEYS, "the component", also_allowed=V1_OPTIONAL_TOP_KEYS
    )
    for key in ("name", "description"):
        if key in spec and not isinstance(spec[key], str):
            ctx.add(
                _pos(spec, key),
                "component-type",
                f"{key} must be a string, got {yamlio.type_name(spec[key])}; quote it",
            )
    if isinstance(spec.get("metadata"), dict):
        check_keys(ctx, spec["metadata"], V1_METADATA_KEYS, "metadata")
    inputs = _named_items(ctx, spec, "inputs", V1_INPUT_KEYS)
    outputs = _named_items(ctx, spec, "outputs", V1_OUTPUT_KEYS)
    check_sanitised_collisions(ctx, inputs, "input")
    check_sanitised_collisions(ctx, outputs, "output")
    implementation = spec.get("implementation")
    if not isinstance(implementation, dict):
        ctx.add(
            _pos(spec, "implementation"),
            "component-implementation",
            "implementation must be a mapping with a 'container', got "
            f"{yamlio.type_name(implementation)}",
        )
        return
    check_keys(ctx, implementation, V1_IMPLEMENTATION_KEYS, "implementation")
    container = implementation.get("container")
    if container is None:
        if "graph" in implementation:
            ctx.add(
                _key_pos(implementation, "graph"),
                "component-implementation",
                "a graph component cannot be loaded by kfp 2; rewrite it as a "
                "pipeline (@dsl.pipeline) or a container component",
            )
        return
    if not isinstance(container, dict):
        ctx.add(
            _pos(implementation, "container"),
            "component-implementation",
            f"container must be a mapping, got {yamlio.type_name(container)}",
        )
        return
    check_keys(ctx, container, V1_CONTAINER_KEYS, "container")
    walker = _Placeholders(ctx, inputs, outputs)
    for key in ("command", "args"):
        if key in container and container[key] is not None:
            if not isinstance(container[key], list):
                ctx.add(
                    _pos(container, key),
                    "component-type",
                    f"{key} must be a list, got {yamlio.type_name(container[key])}",
                )
                continue
            walker.walk(container[key], _pos(container, key))
    env = container.get("env")
    if isinstance(env, dict):
        for name, value in env.items():
            walker.walk(value, _pos(env, name))
    file_outputs = container.get("fileOutputs")
    if isinstance(file_outputs, dict):
        for name in file_outputs:
            if name not in outputs:
                ctx.add(
                    _key_pos(file_outputs, name),
                    "component-placeholder",
                    f"fileOutputs entry {name!r} names no output"
                    + _did_you_mean(name, outputs),
                )
    image = _check_image(ctx, container, in_project=ctx.in_project)
    if image is not None and ctx.in_project:
        check_project_folder(ctx, container, image)


# ------------------------------------------------------ compiled v2 format


def _mapping(container: Any, key: str) -> dict:
    """``container[key]`` when both are mappings, else ``{}``.

    A wrong shape in compiled YAML is kfp's to report (its loader rejects it);
    these checks only follow the references that are there.
    """
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def _definitions(component: Any, side: str) -> dict[str, set[str]]:
    defs = _mapping(component, side)
    return {kind: set(_mapping(defs, kind)) for kind in ("parameters", "artifacts")}


def check_v2(ctx: Context, spec: dict) -> None:
    """Rules beyond kfp for compiled (IR) YAML: every reference resolves."""
    check_keys(ctx, spec, V2_TOP_KEYS, "the compiled component")
    info = spec.get("pipelineInfo")
    if not isinstance(info, dict) or not isinstance(info.get("name"), str):
        ctx.add(
            _pos(spec, "pipelineInfo"),
            "component-v2",
            "compiled YAML needs pipelineInfo.name (a string); recompile it with kfp",
        )
    components = _mapping(spec, "components")
    executors = _mapping(_mapping(spec, "deploymentSpec"), "executors")
    if not isinstance(spec.get("root"), dict):
        ctx.add(
            getattr(spec, "pos", None),
            "component-v2",
            "compiled YAML has no root mapping; recompile it with kfp",
        )
    users: dict[str, list[str]] = {}
    for name, component in components.items():
        label = component.get("executorLabel") if isinstance(component, dict) else None
        if label is None:
            continue
        if not isinstance(label, str) or label not in executors:
            ctx.add(
                _pos(component, "executorLabel"),
                "component-v2",
                f"component {name!r} runs executor {label!r}, which "
                "deploymentSpec.executors does not define"
                + _did_you_mean(str(label), executors),
            )
        else:
            users.setdefault(label, []).append(name)
    for owner, body in [("root", spec.get("root"))] + list(components.items()):
        _check_dag(ctx, owner, body, components)
    for label, executor in executors.items():
        container = _mapping(executor, "container")
        if not container:
            continue
        image = _check_image(ctx, container, in_project=ctx.in_project)
        for name in users.get(label, []):
            _check_v2_placeholders(ctx, label, container, name, components[name])
        if image is not None and ctx.in_project:
            check_project_folder(ctx, container, image)


def _check_dag(ctx: Context, owner: str, body: Any, components: dict) -> None:
    tasks = _mapping(_mapping(body, "dag"), "tasks")
    inputs = _definitions(body, "inputDefinitions")
    for task_name, task in tasks.items():
        if not isinstance(task, dict):
            continue
        ref = _mapping(task, "componentRef").get("name")
        if not isinstance(ref, str) or ref not in components:
            ctx.add(
                _pos(task, "componentRef"),
                "component-v2",
                f"task {task_name!r} in {owner} refers to component {ref!r}, "
                "which components does not define"
                + _did_you_mean(str(ref), components),
            )
        dependencies = task.get("dependentTasks")
        for dep in dependencies if isinstance(dependencies, list) else []:
            if not isinstance(dep, str) or dep not in tasks:
                ctx.add(
                    _pos(task, "dependentTasks"),
                    "component-v2",
                    f"task {task_name!r} depends on task {dep!r}, which {owner} "
                    "does not have",
                )
        task_inputs = _mapping(task, "inputs")
        for kind, source_key in (
            ("parameters", "componentInputParameter"),
            ("artifacts", "componentInputArtifact"),
        ):
            for source in _mapping(task_inputs, kind).values():
                if not isinstance(source, dict) or source_key not in source:
                    continue
                wanted = source[source_key]
                if not isinstance(wanted, str) or wanted not in inputs[kind]:
                    ctx.add(
                        _pos(source, source_key),
                        "component-v2",
                        f"task {task_name!r} reads {owner} input {wanted!r}, "
                        f"which {owner}'s inputDefinitions.{kind} does not define",
                    )


def _check_v2_placeholders(
    ctx: Context, label: str, container: dict, name: str, component: dict
) -> None:
    defined = {
        "inputs": _definitions(component, "inputDefinitions"),
        "outputs": _definitions(component, "outputDefinitions"),
    }
    for key in ("command", "args"):
        values = container.get(key)
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            for side, kind, ref in _V2_PLACEHOLDER.findall(value):
                if ref not in defined[side][kind]:
                    ctx.add(
                        yamlio.pos_of(values, index),
                        "component-placeholder",
                        f"executor {label!r} uses {side}.{kind}[{ref!r}], which "
                        f"component {name!r} does not define in "
                        f"{side[:-1]}Definitions.{kind}"
                        + _did_you_mean(ref, defined[side][kind]),
                    )


# -------------------------------------------------------- project folder


def is_project_folder(folder: str) -> bool:
    """Whether a component's folder follows the template's project layout."""
    if any(
        os.path.exists(os.path.join(folder, name))
        for name in ("Dockerfile", "requirements.txt", "src")
    ):
        return True
    parts = os.path.abspath(folder).split(os.sep)
    return len(parts) >= 3 and parts[-3:-1] == ["workflows", "components"]


@dataclass
class Dockerfile:
    """What the checks need from a Dockerfile: WORKDIR and local COPY sources."""

    workdir: str = "/"
    # (destination in the image, source relative to the build context)
    copies: list[tuple[str, str]] = field(default_factory=list)


def _stamp(path: str) -> tuple[int, int]:
    """(mtime, size): part of every cache key, so an edited file is re-read."""
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


def parse_dockerfile(path: str) -> Dockerfile:
    """Read WORKDIR and COPY/ADD (without --from) lines; enough to map paths."""
    return _parse_dockerfile(path, _stamp(path))


@lru_cache(maxsize=256)
def _parse_dockerfile(path: str, stamp: tuple[int, int]) -> Dockerfile:
    result = Dockerfile()
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    logical = re.sub(r"\\\r?\n", " ", text)
    for raw in logical.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "WORKDIR":
            result.workdir = posixpath.normpath(
                posixpath.join(result.workdir, rest.strip().strip("\"'"))
            )
        elif word in ("COPY", "ADD"):
            rest = rest.strip()
            if rest.startswith("["):
                parts = [p.strip().strip("\"'") for p in rest.strip("[]").split(",")]
            else:
                try:
                    parts = shlex.split(rest)
                except ValueError:
                    continue
            if any(p.startswith("--from") for p in parts):
                continue
            parts = [p for p in parts if not p.startswith("--")]
            if len(parts) < 2:
                continue
            dest = parts[-1]
            if not dest.startswith("/"):
                dest = posixpath.join(result.workdir, dest)
            for source in parts[:-1]:
                result.copies.append((dest, source))
    return result


def _to_local(token: str, folder: str, docker: Dockerfile | None) -> str | None:
    """The file in the build context that ``token`` names in the image, if any."""
    if docker is None:
        return None if token.startswith("/") else os.path.join(folder, token)
    in_image = posixpath.normpath(posixpath.join(docker.workdir, token))
    for dest, source in reversed(docker.copies):  # a later COPY wins
        local_source = os.path.normpath(os.path.join(folder, source))
        is_dir = source in (".", "./") or source.endswith("/")
        is_dir = is_dir or os.path.isdir(local_source)
        dest_norm = posixpath.normpath(dest)
        if is_dir:
            if in_image == dest_norm or in_image.startswith(
                dest_norm.rstrip("/") + "/"
            ):
                rest = posixpath.relpath(in_image, dest_norm)
                return os.path.normpath(os.path.join(local_source, rest))
        else:
            target = (
                posixpath.join(dest_norm, posixpath.basename(source))
                if dest.endswith("/")
                else dest_norm
            )
            if in_image == target:
                return local_source
    if token.startswith("/"):
        return None  # from the base image, not from this folder
    return os.path.join(folder, token)


def _script_tokens(container: dict) -> list[tuple[str, Pos | None]]:
    """Plain command/args strings that name a script (``x.py``, ``x.sh``)."""
    tokens = []
    for key in ("command", "args"):
        values = container.get(key)
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            if (
                isinstance(value, str)
                and value.endswith(SCRIPT_SUFFIXES)
                and not value.startswith("-")
                and not any(ch.isspace() for ch in value)
                and "{{" not in value
            ):
                tokens.append((value, yamlio.pos_of(values, index)))
    return tokens


def check_project_folder(ctx: Context, container: dict, image: str) -> None:
    """Dockerfile, scripts under src/, pinned requirements, compose service.

    The compose service that uses this image also says how it is built: its
    ``build`` context (default: the component folder) is where the
    Dockerfile's COPY sources are read from, so ``/app/train.py`` in the
    command maps back to a file in the repository.
    """
    folder = os.path.dirname(ctx.path) or "."
    image_pos = _pos(container, "image")
    service = check_compose(ctx, folder, image, image_pos)
    context, dockerfile = folder, os.path.join(folder, "Dockerfile")
    if service is not None and service.context is not None:
        context = service.context
        dockerfile = service.dockerfile or os.path.join(context, "Dockerfile")
    docker = None
    if not os.path.isfile(dockerfile):
        ctx.add(
            image_pos,
            "component-dockerfile",
            f"no Dockerfile at {os.path.relpath(dockerfile)!r} to build {image!r}; "
            "add one (the template's layout: Dockerfile, component.yaml, "
            "requirements.txt, src/)",
        )
    else:
        docker = parse_dockerfile(os.path.abspath(dockerfile))
    src = os.path.join(folder, "src")
    for token, pos in _script_tokens(container):
        local = _to_local(token, context, docker)
        if local is None:
            continue
        shown = os.path.relpath(local)
        if not os.path.isfile(local):
            ctx.add(
                pos,
                "component-script",
                f"the command runs {token!r}, which the image would get from "
                f"{shown!r}, but that file does not exist; add it under src/ or "
                "fix the path",
            )
        elif not os.path.abspath(local).startswith(os.path.abspath(src) + os.sep):
            ctx.add(
                pos,
                "component-script",
                f"the command runs {token!r} ({shown!r}), outside the component's "
                "src/; keep the component's code under src/",
                WARNING,
            )
    check_requirements(ctx, os.path.join(folder, "requirements.txt"))


def check_requirements(ctx: Context, path: str) -> None:
    """Every requirement pinned with ``==`` (the image must rebuild the same)."""
    if not os.path.isfile(path):
        return
    from packaging.requirements import InvalidRequirement, Requirement

    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    number, pending = 0, ""
    for index, raw in enumerate(lines, start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            number = number or index
            continue
        line, number = (pending + line).strip(), number or index
        pending = ""
        entry_line, number = number, 0
        if not line:
            continue
        pos = (entry_line, 1)
        if line.startswith("-"):
            if line.startswith(("-e", "--editable")):
                _add_req(ctx, path, pos, line, "is editable")
            continue
        spec = re.split(r"\s--hash", line)[0].strip()
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            _add_req(ctx, path, pos, spec, f"cannot be parsed ({exc})")
            continue
        pins = [s for s in req.specifier if s.operator in ("==", "===")]
        if req.url:
            _add_req(ctx, path, pos, spec, "is a URL, not a pinned version")
        elif (
            len(pins) != 1 or len(req.specifier) != 1 or pins[0].version.endswith(".*")
        ):
            _add_req(ctx, path, pos, spec, "is not pinned to one version")


def _add_req(ctx: Context, path: str, pos: Pos, entry: str, why: str) -> None:
    ctx.found.append(
        finding(
            path,
            pos,
            "component-requirements",
            f"requirement {entry!r} {why}; pin it as 'name==version' so the "
            "image rebuilds the same",
        )
    )


ROOT_MARKERS = (".git", ".pre-commit-config.yaml")


def _repo_root(folder: str) -> str:
    """Where the compose search stops: the repository root.

    The nearest folder up from ``folder`` holding ``.git`` or
    ``.pre-commit-config.yaml``; without one, the working directory when
    ``folder`` is inside it, else the filesystem root.
    """
    start = current = os.path.abspath(folder)
    while True:
        if any(os.path.exists(os.path.join(current, m)) for m in ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    cwd = os.getcwd()
    if start == cwd or start.startswith(cwd.rstrip(os.sep) + os.sep):
        return cwd
    return current


_ENV_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def _expand(value: str) -> str:
    """Compose-style ``${VAR:-default}``: the environment, else the default."""
    return _ENV_DEFAULT.sub(
        lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value
    )


@dataclass(frozen=True)
class ComposeService:
    """One compose service: its image name (no tag) and how it is built."""

    image: str
    context: str | None
    dockerfile: str | None


def compose_services(
    path: str, max_bytes: int | None = None
) -> tuple[tuple[ComposeService, ...], str]:
    """The services of a compose file, or the reason it cannot be read."""
    return _compose_services(path, max_bytes, _stamp(path))


@lru_cache(maxsize=256)
def _compose_services(
    path: str, max_bytes: int | None, stamp: tuple[int, int]
) -> tuple[tuple[ComposeService, ...], str]:
    try:
        loaded = yamlio.load_one(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        return (), exc.finding.message
    doc = loaded.documents[0] if loaded.documents else None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return (), "it has no services mapping"
    base = os.path.dirname(path)
    found = []
    for service in services.values():
        if not isinstance(service, dict) or not isinstance(service.get("image"), str):
            continue
        build = service.get("build")
        context = dockerfile = None
        if isinstance(build, str):
            context = os.path.normpath(os.path.join(base, _expand(build)))
        elif isinstance(build, dict):
            context = os.path.normpath(
                os.path.join(base, _expand(str(build.get("context", "."))))
            )
            if isinstance(build.get("dockerfile"), str):
                dockerfile = os.path.join(context, _expand(build["dockerfile"]))
        name = split_image(_expand(service["image"]))[0]
        found.append(ComposeService(name, context, dockerfile))
    return tuple(found), ""


def find_compose_files(folder: str) -> list[str]:
    """Compose files in ``folder`` and its parents up to the repository root."""
    root = _repo_root(folder)
    current = os.path.abspath(folder)
    found = []
    while True:
        found.extend(
            os.path.join(current, name)
            for name in COMPOSE_FILES
            if os.path.isfile(os.path.join(current, name))
        )
        if current == root or os.path.dirname(current) == current:
            return found
        current = os.path.dirname(current)


def check_compose(
    ctx: Context, folder: str, image: str, pos: Pos | None
) -> ComposeService | None:
    """The compose service using this image (name without tag), else a finding."""
    wanted = split_image(image)[0]
    files = find_compose_files(folder)
    seen: list[str] = []
    for path in files:
        services, error = compose_services(path, ctx.max_bytes)
        if error:
            ctx.add(
                pos,
                "component-compose",
                f"cannot read {os.path.relpath(path)!r} to find this image's "
                f"service: {error}",
            )
            continue
        for service in services:
            if service.image == wanted:
                return service
        seen.extend(service.image for service in services)
    where = ", ".join(repr(os.path.relpath(f)) for f in files) or "no compose file"
    others = f" (images there: {', '.join(sorted(set(seen)))})" if seen else ""
    ctx.add(
        pos,
        "component-compose",
        f"no docker-compose.yaml service builds image {wanted!r} (searched "
        f"{where} from the component folder up to the repository root){others}; "
        f"add a service with 'image: {wanted}:<tag>' and 'build: <this folder>'",
    )
    return None


# ------------------------------------------------------------ kfp verdict


@lru_cache(maxsize=None)
def _cache_kfp_type_hints() -> None:
    """Memoise ``typing.get_type_hints`` inside kfp's v1 model parser.

    kfp re-evaluates the type hints of its classes for every node of every
    component (two thirds of a check's time); the hints of a class never
    change within a process, so caching them keeps kfp's verdict and halves
    the hook's time on a large repository.
    """
    from kfp.dsl import v1_modelbase

    original = getattr(v1_modelbase, "get_type_hints", None)
    if original is not None and not hasattr(original, "cache_info"):
        v1_modelbase.get_type_hints = lru_cache(maxsize=None)(original)


def kfp_verdict(documents: list, text: str) -> str | None:
    """Load the component as ``kfp.components.load_component_from_file`` does.

    Same steps as kfp's ``ComponentSpec.from_yaml_documents`` and
    ``YamlComponent``, but on the documents we already parsed (kfp would parse
    the text twice with pure-Python PyYAML).  Returns None when kfp accepts
    the component, else kfp's error as ``"Type: message"``.
    """
    from kfp.dsl import structures, v1_structures, yaml_component

    _cache_kfp_type_hints()
    try:
        if len(documents) not in (1, 2):
            raise ValueError(
                "Expected one or two YAML documents in the IR YAML file. "
                f"Got: {len(documents)}."
            )
        spec_dict = documents[0]
        platform = documents[1] if len(documents) == 2 else {}
        if "implementation" in set(spec_dict.keys()):
            if len(documents) != 1:  # kfp reads v1 with yaml.safe_load: one doc
                raise ValueError("expected a single document in the stream")
            v1 = v1_structures.ComponentSpec.from_dict(spec_dict)
            spec = structures.ComponentSpec.from_v1_component_spec(v1)
        else:
            spec = structures.ComponentSpec.from_ir_dicts(spec_dict, platform)
            if not spec.description:
                spec.description = _ir_description(text)
        yaml_component.YamlComponent(component_spec=spec, component_yaml=text)
    except RecursionError:
        return "RecursionError: nesting too deep"
    except Exception as exc:  # noqa: BLE001 - any kfp failure is its verdict
        message = " ".join(str(exc).split())
        if len(message) > MAX_KFP_MESSAGE:
            message = message[:MAX_KFP_MESSAGE] + "..."
        return f"{type(exc).__name__}: {message}"
    return None


def _ir_description(component_yaml: str) -> str | None:
    """kfp's ``extract_description`` for compiled YAML (a nested function there)."""
    heading = "# Description: "
    prefix = "#             "
    if heading not in component_yaml:
        return None
    lines = component_yaml.splitlines()
    description = lines[2]
    index = 3
    while lines[index][: len(prefix)] == prefix:
        description += "\n" + lines[index][len(prefix) + 1 :]
        index += 1
    return description[len(heading) :]


# ------------------------------------------------------------- the check


def check_component(
    path: str, *, max_bytes: int | None = None, project_rules: bool = True
) -> list[Finding]:
    """Every finding for one component file (kfp's verdict included)."""
    ctx = Context(path, max_bytes, project_rules)
    ctx.in_project = project_rules and is_project_folder(os.path.dirname(path) or ".")
    try:
        loaded = yamlio.load(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        return [exc.finding]
    ctx.found.extend(loaded.findings)
    docs = loaded.documents
    spec = docs[0] if docs else None
    if not isinstance(spec, dict):
        ctx.add(
            None if spec is None else getattr(spec, "pos", None),
            "component-type",
            "a component file holds a mapping (name, inputs, outputs, "
            f"implementation), got {'nothing' if not docs else yamlio.type_name(spec)}",
        )
        return ctx.found
    if "implementation" in spec:
        check_v1(ctx, spec)
    elif "pipelineInfo" in spec or "deploymentSpec" in spec or "root" in spec:
        check_v2(ctx, spec)
    else:
        guess = _suggest_key(spec)
        ctx.add(
            spec.pos,
            "component-implementation",
            "neither a v1 component (no 'implementation') nor compiled v2 YAML "
            "(no 'pipelineInfo'/'root')"
            + (f"; did you mean {guess[1]!r} for {guess[0]!r}?" if guess else ""),
        )
    verdict = kfp_verdict(docs, loaded.text)
    if verdict is not None:
        ctx.add(
            spec.pos,
            "kfp-loader",
            f"kfp's load_component_from_file rejects this component: {verdict}",
        )
    return ctx.found


def _suggest_key(spec: dict) -> tuple[str, str] | None:
    for key in spec:
        close = difflib.get_close_matches(
            str(key), ["implementation", "pipelineInfo"], n=1, cutoff=TYPO_CUTOFF
        )
        if close:
            return str(key), close[0]
    return None


def check_components(
    filenames: Sequence[str],
    *,
    max_bytes: int | None = None,
    project_rules: bool = True,
) -> list[Finding]:
    """Check every file; one bad file never stops the others."""
    check = functools.partial(
        check_component, max_bytes=max_bytes, project_rules=project_rules
    )
    return run_checks(list(dict.fromkeys(filenames)), check)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of the ``check-components`` hook."""
    parser = hook_parser(
        "check-components",
        "Validate KFP component.yaml files (v1 spec and compiled v2) with kfp's "
        "loader and the project's rules.",
    )
    parser.add_argument(
        "--no-project-rules",
        action="store_true",
        help="skip the Dockerfile/src/requirements/compose rules of the "
        "template's component folders",
    )
    args = parser.parse_args(argv)
    found = check_components(
        args.filenames,
        max_bytes=args.max_bytes,
        project_rules=not args.no_project_rules,
    )
    return emit(found, args.format, args.strict)


if __name__ == "__main__":
    raise SystemExit(main())
