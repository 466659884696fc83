"""`dsp pipeline local` on a small project of our own: real kfp compile, real processes.

The project has two v1 container components: `make` runs its component.yaml
command, `shout` relies on its Dockerfile's ENTRYPOINT; `shout` is built from
the project root (a compose build context two folders up), like the
template's train component.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from precommit_hooks import cli
from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp.local import run
from precommit_hooks.kfp.local.command import absolute_interpreter

PIPELINE = """\
from pathlib import Path

from kfp import components, dsl

HERE = Path(__file__).resolve().parent / "components"
make = components.load_component_from_file(str(HERE / "make" / "component.yaml"))
shout = components.load_component_from_file(str(HERE / "shout" / "component.yaml"))


@dsl.pipeline(name="tiny")
def tiny(word: str = "hello", times: int = 2, scale: float = 1.0):
    made = make(word=word, times=times, scale=scale, mode="fixed")
    shout(text=made.outputs["text"], size=made.outputs["size"])
"""

LIGHTWEIGHT = """\
from kfp import dsl


@dsl.component(base_image="python:3.11-slim")
def add(x: int) -> int:
    return x + 1


@dsl.pipeline(name="light")
def light(x: int = 1):
    add(x=x)
"""

MAKE_COMPONENT = """\
name: make
inputs:
  - {name: word, type: String}
  - {name: times, type: Integer}
  - {name: scale, type: Float}
  - {name: mode, type: String}
outputs:
  - {name: text, type: Data}
  - {name: size, type: Integer}
implementation:
  container:
    image: registry.local:5000/tiny/make:0.1.0
    command: [python, /app/make.py]
    args: [--word, {inputValue: word}, --times, {inputValue: times},
           --scale, {inputValue: scale}, --mode, {inputValue: mode},
           --out, {outputPath: text}, --size, {outputPath: size}]
"""

MAKE = """\
import argparse, os, pathlib
p = argparse.ArgumentParser()
for name in ("--word", "--times", "--scale", "--mode", "--out", "--size"):
    p.add_argument(name)
a = p.parse_args()
pathlib.Path(a.out).write_text(
    f"{os.environ['GREETING']} {a.word * int(a.times)} {a.scale} {a.mode}"
    f" {os.path.basename(os.getcwd())}"
)
if a.word != "nosize":
    pathlib.Path(a.size).write_text(f"{len(a.word) * int(a.times)}\\n")
print("made", a.out)
"""

SHOUT_COMPONENT = """\
name: shout
inputs:
  - {name: text, type: Data}
  - {name: size, type: Integer}
outputs:
  - {name: loud, type: Data}
implementation:
  container:
    image: registry.local:5000/tiny/shout:0.1.0
    args: [{inputPath: text}, {outputPath: loud}, {inputValue: size}]
"""

SHOUT = """\
import sys, pathlib
import shouting
text = pathlib.Path(sys.argv[1]).read_text()
if "fail" in text:
    print("first line")
    print("cannot shout", text, file=sys.stderr)
    sys.exit(3)
pathlib.Path(sys.argv[2]).write_text(shouting.loud(text) + f" ({sys.argv[3]})")
"""

COMPOSE = """\
services:
  make:
    image: registry.local:5000/tiny/make:0.1.0
    build: make
  shout:
    image: registry.local:5000/tiny/shout:0.1.0
    build:
      context: ../..
      dockerfile: workflows/components/shout/Dockerfile
"""

FILES = {
    "workflows/tiny_pipeline.py": PIPELINE,
    "workflows/components/docker-compose.yaml": COMPOSE,
    "workflows/components/make/component.yaml": MAKE_COMPONENT,
    "workflows/components/make/make.py": MAKE,
    "workflows/components/make/Dockerfile": (
        "FROM python:3.11-slim\nWORKDIR /app\nENV GREETING=hi\n"
        "COPY make.py /app/make.py\n"
    ),
    "workflows/components/shout/component.yaml": SHOUT_COMPONENT,
    "workflows/components/shout/shout.py": SHOUT,
    "workflows/components/shout/Dockerfile": (
        "FROM python:3.11-slim\nWORKDIR /srv\n"
        "COPY pyproject.toml /build/\nCOPY src /build/src\n"
        "RUN pip install --no-deps /build && rm -rf /build\n"
        "COPY workflows/components/shout/shout.py /srv/\n"
        'ENTRYPOINT ["python3", "/srv/shout.py"]\n'
    ),
    "pyproject.toml": (
        '[project]\nname = "shouting"\nversion = "0.1"\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    ),
    "src/shouting/__init__.py": "def loud(text):\n    return text.upper() + '!'\n",
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name, content in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    return tmp_path


def dsp_local(*extra: str) -> int:
    argv = ["pipeline", "local", "workflows/tiny_pipeline.py"]
    return cli.main([*argv, "--python", sys.executable, *extra])


def test_runs_every_step_in_order_with_files_as_artifacts(project, capsys):
    assert dsp_local("--arg", "scale=0.5", "--arg", "word=ab") == 0
    out = capsys.readouterr().out
    run = project / ".pipeline-local" / "latest"
    # make: parameters as the launcher writes them, the image's ENV and WORKDIR
    assert (run / "make" / "text").read_text() == "hi abab 0.5 fixed app"
    # shout: ENTRYPOINT, the project package installed from the root context,
    # make's integer output parameter read from its file ("4\n") and passed as 4
    assert (run / "shout" / "loud").read_text() == "HI ABAB 0.5 FIXED APP! (4)"
    assert "[make] made " in out and "$ " + sys.executable in out
    assert "shout  loud    .pipeline-local/" in out
    record = json.loads((run / "run.json").read_text())
    assert record["arguments"] == {"word": "ab", "times": 2, "scale": 0.5}
    assert [step["task"] for step in record["steps"]] == ["make", "shout"]
    assert (run / "pipeline.yaml").read_text().startswith("# PIPELINE DEFINITION")
    assert (run / "make" / "log.txt").read_text().startswith("made ")
    assert not (run / "images" / "shout" / "build").exists()


def test_default_float_is_written_as_the_launcher_writes_it(project, capsys):
    assert dsp_local() == 0
    run = project / ".pipeline-local" / "latest"
    assert (run / "make" / "text").read_text() == "hi hellohello 1 fixed app"


def test_a_failing_step_stops_the_run_with_its_name_and_last_lines(project, capsys):
    assert dsp_local("--arg", "word=fail") == 1
    captured = capsys.readouterr()
    run = os.readlink(project / ".pipeline-local" / "latest")
    assert captured.err == (
        "dsp pipeline: step 'shout' failed (exit 3): first line | cannot shout hi "
        f"failfail 1 fixed app (full log: .pipeline-local/{run}/shout/log.txt)\n"
    )
    assert not (project / ".pipeline-local" / run / "shout" / "loud").exists()


@pytest.mark.parametrize(
    "extra,expected",
    [
        (
            ["--arg", "tmes=3"],
            "unknown parameter 'tmes': workflows/tiny_pipeline.py has the inputs "
            "scale, times, word",
        ),
        (["--arg", "times"], "--arg 'times' is not NAME=VALUE (e.g. C=0.5)"),
        (
            ["--arg", "times=two"],
            "parameter 'times' (integer) must be an integer (a whole number)",
        ),
        (["--arg", "word=file:///no/such.csv"], "no data file at /no/such.csv"),
        (["--arg", "word=file://data.csv"], "is not file:///absolute/path"),
        (
            ["--set", "mkae.mode=x"],
            "--set mkae.mode: no step 'mkae' (did you mean 'make'?)",
        ),
        (["--set", "make.mood=x"], "step 'make' has no parameter 'mood'"),
        (["--compose", "nope.yaml"], "--compose nope.yaml: no such file"),
        (
            ["--skip", "shuot"],
            "--skip shuot: workflows/tiny_pipeline.py has no step 'shuot' "
            "(did you mean 'shout'?)",
        ),
        (["--python", "/no/python3"], "--python /no/python3: no such interpreter"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(project, capsys, extra, expected):
    assert dsp_local(*extra) == 1
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1, err
    assert not (project / ".pipeline-local").exists()


def test_skip_leaves_out_the_step_and_the_steps_after_it(project, capsys):
    assert dsp_local("--skip", "shout") == 0
    run = project / ".pipeline-local" / "latest"
    assert (run / "make" / "text").is_file()
    assert not (run / "shout").exists()
    assert "1 steps" in capsys.readouterr().out
    # make feeds shout: skipping make leaves nothing to run
    assert dsp_local("--skip", "make") == 1
    assert "has no steps to run" in capsys.readouterr().err


def test_set_replaces_a_constant_input(project, capsys):
    assert dsp_local("--set", "make.mode=tuned") == 0
    run = project / ".pipeline-local" / "latest"
    assert (run / "make" / "text").read_text() == "hi hellohello 1 tuned app"


@pytest.mark.parametrize(
    "name,content,expected",
    [
        (
            "workflows/components/make/Dockerfile",
            "FROM python AS b\nFROM python\nCOPY --from=b /x /app/\n",
            "workflows/components/make/Dockerfile:2: a multi-stage build",
        ),
        (
            "workflows/components/make/Dockerfile",
            "FROM python\nCOPY maker.py /app/make.py\n",
            "COPY maker.py: no such file in the build context",
        ),
        (
            "workflows/components/shout/Dockerfile",
            'FROM python\nENTRYPOINT ["/usr/bin/no-such-program"]\n',
            "step 'shout' runs '/usr/bin/no-such-program', which is neither in its",
        ),
        (
            "workflows/components/docker-compose.yaml",
            COMPOSE.replace("tiny/make", "tiny/maker"),
            "step 'make' runs the image registry.local:5000/tiny/make:0.1.0, which no",
        ),
        ("workflows/tiny_pipeline.py", "import nothing_here\n", "does not compile"),
        (
            "workflows/tiny_pipeline.py",
            LIGHTWEIGHT,
            "step 'add' is a lightweight Python component (@dsl.component)",
        ),
        (
            "workflows/components/make/Dockerfile",
            b"FROM python\nLABEL x=\xff\n",
            "workflows/components/make/Dockerfile is not UTF-8 text",
        ),
        (
            "workflows/components/make/Dockerfile",
            None,
            "cannot read workflows/components/make/Dockerfile, the Dockerfile of "
            "service 'make': No such file or directory",
        ),
        (
            "workflows/components/docker-compose.yaml",
            None,
            "no docker-compose.yaml in workflows/components; pass --compose FILE",
        ),
    ],
)
def test_what_the_mapper_cannot_map_is_refused(
    project, capsys, name, content, expected
):
    if content is None:
        (project / name).unlink()
    elif isinstance(content, bytes):
        (project / name).write_bytes(content)
    else:
        (project / name).write_text(content)
    assert dsp_local() == 1
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1, err
    assert not (project / ".pipeline-local").exists()


def test_a_missing_pipeline_file_is_one_line(project, capsys):
    assert cli.main(["pipeline", "local", "workflows/none.py"]) == 1
    assert capsys.readouterr().err == (
        "dsp pipeline: pipeline file workflows/none.py not found\n"
    )


@pytest.mark.parametrize(
    "kind,text,value",
    [
        ("STRING", "a b\n", "a b\n"),
        ("NUMBER_INTEGER", "4\n", 4),
        ("NUMBER_DOUBLE", "0.25", 0.25),
        ("BOOLEAN", "true", True),
        ("LIST", "[1, 2]", [1, 2]),
        ("STRUCT", '{"a": 1}', {"a": 1}),
    ],
)
def test_output_parameters_are_read_as_their_type(kind, text, value):
    assert run.output_value("make", "size", kind, text) == value


@pytest.mark.parametrize(
    "kind,text",
    [
        ("NUMBER_INTEGER", "4.5"),
        ("NUMBER_DOUBLE", "many"),
        ("BOOLEAN", "yes"),
        ("LIST", '{"a": 1}'),
        ("STRUCT", "[1]"),
    ],
)
def test_an_output_parameter_of_the_wrong_type_is_refused(kind, text):
    with pytest.raises(Refusal) as refused:
        run.output_value("make", "size", kind, text)
    assert str(refused.value) == (
        f"step 'make' wrote {text!r} as its output 'size', which is not a "
        f"{kind.lower()}"
    )


def test_notes_name_system_steps_secrets_and_requirements(project, capsys, monkeypatch):
    from tests.unit.kfp.test_local_spec import SECRET_PIPELINE

    (project / "workflows/tiny_pipeline.py").write_text(SECRET_PIPELINE)
    dockerfile = project / "workflows/components/make/Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text()
        + "RUN apt-get install -y curl\n"
        + "RUN pip install pytest no-such-distribution-xyz==1.0\n"
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    assert dsp_local() == 0
    notes = capsys.readouterr().err.splitlines()
    assert notes == [
        "note: workflows/components/make/Dockerfile:5: not run locally: "
        "RUN apt-get install -y curl",
        "note: make installs no-such-distribution-xyz==1.0, missing in "
        f"{sys.executable}; pip install them if the step needs them",
        "note: step 'make' reads AWS_ACCESS_KEY_ID from the secret lake on the "
        "cluster; here from your shell, where they are not set (export them if "
        "the step needs them)",
    ]


def test_requirements_at_other_versions_are_one_note_per_image():
    from precommit_hooks.kfp.local.environment import requirement_notes

    notes = requirement_notes(
        sys.executable,
        {"train": ["pytest==0.0.1", "pytest>=1", "git+https://example.com/x.git"]},
    )
    assert len(notes) == 1
    assert notes[0].startswith("train pins pytest==0.0.1 (has ")
    with pytest.raises(Refusal, match="cannot run the interpreter /no/python"):
        requirement_notes("/no/python", {"train": ["pytest"]})


def test_a_step_that_leaves_an_output_unwritten_stops_the_run(project, capsys):
    assert dsp_local("--arg", "word=nosize") == 1
    run_id = os.readlink(project / ".pipeline-local" / "latest")
    assert capsys.readouterr().err == (
        "dsp pipeline: step 'make' ended without writing its output parameter "
        f"'size' (expected at .pipeline-local/{run_id}/make/size)\n"
    )
    assert not (project / ".pipeline-local" / run_id / "shout").exists()


def test_image_env_paths_are_mapped_into_the_staged_image(tmp_path, monkeypatch):
    from precommit_hooks.kfp.local.dockerfile import ImageLayout
    from precommit_hooks.kfp.local.image import StagedImage
    from precommit_hooks.kfp.local.spec import TaskSpec

    (tmp_path / "app" / "repo").mkdir(parents=True)
    layout = ImageLayout(
        "Dockerfile", env={"REPO": "/app/repo", "ELSEWHERE": "/opt/x", "WORD": "hi"}
    )
    image = StagedImage(str(tmp_path), layout)
    task = TaskSpec("t", "c", "i", [], [], env={"STEP_REPO": "/app/repo"})
    monkeypatch.setenv("SHELL_PATH", "/app/repo")  # the user's own: left alone
    env = run.step_env(task, image)
    assert env["REPO"] == env["STEP_REPO"] == str(tmp_path / "app" / "repo")
    assert (env["ELSEWHERE"], env["WORD"]) == ("/opt/x", "hi")
    assert env["SHELL_PATH"] == "/app/repo"
    assert env["PYTHONPATH"] == str(tmp_path / ".site")


def test_the_interpreter_is_made_absolute_without_leaving_its_venv(
    tmp_path, monkeypatch
):
    """The steps run in other folders: `.venv/bin/python` must still name it,
    and a venv's link to the base Python must not be followed."""
    link = tmp_path / ".venv" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    assert absolute_interpreter(".venv/bin/python") == str(link)
    assert absolute_interpreter("sh") == shutil.which("sh")
