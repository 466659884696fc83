"""Lay out the files a component's image would hold, in a local folder.

The folder stands for the image's root: ``COPY src /app/src`` puts the build
context's ``src`` (less what ``.dockerignore`` leaves out) at
``<root>/app/src``.  ``pip install <project dir>`` copies the project's
packages to ``<root>/.site`` with a minimal ``.dist-info`` (name, version,
summary, author), the local stand-in for site-packages that the step's
``PYTHONPATH`` puts first.  Requirements are not installed: they are listed,
and the local interpreter is checked against them (see :mod:`.environment`).
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass, field

from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp.local.dockerfile import ImageLayout, Step

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

SITE = ".site"


@dataclass
class StagedImage:
    """An image laid out in ``root``; what its steps ask of the interpreter."""

    root: str
    layout: ImageLayout
    requirements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def path(self, image_path: str) -> str:
        """The local path of an absolute path inside the image."""
        return os.path.join(self.root, image_path.lstrip("/"))

    @property
    def site(self) -> str:
        return os.path.join(self.root, SITE)


def ignore_patterns(context: str) -> list[str]:
    """The patterns of the context's ``.dockerignore`` (``!`` re-includes)."""
    try:
        with open(os.path.join(context, ".dockerignore"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    patterns = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(line.rstrip("/"))
    return patterns


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether ``.dockerignore`` leaves ``relative`` (a context path) out.

    A pattern matches the path or one of its parent folders; the last pattern
    that matches decides, and ``!pattern`` brings a path back.
    """
    verdict = False
    parts = relative.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern[1:] if negate else pattern)
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            verdict = not negate
    return verdict


def _pattern_regex(pattern: str) -> re.Pattern:
    """Docker's pattern syntax: ``**`` any folders, ``*`` and ``?`` in one name."""
    out = []
    text = pattern.strip("/")
    index = 0
    while index < len(text):
        if text.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif text.startswith("**", index):
            out.append(".*")
            index += 2
        elif text[index] == "*":
            out.append("[^/]*")
            index += 1
        elif text[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(text[index]))
            index += 1
    return re.compile("".join(out))


def stage(layout: ImageLayout, context: str, root: str) -> StagedImage:
    """Play the layout's steps into ``root``; the staged image."""
    staged = StagedImage(root, layout)
    patterns = ignore_patterns(context)
    os.makedirs(root, exist_ok=True)
    for step in layout.steps:
        where = f"{layout.path}:{step.line}"
        if step.kind == "copy":
            _copy(staged, step, context, patterns, where)
        elif step.kind == "install":
            install_project(staged, step.target, where, step.sources)
        elif step.kind == "requirements":
            staged.requirements.extend(_requirements(staged, step, where))
        elif step.kind == "remove":
            _remove(staged, step.target)
        else:
            staged.notes.append(f"{where}: not run locally: RUN {step.text}")
    os.makedirs(staged.path(layout.workdir), exist_ok=True)
    return staged


def context_sources(source: str, context: str, where: str) -> list[str]:
    """The context paths a COPY source names (globs expanded), or a refusal."""
    real_context = os.path.realpath(context)
    pattern = os.path.join(context, source.lstrip("/"))
    found = sorted(glob.glob(pattern)) if glob.has_magic(source) else [pattern]
    found = [path for path in found if os.path.lexists(path)]
    if not found:
        raise Refusal(
            f"{where}: COPY {source}: no such file in the build context {context}; "
            "fix the path (it is relative to the context in docker-compose.yaml)"
        )
    for path in found:
        real = os.path.realpath(path)
        if os.path.commonpath([real_context, real]) != real_context:
            raise Refusal(f"{where}: COPY {source} leaves the build context {context}")
    return found


def _copy(
    staged: StagedImage, step: Step, context: str, patterns: list[str], where: str
) -> None:
    sources = [
        path
        for source in step.sources
        for path in context_sources(source, context, where)
    ]
    into = step.target.endswith("/") or len(sources) > 1
    for path in sources:
        relative = os.path.relpath(path, context).replace(os.sep, "/")
        if relative != "." and ignored(relative, patterns):
            continue
        if os.path.isdir(path):
            _copy_tree(path, staged.path(step.target), context, patterns)
            continue
        target = step.target
        if into or os.path.isdir(staged.path(target)):
            target = posixpath.join(target, os.path.basename(path))
        os.makedirs(os.path.dirname(staged.path(target)), exist_ok=True)
        shutil.copyfile(path, staged.path(target))


def _copy_tree(source: str, target: str, context: str, patterns: list[str]) -> None:
    """A folder's contents (not the folder itself), as COPY copies them."""
    for folder, dirs, files in os.walk(source):
        relative = os.path.relpath(folder, context).replace(os.sep, "/")
        dirs[:] = [d for d in dirs if not ignored(f"{relative}/{d}", patterns)]
        here = os.path.join(target, os.path.relpath(folder, source))
        os.makedirs(here, exist_ok=True)
        for name in files:
            if not ignored(f"{relative}/{name}", patterns):
                shutil.copyfile(os.path.join(folder, name), os.path.join(here, name))


def _remove(staged: StagedImage, target: str) -> None:
    path = os.path.realpath(staged.path(target))
    root = os.path.realpath(staged.root)
    if path == root or os.path.commonpath([root, path]) != root:
        return  # `rm -rf /` or outside the image: nothing the code needs
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _requirements(staged: StagedImage, step: Step, where: str) -> list[str]:
    if step.sources:
        return list(step.sources)
    try:
        with open(staged.path(step.target), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        raise Refusal(
            f"{where}: pip install -r {step.target}: the file is not in the image "
            "at that step; COPY it first"
        ) from None
    wanted = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            wanted.append(line)
    return wanted


def install_project(
    staged: StagedImage, target: str, where: str, extras: tuple[str, ...] = ()
) -> None:
    """``pip install <dir>``: the project's packages and metadata into ``.site``.

    The requirements of its ``extras`` (``pip install <dir>[extra]``) join the
    image's requirements, checked in the local interpreter like the others.
    """
    project = staged.path(target)
    try:
        with open(os.path.join(project, "pyproject.toml"), "rb") as handle:
            config = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Refusal(
            f"{where}: pip install {target}: no readable pyproject.toml there ({exc}); "
            "the local mapper installs pyproject.toml projects"
        ) from None
    setuptools = (config.get("tool") or {}).get("setuptools") or {}
    where_dirs = ((setuptools.get("packages") or {}).get("find") or {}).get("where")
    copied = 0
    for folder in where_dirs or ["."]:
        base = os.path.join(project, folder)
        for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            package = os.path.join(base, name)
            if os.path.isfile(os.path.join(package, "__init__.py")):
                shutil.copytree(package, os.path.join(staged.site, name))
                copied += 1
    if not copied:
        raise Refusal(
            f"{where}: pip install {target}: no package (a folder with __init__.py) "
            "found; set [tool.setuptools.packages.find] where"
        )
    _write_metadata(staged.site, config.get("project") or {})
    optional = (config.get("project") or {}).get("optional-dependencies") or {}
    for extra in extras:
        if extra in optional:
            staged.requirements.extend(str(item) for item in optional[extra])
        else:  # pip warns and installs the project without it
            staged.notes.append(
                f"{where}: pip install {target}[{extra}]: the project has no "
                f"extra {extra!r} in pyproject.toml; nothing installed for it"
            )


def _write_metadata(site: str, project: dict) -> None:
    """A ``.dist-info`` so ``importlib.metadata`` finds the project as installed."""
    name = str(project.get("name", "project"))
    version = str(project.get("version", "0"))
    folder = os.path.join(site, f"{name.replace('-', '_')}-{version}.dist-info")
    os.makedirs(folder, exist_ok=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    emails = [
        (
            f"{author['name']} <{author['email']}>"
            if author.get("name")
            else author["email"]
        )
        for author in project.get("authors") or []
        if isinstance(author, dict) and author.get("email")
    ]
    if emails:
        lines.append(f"Author-email: {', '.join(emails)}")
    with open(os.path.join(folder, "METADATA"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
