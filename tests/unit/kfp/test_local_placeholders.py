"""Placeholders filled as the KFP launcher fills them; compose services to images."""

from __future__ import annotations

import json

import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp.local import compose
from precommit_hooks.kfp.local.placeholders import Bindings, as_text, command_line


@pytest.mark.parametrize(
    "value,text",
    [
        (1.0, "1"),  # Go's FormatFloat(v, 'f', -1, 64), as PbValueToText
        (0.5, "0.5"),
        (200, "200"),
        (1e-7, "0.0000001"),
        (1e21, "1000000000000000000000"),
        (-0.0, "0"),
        (True, "true"),
        (False, "false"),
        ("lakefs://r/main/x.csv", "lakefs://r/main/x.csv"),
        ([1, "a"], '[1,"a"]'),
        ({"k": [1]}, '{"k":[1]}'),
        (None, ""),
    ],
)
def test_values_as_the_launcher_writes_them(value, text):
    assert as_text(value) == text


def bindings() -> Bindings:
    return Bindings(
        task="train",
        parameters={"C": 1.0, "seed": 7, "name": "iris"},
        input_paths={"data": "/run/download/file"},
        output_paths={"model": "/run/train/model"},
        parameter_files={"best": "/run/train/best"},
        job={"pipeline_job_name": "run-1", "pipeline_task_name": "train"},
    )


def test_inputs_outputs_and_job_names_are_filled():
    words = [
        "python",
        "/app/train.py",
        "--C",
        "{{$.inputs.parameters['C']}}",
        "--data={{$.inputs.artifacts['data'].path}}",
        "{{$.outputs.artifacts['model'].path}}",
        "{{$.outputs.parameters['best'].output_file}}",
        "{{$.pipeline_job_name}}/{{$.pipeline_task_name}}",
    ]
    assert command_line(words, bindings()) == [
        "python",
        "/app/train.py",
        "--C",
        "1",
        "--data=/run/download/file",
        "/run/train/model",
        "/run/train/best",
        "run-1/train",
    ]


def test_if_present_and_concat_structures():
    words = [
        '{"IfPresent": {"InputName": "seed", "Then": ["--seed", '
        "\"{{$.inputs.parameters['seed']}}\"]}}",
        '{"IfPresent": {"InputName": "absent", "Then": ["--absent"], '
        '"Else": ["--default"]}}',
        '{"IfPresent": {"InputName": "absent", "Then": ["--absent"]}}',
        '{"Concat": ["name=", "{{$.inputs.parameters[\'name\']}}"]}',
    ]
    assert command_line(words, bindings()) == [
        "--seed",
        "7",
        "--default",
        "name=iris",
    ]


def test_executor_input_names_paths_values_and_the_output_file():
    bound = bindings()
    bound.output_file = "/run/train/executor_output.json"
    (word,) = command_line(["{{$}}"], bound)
    executor = json.loads(word)
    assert executor["outputs"]["outputFile"] == "/run/train/executor_output.json"
    for name, path in bound.output_paths.items():
        (artifact,) = executor["outputs"]["artifacts"][name]["artifacts"]
        assert artifact["uri"] == path
    assert executor["inputs"]["parameterValues"] == bound.parameters


@pytest.mark.parametrize(
    "word",
    [
        "{{$.inputs.parameters['unknown']}}",
        "{{$.inputs.artifacts['data'].metadata}}",
        "{{$.workspace_path}}",
    ],
)
def test_a_placeholder_without_a_local_value_is_refused(word):
    with pytest.raises(Refusal, match=r"step 'train': the placeholder .* no local"):
        command_line([word], bindings())


@pytest.mark.parametrize(
    "image,repository",
    [
        ("harbor.example.com/dsp/x:0.1.0", "harbor.example.com/dsp/x"),
        ("localhost:5000/team/x:1", "localhost:5000/team/x"),
        ("localhost:5000/team/x", "localhost:5000/team/x"),
        ("x@sha256:" + "a" * 64, "x"),
        ("x:main-abc1234@sha256:" + "a" * 64, "x"),
    ],
)
def test_repository_drops_tag_and_digest(image, repository):
    assert compose.repository(image) == repository


COMPOSE = """\
services:
  download:
    image: "localhost:5000/team/download:0.1.0"
    build: download
  train:
    image: localhost:5000/team/train:0.1.0
    build:
      context: ../..
      dockerfile: workflows/components/train/Dockerfile
      args: ["PYTHON=3.12"]
  database:
    image: postgres:16
"""


def test_compose_services_give_context_dockerfile_and_args(tmp_path):
    folder = tmp_path / "workflows" / "components"
    folder.mkdir(parents=True)
    (folder / "docker-compose.yaml").write_text(COMPOSE)
    path = compose.find_compose(str(folder))
    builds = compose.read_builds(path)
    assert [b.service for b in builds] == ["download", "train"]  # no build: skipped
    download, train = builds
    assert download.context == str(folder / "download")
    assert download.dockerfile == str(folder / "download" / "Dockerfile")
    assert train.context == str(tmp_path)
    assert train.dockerfile == str(folder / "train" / "Dockerfile")
    assert train.args == {"PYTHON": "3.12"}
    # component.yaml images are retagged by CI: any tag of the repository matches
    found = compose.build_for(
        "localhost:5000/team/train:main-abc1234", builds, path, "t"
    )
    assert found is train
    with pytest.raises(Refusal) as refused:
        compose.build_for("localhost:5000/team/trian:1", builds, path, "train-model")
    assert str(refused.value) == (
        "step 'train-model' runs the image localhost:5000/team/trian:1, which no "
        f"service of {path} builds (did you mean 'localhost:5000/team/train'?); add a "
        "service with that image and its build context"
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("services: []\n", "has no 'services:' mapping"),
        ("services:\n  a:\n    build: .\n", "service 'a' builds an image without"),
        ("services:\n  a:\n    build: [1]\n    image: x\n", "neither a context path"),
        ("services: {a: 1\n", "cannot read"),
    ],
)
def test_compose_files_that_cannot_be_read(tmp_path, text, expected):
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    with pytest.raises(Refusal, match=expected):
        compose.read_builds(str(path))
