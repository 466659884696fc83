"""``dsp components generate [--check]``: component.yaml files from step functions.

The configuration is ``[tool.dsp.components]`` of the project's pyproject.toml:
``sources`` (the files holding ``@step`` functions), ``image`` (the project
package's image, built by one Dockerfile and compose service) and ``output``
(default ``workflows/components``).  Generating writes each step's
``<output>/<name>/component.yaml`` atomically and removes generated files
whose step is gone; ``--check`` writes nothing and exits 1 with a diff when
any file differs from what generating would write.  Every problem is found
before anything is written.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from precommit_hooks.core.config import add_config_option
from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import Refusal, print_text, refuse_special_file
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.kfp.generate.render import COMMAND, is_generated, render
from precommit_hooks.kfp.generate.signatures import Step, read_steps

TABLE = "[tool.dsp.components]"
KEYS = ("sources", "image", "output")
DEFAULT_OUTPUT = "workflows/components"
MAX_COMPONENT_BYTES = 1 << 20
_IMAGE_LINE = re.compile(r'^    image: ("[^"\n]*")$', re.MULTILINE)


@dataclass(frozen=True)
class Config:
    """``[tool.dsp.components]`` with paths relative to the project root."""

    root: Path
    sources: tuple[Path, ...]
    image: str
    output: Path


@dataclass
class Plan:
    """What generating would do: files to write (text) and files to remove."""

    wanted: dict[Path, str]
    current: dict[Path, str | None]  # None: no file yet
    stale: list[Path]

    def changed(self) -> list[Path]:
        return [
            path for path, text in self.wanted.items() if self.current[path] != text
        ]


def _relative(value: object, key: str, config_path: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise Refusal(f"{config_path}: {TABLE} {key} must be a non-empty path string")
    path = Path(value)
    if path.is_absolute() or ".." in path.parts:
        raise Refusal(
            f"{config_path}: {TABLE} {key} {value!r} must be a path inside the "
            "project, relative to pyproject.toml"
        )
    return path


def parse_config(table: Any, config_path: Path) -> Config:
    """Check ``[tool.dsp.components]``; unknown keys get a did-you-mean."""
    if not isinstance(table, dict):
        raise Refusal(
            f"{config_path}: no {TABLE} table; add one with sources = "
            '["src/<package>/steps.py"] and image = "<registry>/<name>:<tag>"'
        )
    for key in table:
        if key not in KEYS:
            raise Refusal(
                f"{config_path}: {TABLE} has unknown key {key!r}"
                f"{did_you_mean(key, KEYS)}; the keys are {', '.join(KEYS)}"
            )
    sources = table.get("sources")
    if not isinstance(sources, list) or not sources:
        raise Refusal(
            f"{config_path}: {TABLE} sources must be a list of files, e.g. "
            '["src/<package>/steps.py"]'
        )
    image = table.get("image")
    if (
        not isinstance(image, str)
        or not image.strip()
        or any(c.isspace() for c in image)
    ):
        raise Refusal(
            f"{config_path}: {TABLE} image must be the package image, e.g. "
            '"harbor.example.com/team/project-steps:0.1.0"'
        )
    return Config(
        root=config_path.parent,
        sources=tuple(_relative(s, "sources", config_path) for s in sources),
        image=image,
        output=_relative(table.get("output", DEFAULT_OUTPUT), "output", config_path),
    )


def load_config(config_path: Path) -> Config:
    """The project's configuration, refused in one line when missing or wrong."""
    from precommit_hooks.core.config import dsp_table, load_toml

    return parse_config(
        dsp_table(load_toml(config_path), config_path).get("components"), config_path
    )


def read_existing(root: Path, path: Path) -> str | None:
    """The text of an existing component.yaml (None when absent)."""
    full = root / path
    refuse_special_file(full, "component.yaml")
    try:
        data = full.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) > MAX_COMPONENT_BYTES:
        return data[:64].decode("utf-8", "replace")  # too big to be ours
    return data.decode("utf-8", "replace")


def _unique(steps: list[Step]) -> None:
    seen: dict[str, Step] = {}
    for step in steps:
        if step.name in seen:
            first = seen[step.name]
            raise Refusal(
                f"{step.source}:{step.line}: step {step.function!r} is also named "
                f"{step.name!r} like {first.source}:{first.line}; rename one, or "
                "give @step(name=...)"
            )
        seen[step.name] = step


def image_of(text: str | None) -> str | None:
    """The image line of a generated component.yaml, or None."""
    match = _IMAGE_LINE.search(text or "") if text and is_generated(text) else None
    return json.loads(match.group(1)) if match else None


def current_image(config: Config, texts: list[str | None]) -> str:
    """The configured image, at the tag the generated files already use.

    CI's ``dsp bump-image-tag`` moves the tag of every component.yaml after
    building the image and commits that: the tag on disk wins, so the check
    stays green after CI; a different repository is a hand edit, and loses.
    """
    from precommit_hooks.kfp.images import repository_of

    wanted = repository_of(config.image)
    for image in sorted(filter(None, map(image_of, texts))):
        if repository_of(image) == wanted:
            return image
    return config.image


def make_plan(config: Config) -> Plan:
    """Read every step and every current file; refuse conflicts up front."""
    steps = [
        step for source in config.sources for step in read_steps(config.root, source)
    ]
    _unique(steps)
    paths = [config.output / step.name / "component.yaml" for step in steps]
    current = {path: read_existing(config.root, path) for path in paths}
    image = current_image(config, list(current.values()))
    wanted = {path: render(step, image) for path, step in zip(paths, steps)}
    for path, text in current.items():
        if text is not None and not is_generated(text):
            raise Refusal(
                f"{path}: is hand-written (no generated header); rename the step with "
                "@step(name=...) or move that component, the generator never "
                "overwrites it"
            )
    stale = []
    for found in sorted((config.root / config.output).glob("*/component.yaml")):
        path = found.relative_to(config.root)
        if path not in wanted and is_generated(read_existing(config.root, path) or ""):
            stale.append(path)
    return Plan(wanted, current, stale)


def diff_text(plan: Plan, root: Path) -> str:
    """A unified diff from the files on disk to what generating would write."""
    chunks: list[str] = []
    for path in plan.changed():
        before = (plan.current[path] or "").splitlines(keepends=True)
        after = plan.wanted[path].splitlines(keepends=True)
        chunks += difflib.unified_diff(before, after, f"a/{path}", f"b/{path}")
    for path in plan.stale:
        before = (read_existing(root, path) or "").splitlines(keepends=True)
        chunks += difflib.unified_diff(before, [], f"a/{path}", "/dev/null")
    return "".join(chunks)


def apply(plan: Plan, root: Path) -> list[str]:
    """Write the changed files and remove the stale ones; what was done."""
    done = []
    for path in plan.changed():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(root / path, plan.wanted[path].encode("utf-8"))
        done.append(f"wrote {path}")
    for path in plan.stale:
        (root / path).unlink()
        if not any((root / path.parent).iterdir()):
            (root / path.parent).rmdir()
        done.append(f"removed {path} (its step is gone)")
    return done


def run(args: argparse.Namespace) -> int:
    """``dsp components generate``: write, or with ``--check`` compare."""
    config = load_config(Path(args.config))
    plan = make_plan(config)
    if args.check:
        diff = diff_text(plan, config.root)
        if not diff:
            return 0
        count = len(plan.changed()) + len(plan.stale)
        print_text(
            diff + f"{count} generated component file(s) out of date with their "
            f"steps; run `{COMMAND}` and commit the result\n"
        )
        return 1
    done = apply(plan, config.root)
    print_text("".join(line + "\n" for line in done) or "components up to date\n")
    return 0


def configure_components(parser: argparse.ArgumentParser) -> None:
    """``dsp components generate [--check] [--config pyproject.toml]``."""
    subs = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(parser)
    )
    generate = subs.add_parser(
        "generate",
        help="write workflows/components/<name>/component.yaml for each @step",
        description="Write a v1 component.yaml for each @step function.",
    )
    generate.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when a generated file is out of date",
    )
    add_config_option(generate, "components")
    generate.set_defaults(func=run)
