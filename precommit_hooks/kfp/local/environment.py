"""The local interpreter against what an image's requirements pin.

A local run does not install anything: the steps run with the interpreter the
user names (the project's ``.venv/bin/python`` by default), which ``make
install`` set up.  Before the run, each requirement of each image is checked
in that interpreter; a missing or different version is a note, since the
step may not need it (``boto3`` only for lakeFS sources) and the user decides.
"""

from __future__ import annotations

import json
import subprocess
from typing import Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from precommit_hooks.core.findings import Refusal

_PROBE = """\
import json, sys
from importlib import metadata
found = {}
for name in json.loads(sys.argv[1]):
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps({"python": "%d.%d" % sys.version_info[:2], "found": found}))
"""


def probe(python: str, names: Sequence[str]) -> dict:
    """The interpreter's version and the installed versions of ``names``."""
    try:
        done = subprocess.run(
            [python, "-c", _PROBE, json.dumps(sorted(set(names)))],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise Refusal(
            f"cannot run the interpreter {python}: {exc.strerror}; pass --python "
            "(e.g. .venv/bin/python after make install)"
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Refusal(f"the interpreter {python} does not run Python 3: {last}")
    return json.loads(lines[-1])


def requirement_notes(python: str, wanted: dict[str, list[str]]) -> list[str]:
    """One note per requirement the interpreter lacks or holds at another version.

    ``wanted`` maps an image's name to its requirement lines.
    """
    parsed: dict[str, list[Requirement]] = {}
    for image, lines in wanted.items():
        parsed[image] = []
        for line in lines:
            try:
                parsed[image].append(Requirement(line))
            except InvalidRequirement:
                continue  # a URL or option pip understands; not ours to judge
    names = [canonicalize_name(r.name) for rs in parsed.values() for r in rs]
    found = probe(python, names)["found"] if names else {}
    notes = []
    for image, requirements in parsed.items():
        missing, different = [], []
        for requirement in requirements:
            have = found.get(canonicalize_name(requirement.name))
            if have is None:
                missing.append(str(requirement))
            elif requirement.specifier and not requirement.specifier.contains(
                have, prereleases=True
            ):
                different.append(f"{requirement} (has {have})")
        if missing:
            notes.append(
                f"{image} installs {_some(missing)}, missing in {python}; "
                "pip install them if the step needs them"
            )
        if different:
            notes.append(
                f"{image} pins {_some(different)} that {python} holds at other "
                "versions; results may differ from the cluster's"
            )
    return notes


def _some(items: list[str], shown: int = 3) -> str:
    """The first few items and how many more."""
    text = ", ".join(items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")
