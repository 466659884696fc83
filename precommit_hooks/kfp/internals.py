"""The one door to kfp's private API: every use of it goes through here.

What we rely on that kfp does not promise to keep:

* the steps of ``kfp.components.load_component_from_file`` (its
  ``ComponentSpec.from_yaml_documents``), replayed on documents our guarded
  reader already parsed, and its nested ``extract_description``;
* ``typing.get_type_hints`` as looked up by ``kfp.dsl.v1_modelbase`` (we
  memoise it: the hints of a class never change within a process);
* ``kfp.dsl.utils.sanitize_input_name``, kfp's own name sanitiser;
* ``kfp.dsl.graph_component.GraphComponent``, to find a file's pipeline;
* ``kfp.Client._upload_api``, the generated upload API (it can set a
  DNS-safe ``name`` apart from the display name; ``upload_pipeline`` cannot).

:func:`missing` lists what a kfp upgrade moved; the tests assert it is empty,
and each accessor raises :class:`KfpInternalsError` (one line naming the kfp
version and the attribute) that the callers turn into a one-line refusal.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

TESTED_WITH = "2.17.3"

# module -> attributes (dotted within the module) that must exist
REQUIRED: dict[str, tuple[str, ...]] = {
    "kfp.dsl.structures": (
        "ComponentSpec.from_v1_component_spec",
        "ComponentSpec.from_ir_dicts",
        "ComponentSpec.from_yaml_documents",
    ),
    "kfp.dsl.v1_structures": ("ComponentSpec.from_dict",),
    "kfp.dsl.yaml_component": ("YamlComponent",),
    "kfp.dsl.v1_modelbase": ("get_type_hints",),
    "kfp.dsl.utils": ("sanitize_input_name",),
    "kfp.dsl.graph_component": ("GraphComponent",),
}
# Attributes of a kfp.Client instance (made per connection, so checked there).
CLIENT_REQUIRED = (
    "_upload_api.upload_pipeline",
    "_upload_api.upload_pipeline_version",
)


class KfpInternalsError(RuntimeError):
    """kfp no longer has a private attribute we rely on; the text says which."""


def kfp_version() -> str:
    """The installed kfp's version, or why there is none."""
    try:
        return importlib.import_module("kfp").__version__
    except Exception:  # noqa: BLE001 - any import failure means "not usable"
        return "(not importable)"


def _moved(name: str) -> KfpInternalsError:
    return KfpInternalsError(
        f"kfp {kfp_version()} has no {name}, which precommit_hooks/kfp/internals.py "
        f"relies on (tested with kfp {TESTED_WITH}); install kfp=={TESTED_WITH} "
        "or update internals.py"
    )


def _resolve(root: Any, dotted: str, shown: str) -> Any:
    value = root
    for part in dotted.split("."):
        if not hasattr(value, part):
            raise _moved(shown)
        value = getattr(value, part)
    return value


def require(module: str, dotted: str) -> Any:
    """``module.dotted``, or :class:`KfpInternalsError` naming what moved."""
    try:
        root = importlib.import_module(module)
    except ImportError:
        raise _moved(module) from None
    return _resolve(root, dotted, f"{module}.{dotted}")


def missing() -> list[str]:
    """Every required module attribute the installed kfp does not have."""
    gone = []
    for module, names in REQUIRED.items():
        for dotted in names:
            try:
                require(module, dotted)
            except KfpInternalsError:
                gone.append(f"{module}.{dotted}")
    return gone


@lru_cache(maxsize=None)
def memoise_type_hints() -> None:
    """Memoise ``typing.get_type_hints`` inside kfp's v1 model parser.

    kfp re-evaluates the type hints of its classes for every node of every
    component (two thirds of a check's time); caching them keeps kfp's
    verdict and halves the hook's time on a large repository.
    """
    module: Any = importlib.import_module("kfp.dsl.v1_modelbase")
    original = require("kfp.dsl.v1_modelbase", "get_type_hints")
    if not hasattr(original, "cache_info"):
        module.get_type_hints = lru_cache(maxsize=None)(original)


def load_component(documents: list, text: str) -> Any:
    """Load a component as ``kfp.components.load_component_from_file`` does.

    Same steps as kfp's ``ComponentSpec.from_yaml_documents`` and
    ``YamlComponent``, on the documents we already parsed. Raises what kfp
    raises for a component it rejects, :class:`KfpInternalsError` when kfp
    moved a step.
    """
    from_v1 = require("kfp.dsl.structures", "ComponentSpec.from_v1_component_spec")
    from_ir = require("kfp.dsl.structures", "ComponentSpec.from_ir_dicts")
    v1_from_dict = require("kfp.dsl.v1_structures", "ComponentSpec.from_dict")
    yaml_component = require("kfp.dsl.yaml_component", "YamlComponent")
    memoise_type_hints()
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
        spec = from_v1(v1_from_dict(spec_dict))
    else:
        spec = from_ir(spec_dict, platform)
        if not spec.description:
            spec.description = ir_description(text)
    return yaml_component(component_spec=spec, component_yaml=text)


def ir_description(component_yaml: str) -> str | None:
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


def sanitize_input_name(name: str) -> str:
    """kfp's own sanitiser of input and output names."""
    return require("kfp.dsl.utils", "sanitize_input_name")(name)


def graph_component_class() -> type:
    """kfp's ``GraphComponent``: what ``@dsl.pipeline`` makes."""
    return require("kfp.dsl.graph_component", "GraphComponent")


def upload_api(client: Any) -> Any:
    """``client._upload_api``, the generated upload API of a ``kfp.Client``."""
    for dotted in CLIENT_REQUIRED:
        _resolve(client, dotted, f"kfp.Client.{dotted}")
    return client._upload_api
