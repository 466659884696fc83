"""Read a component's Dockerfile as the list of steps that put code in its image.

Only what decides which code runs, and how, is kept: ``COPY``/``ADD`` of build
context files, ``pip install`` of a project directory or of requirements,
``rm``, ``WORKDIR``, ``ENV``, ``ARG``, ``ENTRYPOINT`` and ``CMD``.  Other
``RUN`` lines set up the system (apt packages, users) and are kept as notes:
the local machine provides what they install.  What the mapper cannot
reproduce (a multi-stage build, ``COPY --from``, ``ADD`` of a URL or an
archive, an unknown instruction) is refused with the file and line.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from precommit_hooks.core.files import json_or_none
from precommit_hooks.core.findings import Refusal

# Instructions that change nothing a local process sees.
IGNORED = {
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "VOLUME",
    "USER",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
    "ONBUILD",
}
ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)\Z")
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?-([^}]*))?\}|(\w+))")
PIP = re.compile(r"\A(?:pip3?|python3?(?:\.\d+)? -m pip) install\b")
# `pip install /build[features,dev]`: a project directory with extras.
EXTRAS = re.compile(r"\A(?P<path>.+?)\[(?P<extras>[^\]]*)\]\Z")


@dataclass(frozen=True)
class Step:
    """One thing the build does to the image's files.

    ``kind`` is ``copy`` (``sources`` from the context to ``target``),
    ``install`` (``pip install`` of the project directory ``target``, with
    the extras named in ``sources``),
    ``requirements`` (``pip install -r target`` or named ``sources``),
    ``remove`` (``rm`` of ``target``) or ``skip`` (a system step, ``text``).
    """

    kind: str
    line: int
    target: str = ""
    sources: tuple[str, ...] = ()
    text: str = ""


@dataclass
class ImageLayout:
    """The Dockerfile's view of the image: its steps and how it runs."""

    path: str
    base: str = ""
    steps: list[Step] = field(default_factory=list)
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line number, instruction)``, continuations joined, comments out."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        lines.append((start, " ".join(part for part in pending if part)))
        pending = []
    if pending:
        lines.append((start, " ".join(pending)))
    return lines


def substitute(text: str, values: dict[str, str]) -> str:
    """``$NAME``, ``${NAME}`` and ``${NAME:-default}`` as the builder expands them."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(3)
        default = match.group(2)
        return values.get(name) or (default if default is not None else "")

    return VARIABLE.sub(value, text)


def exec_form(text: str) -> list[str] | None:
    """The list of a JSON-form instruction (``["a", "b"]``), else None."""
    value = json_or_none(text) if text.startswith("[") else None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def read_layout(path: str, text: str, build_args: dict[str, str]) -> ImageLayout:
    """The layout of the Dockerfile ``path`` whose content is ``text``."""
    layout = ImageLayout(path)
    values: dict[str, str] = {}
    for line, instruction in logical_lines(text):
        keyword, _, rest = instruction.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        where = f"{path}:{line}"
        if keyword == "ARG":
            name, has_default, default = rest.partition("=")
            values[name.strip()] = build_args.get(
                name.strip(), default.strip().strip("\"'") if has_default else ""
            )
        elif keyword == "FROM":
            if layout.base:
                raise Refusal(
                    f"{where}: a multi-stage build (a second FROM) cannot be mapped "
                    "to a local run; build the code in one stage"
                )
            layout.base = substitute(rest.split()[0], values) if rest else ""
        elif keyword in IGNORED:
            continue
        elif keyword in ("ENTRYPOINT", "CMD"):
            form = exec_form(rest)
            command = form if form is not None else ["/bin/sh", "-c", rest]
            setattr(layout, keyword.lower(), command)
        else:
            _file_instruction(layout, keyword, substitute(rest, values), where, line)
            values.update(layout.env)
    if not layout.base:
        raise Refusal(f"{path}: no FROM line; is it a Dockerfile?")
    return layout


def _file_instruction(
    layout: ImageLayout, keyword: str, rest: str, where: str, line: int
) -> None:
    """WORKDIR, ENV, COPY, ADD and RUN: the instructions that shape the files."""
    if keyword == "WORKDIR":
        layout.workdir = posixpath.normpath(posixpath.join(layout.workdir, rest))
    elif keyword == "ENV":
        layout.env.update(_env_pairs(rest, where))
    elif keyword in ("COPY", "ADD"):
        layout.steps.append(_copy_step(layout, keyword, rest, where, line))
    elif keyword == "RUN":
        layout.steps.extend(_run_steps(layout.workdir, rest, where, line))
    else:
        raise Refusal(
            f"{where}: unknown Dockerfile instruction {keyword!r}; the local mapper "
            "reads FROM, ARG, ENV, WORKDIR, COPY, ADD, RUN, ENTRYPOINT and CMD"
        )


def _split(text: str, where: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise Refusal(f"{where}: cannot read {text!r}: {exc}") from None


def _env_pairs(rest: str, where: str) -> dict[str, str]:
    words = _split(rest, where)
    if words and "=" not in words[0]:  # the legacy form: ENV NAME value
        return {words[0]: " ".join(words[1:])}
    pairs = {}
    for word in words:
        name, equals, value = word.partition("=")
        if not equals:
            raise Refusal(f"{where}: ENV {word!r} is not NAME=value")
        pairs[name] = value
    return pairs


def _copy_step(
    layout: ImageLayout, keyword: str, rest: str, where: str, line: int
) -> Step:
    words = exec_form(rest) or _split(rest, where)
    flags = [word for word in words if word.startswith("--")]
    paths = [word for word in words if not word.startswith("--")]
    if any(flag.startswith("--from") for flag in flags):
        raise Refusal(
            f"{where}: {keyword} --from copies from another image or stage, which a "
            "local run does not have; copy from the build context"
        )
    if len(paths) < 2:
        raise Refusal(f"{where}: {keyword} needs a source and a destination")
    *sources, target = paths
    for source in sources:
        if keyword == "ADD" and (
            re.match(r"\A(https?|git)[:@]", source) or ARCHIVE.search(source)
        ):
            raise Refusal(
                f"{where}: ADD {source} fetches or unpacks at build time; a local run "
                "maps only files of the build context (use COPY)"
            )
    directory = target.endswith("/")
    target = posixpath.normpath(posixpath.join(layout.workdir, target))
    return Step("copy", line, target + ("/" if directory else ""), tuple(sources))


def _run_steps(workdir: str, rest: str, where: str, line: int) -> list[Step]:
    form = exec_form(rest)
    text = shlex.join(form) if form is not None else rest
    steps = []
    for part in re.split(r"\s*(?:&&|;)\s*", text):
        words = _split(part, where)
        if not words:
            continue
        if PIP.match(" ".join(words[:4])):
            steps.extend(_pip_steps(workdir, words, line))
        elif words[0] == "rm":
            steps.extend(
                Step("remove", line, posixpath.join(workdir, word))
                for word in words[1:]
                if not word.startswith("-")
            )
        else:
            steps.append(Step("skip", line, text=part))
    return steps


def _pip_steps(workdir: str, words: list[str], line: int) -> list[Step]:
    """``pip install``: requirement files, named requirements, project directories."""
    arguments = words[words.index("install") + 1 :]
    steps, named = [], []
    index = 0
    while index < len(arguments):
        word = arguments[index]
        if word in ("-r", "--requirement") and index + 1 < len(arguments):
            path = posixpath.join(workdir, arguments[index + 1])
            steps.append(Step("requirements", line, path))
            index += 2
            continue
        if word.startswith(("-r", "--requirement=")):
            path = word.split("=", 1)[1] if "=" in word else word[2:]
            steps.append(Step("requirements", line, posixpath.join(workdir, path)))
        elif word.startswith(("/", ".")):
            steps.append(_install_step(workdir, word, line))
        elif not word.startswith("-"):
            named.append(word)
        index += 1
    if named:
        steps.append(Step("requirements", line, sources=tuple(named)))
    return steps


def _install_step(workdir: str, word: str, line: int) -> Step:
    """``pip install <dir>`` or ``<dir>[extra,...]``: the project and its extras."""
    match = EXTRAS.match(word)
    path, extras = (match["path"], match["extras"]) if match else (word, "")
    names = tuple(name.strip() for name in extras.split(",") if name.strip())
    return Step("install", line, posixpath.join(workdir, path), names)
