"""kfp's private API behind one door: a kfp upgrade that moves it fails loudly."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.hooks.check_components import check_component, main
from precommit_hooks.kfp import client, internals
from tests.support.paths import FIXTURES

COMPONENTS = FIXTURES / "components"


def test_every_private_kfp_attribute_we_rely_on_is_there():
    gone = internals.missing()
    assert gone == [], (
        f"kfp {internals.kfp_version()} no longer has {', '.join(gone)}; "
        "precommit_hooks/kfp/internals.py must be updated for this kfp"
    )


def test_a_real_client_builds_the_upload_api_we_call():
    import inspect

    import kfp
    import kfp_server_api

    # kfp.Client() calls the server at once, so read what its __init__ builds.
    source = inspect.getsource(kfp.Client.__init__)
    assert "self._upload_api = kfp_server_api.PipelineUploadServiceApi(" in source, (
        f"kfp {kfp.__version__}: kfp.Client no longer builds _upload_api; "
        "update precommit_hooks/kfp/internals.py"
    )
    api = kfp_server_api.PipelineUploadServiceApi
    fake = SimpleNamespace(_upload_api=api.__new__(api))
    assert internals.upload_api(fake) is fake._upload_api


def test_a_moved_attribute_names_the_kfp_version_and_the_attribute(monkeypatch):
    import kfp.dsl.utils

    monkeypatch.delattr(kfp.dsl.utils, "sanitize_input_name")
    assert internals.missing() == ["kfp.dsl.utils.sanitize_input_name"]
    with pytest.raises(internals.KfpInternalsError) as caught:
        internals.sanitize_input_name("x")
    message = str(caught.value)
    assert f"kfp {kfp.__version__} has no kfp.dsl.utils.sanitize_input_name" in message
    assert "\n" not in message


def test_check_components_turns_a_moved_loader_into_one_line(monkeypatch, capsys):
    from kfp.dsl import structures

    monkeypatch.delattr(structures.ComponentSpec, "from_v1_component_spec")
    path = str(COMPONENTS / "valid_v1.yaml")
    found = check_component(path)
    assert [f.rule for f in found] == ["kfp-loader"]
    assert "has no kfp.dsl.structures.ComponentSpec.from_v1_component_spec" in (
        found[0].message
    )
    assert main([path]) == 1
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and "Traceback" not in out + err


def test_check_components_turns_a_moved_sanitiser_into_one_line(monkeypatch):
    import kfp.dsl.utils

    monkeypatch.delattr(kfp.dsl.utils, "sanitize_input_name")
    found = check_component(str(COMPONENTS / "name_collision.yaml"))
    moved = [f for f in found if "has no kfp.dsl.utils" in f.message]
    assert len(moved) == 1 and moved[0].rule == "component-name-collision"


def test_the_client_turns_a_moved_upload_api_into_a_refusal():
    store = client.KfpStore(SimpleNamespace())  # a kfp.Client without _upload_api
    with pytest.raises(Refusal) as caught:
        with client._kfp_errors("http://kfp", "upload the pipeline"):
            store.create_pipeline("pipeline.yaml", "iris")
    assert "has no kfp.Client._upload_api.upload_pipeline" in str(caught.value)
    assert "\n" not in str(caught.value)
