"""The IR fields a local run reads, from kfp's real compiler, and IR shapes refused.

The first test pins what `dsp pipeline local` relies on: if a kfp release
changes the placeholders or the task wiring it compiles, it fails here.
"""

from __future__ import annotations

import copy

import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp.local.plan import compile_ir
from precommit_hooks.kfp.local.spec import read_tasks
from tests.unit.kfp.test_local_run import FILES

SECRET_PIPELINE = (
    FILES["workflows/tiny_pipeline.py"]
    .replace(
        "from kfp import components, dsl",
        "from kfp import components, dsl, kubernetes",
    )
    .replace(
        '    made = make(word=word, times=times, scale=scale, mode="fixed")\n',
        '    made = make(word=word, times=times, scale=scale, mode="fixed")\n'
        "    kubernetes.use_secret_as_env(made, secret_name='lake', "
        "secret_key_to_env={'key': 'AWS_ACCESS_KEY_ID'})\n",
    )
)


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    root = tmp_path_factory.mktemp("spec")
    for name, content in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    (root / "workflows/tiny_pipeline.py").write_text(SECRET_PIPELINE)
    _, found = compile_ir(str(root / "workflows/tiny_pipeline.py"))
    return found


def test_the_compiled_ir_gives_steps_wiring_and_placeholders(documents):
    make, shout = read_tasks("tiny.py", documents)
    assert (make.name, shout.name) == ("make", "shout")
    assert shout.depends == {"make"}
    assert make.image == "registry.local:5000/tiny/make:0.1.0"
    assert make.command == ["python", "/app/make.py"]
    assert make.args == [
        "--word",
        "{{$.inputs.parameters['word']}}",
        "--times",
        "{{$.inputs.parameters['times']}}",
        "--scale",
        "{{$.inputs.parameters['scale']}}",
        "--mode",
        "{{$.inputs.parameters['mode']}}",
        "--out",
        "{{$.outputs.artifacts['text'].path}}",
        "--size",
        "{{$.outputs.parameters['size'].output_file}}",
    ]
    assert make.parameters["word"] == {"componentInputParameter": "word"}
    assert make.parameters["mode"] == {"runtimeValue": {"constant": "fixed"}}
    assert make.output_artifacts == ["text"]
    assert make.secret_env == {"AWS_ACCESS_KEY_ID": "lake/key"}
    assert shout.command == []  # the image's ENTRYPOINT runs
    assert shout.args == [
        "{{$.inputs.artifacts['text'].path}}",
        "{{$.outputs.artifacts['loud'].path}}",
        "{{$.inputs.parameters['size']}}",
    ]
    assert make.args[-1] == "{{$.outputs.parameters['size'].output_file}}"
    assert make.output_parameters == {"size": "NUMBER_INTEGER"}
    assert shout.parameters["size"] == {
        "taskOutputParameter": {"outputParameterKey": "size", "producerTask": "make"}
    }
    assert shout.artifacts["text"] == {
        "taskOutputArtifact": {"outputArtifactKey": "text", "producerTask": "make"}
    }
    assert documents[0]["schemaVersion"].startswith("2.1.")


def changed(documents, change) -> list:
    edited = copy.deepcopy([dict(d) for d in documents])
    change(edited[0])
    return edited


@pytest.mark.parametrize(
    "change,expected",
    [
        (
            lambda s: s.update(schemaVersion="3.0.0"),
            "compiled to IR schema 3.0.0; local runs read schema 2.1.x",
        ),
        (
            lambda s: s["root"]["dag"]["tasks"]["shout"].update(
                triggerPolicy={"condition": "x"}
            ),
            "step 'shout' runs under a dsl.If/Condition or a loop",
        ),
        (
            lambda s: s["components"]["comp-shout"].update(dag={"tasks": {}}),
            "step 'shout' is a nested pipeline",
        ),
        (
            lambda s: s["root"]["dag"]["tasks"]["make"].update(
                dependentTasks=["shout"]
            ),
            "depend on each other",
        ),
        (
            lambda s: s["deploymentSpec"]["executors"]["exec-make"].update(
                container={}
            ),
            "step 'make' is not a container step",
        ),
        (
            lambda s: s["deploymentSpec"]["executors"]["exec-make"]["container"].update(
                command=["sh", "-c", "python3 -m kfp.dsl.executor_main"]
            ),
            r"step 'make' is a lightweight Python component \(@dsl.component\); run "
            r"those with kfp's own runner \(kfp.local\)",
        ),
    ],
)
def test_ir_shapes_a_local_run_cannot_follow(documents, change, expected):
    with pytest.raises(Refusal, match=expected):
        read_tasks("tiny.py", changed(documents, change))
