"""check-components: KFP component specs (v1 ``component.yaml`` and compiled v2 YAML).

kfp's own loader is the final word on whether a component loads (:mod:`.loader`,
through :mod:`precommit_hooks.kfp.internals`): every file goes through the
same steps as ``kfp.components.load_component_from_file``, but fed with the
documents our guarded reader already parsed, so a file is parsed once, by
libyaml, with every cap in place.  Around that verdict the hook reports what
kfp lets through or words badly, each at its line, as rules registered with
:func:`precommit_hooks.core.rules.rule` (their table is ``docs/rules.md``):

* :mod:`.common`: key typos and unknown keys, the image and its tag;
* :mod:`.v1`: the v1 format's types, names, name collisions, implementation;
* :mod:`.placeholders`: placeholders naming inputs or outputs that exist;
* :mod:`.v2`: compiled v2 YAML's references resolve;
* :mod:`.compose`, :mod:`.project`, :mod:`.requirements`: the project-folder
  rules, when the component's folder holds a ``Dockerfile``, a
  ``requirements.txt`` or ``src/``, or sits at ``workflows/components/<name>/``.

Each file is read into a :class:`~.model.Component` once; every rule then
reads it and reports under its own id, so one problem never hides another.
"""

from __future__ import annotations

import functools
import os
from typing import Sequence

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.findings import Finding, emit, hook_parser, run_checks
from precommit_hooks.core.rules import rules_of

# Imported in this order, the rules register (and are documented) in it.
from precommit_hooks.hooks.check_components import common  # noqa: F401
from precommit_hooks.hooks.check_components import v1, v2
from precommit_hooks.hooks.check_components import placeholders  # noqa: F401
from precommit_hooks.hooks.check_components import compose  # noqa: F401
from precommit_hooks.hooks.check_components import project, requirements  # noqa
from precommit_hooks.hooks.check_components import loader
from precommit_hooks.hooks.check_components.model import HOOK, Component, Context

is_project_folder = project.is_project_folder
kfp_verdict = loader.kfp_verdict


def read_component(ctx: Context, documents: list) -> Component | None:
    """The file's component for the rules, or None (with a finding) if none."""
    spec = documents[0] if documents else None
    if not isinstance(spec, dict):
        got = "nothing" if not documents else yamldata.type_name(spec)
        ctx.add(
            None if spec is None else getattr(spec, "pos", None),
            "component-type",
            "a component file holds a mapping (name, inputs, outputs, "
            f"implementation), got {got}",
        )
        return None
    if "implementation" not in spec and v2.is_v2(spec):
        return v2.view(spec)
    impl_key = v1.implementation_key(spec)
    if impl_key is not None:
        return v1.view(spec, impl_key)
    return Component(spec, "unknown")


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
    component = read_component(ctx, loaded.documents)
    if component is None:
        return ctx.found
    component.documents, component.text = loaded.documents, loaded.text
    for each in rules_of(HOOK):
        each.check(ctx, component)
    return ctx.found


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
