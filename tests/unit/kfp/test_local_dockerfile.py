"""Dockerfiles read as the steps that put code in an image, and those steps played."""

from __future__ import annotations

import importlib.metadata
import os

import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp.local.dockerfile import read_layout
from precommit_hooks.kfp.local.image import ignored, stage

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG PYTHON=3.11
FROM python:${PYTHON}-slim
ARG APP=/srv/app
WORKDIR $APP
ENV MPLBACKEND=Agg MODE="fast lane"
ENV LEGACY value with spaces
COPY requirements.txt ./
RUN apt-get update && pip install --no-cache-dir -r requirements.txt \\
    && pip install gunicorn==22.0
COPY pyproject.toml README.md /build/
COPY src /build/src
RUN pip install --no-cache-dir --no-deps /build && rm -rf /build
COPY ["bin/run.py", "tools/"]
WORKDIR sub
ENTRYPOINT ["python", "/srv/app/tools/run.py"]
CMD --verbose
"""


def layout(text: str = DOCKERFILE, **args: str):
    return read_layout("Dockerfile", text, args)


def test_reads_the_steps_that_shape_the_image():
    found = layout()
    assert found.base == "python:3.11-slim"
    assert found.workdir == "/srv/app/sub"
    assert found.env == {
        "MPLBACKEND": "Agg",
        "MODE": "fast lane",
        "LEGACY": "value with spaces",
    }
    assert found.entrypoint == ["python", "/srv/app/tools/run.py"]
    assert found.cmd == ["/bin/sh", "-c", "--verbose"]
    steps = [(s.kind, s.target, s.sources, s.text) for s in found.steps]
    assert steps == [
        ("copy", "/srv/app/", ("requirements.txt",), ""),
        ("skip", "", (), "apt-get update"),
        ("requirements", "/srv/app/requirements.txt", (), ""),
        ("requirements", "", ("gunicorn==22.0",), ""),
        ("copy", "/build/", ("pyproject.toml", "README.md"), ""),
        ("copy", "/build/src", ("src",), ""),
        ("install", "/build", (), ""),
        ("remove", "/build", (), ""),
        ("copy", "/srv/app/tools/", ("bin/run.py",), ""),
    ]
    assert found.steps[1].line == 9  # a continued instruction keeps its first line


def test_build_args_from_compose_override_defaults():
    assert layout(PYTHON="3.13").base == "python:3.13-slim"


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "FROM python AS build\nFROM python\n",
            "Dockerfile:2: a multi-stage build",
        ),
        (
            "FROM python\nCOPY --from=build /x /y\n",
            "Dockerfile:2: COPY --from copies from another image",
        ),
        (
            "FROM python\nADD https://example.com/a.py /app/\n",
            "Dockerfile:2: ADD https://example.com/a.py fetches or unpacks",
        ),
        ("FROM python\nADD code.tar.gz /app/\n", "ADD code.tar.gz fetches or unpacks"),
        ("FROM python\nCOPY onlyone\n", "COPY needs a source and a destination"),
        ("FROM python\nCOPPY a /b\n", "unknown Dockerfile instruction 'COPPY'"),
        ("FROM python\nENV A\n", None),
        ("WORKDIR /app\n", "Dockerfile: no FROM line"),
        ("FROM python\nRUN echo 'unclosed\n", "Dockerfile:2: cannot read"),
    ],
)
def test_what_cannot_be_mapped_is_refused_with_its_line(text, expected):
    if expected is None:  # ENV NAME alone is the legacy form with an empty value
        assert layout(text).env == {"A": ""}
        return
    with pytest.raises(Refusal) as refused:
        layout(text)
    assert expected in str(refused.value)


def write(root, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


PROJECT = {
    "requirements.txt": "# pinned\nnumpy==2.1.3\n--index-url https://x\nscipy\n",
    "pyproject.toml": (
        '[project]\nname = "iris-lab"\nversion = "1.2.0"\n'
        'description = "Iris"\nauthors = [{name = "Ada", email = "ada@x.org"}]\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    ),
    "README.md": "readme\n",
    "src/iris_lab/__init__.py": "VALUE = 7\n",
    "src/iris_lab/__pycache__/x.pyc": "stale\n",
    "src/iris_lab/notes.tmp": "left out\n",
    "bin/run.py": "print('run')\n",
    ".dockerignore": "**/__pycache__/\n*.md\n!README.md\nsrc/**/*.tmp\n",
}


def test_staging_plays_the_steps_into_a_folder(tmp_path):
    context = tmp_path / "context"
    write(context, PROJECT)
    staged = stage(layout(), str(context), str(tmp_path / "image"))
    image = tmp_path / "image"
    assert (image / "srv/app/requirements.txt").is_file()
    assert (image / "srv/app/tools/run.py").read_text() == "print('run')\n"
    assert (image / "srv/app/sub").is_dir()  # the WORKDIR exists, as in the image
    assert not (image / "build").exists()  # `rm -rf /build` ran after the install
    assert (image / ".site/iris_lab/__init__.py").read_text() == "VALUE = 7\n"
    assert not (image / ".site/iris_lab/__pycache__").exists()  # .dockerignore
    assert not (image / ".site/iris_lab/notes.tmp").exists()
    assert staged.requirements == ["numpy==2.1.3", "scipy", "gunicorn==22.0"]
    assert staged.notes == ["Dockerfile:9: not run locally: RUN apt-get update"]
    assert staged.path("/srv/app/tools/run.py") == str(image / "srv/app/tools/run.py")
    # importlib.metadata finds the project as pip would have installed it.
    (dist,) = importlib.metadata.distributions(path=[staged.site])
    assert dist.metadata["Name"] == "iris-lab" and dist.version == "1.2.0"
    assert dist.metadata["Author-email"] == "Ada <ada@x.org>"
    assert dist.metadata["Summary"] == "Iris"


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "FROM python\nCOPY missing.py /app/\n",
            "Dockerfile:2: COPY missing.py: no such file in the build context",
        ),
        ("FROM python\nCOPY ../secret /app/\n", "COPY ../secret leaves the build"),
        (
            "FROM python\nRUN pip install -r /app/req.txt\n",
            "Dockerfile:2: pip install -r /app/req.txt: the file is not in the image",
        ),
        (
            "FROM python\nCOPY bin /b\nRUN pip install /b\n",
            "pip install /b: no readable pyproject.toml there",
        ),
    ],
)
def test_staging_refuses_what_the_context_lacks(tmp_path, text, expected):
    context = tmp_path / "context"
    write(context, PROJECT)
    (tmp_path / "secret").write_text("x")
    with pytest.raises(Refusal) as refused:
        stage(layout(text), str(context), str(tmp_path / "image"))
    assert expected in str(refused.value)


@pytest.mark.parametrize(
    "path,patterns,expected",
    [
        ("build/x.py", ["build"], True),
        ("src/build/x.py", ["build"], False),
        ("src/a/__pycache__/x.pyc", ["**/__pycache__"], True),
        ("README.md", ["*.md", "!README.md"], False),
        ("docs/a.md", ["*.md"], False),  # `*` stays in one folder
        (".coverage.1", [".coverage*"], True),
    ],
)
def test_dockerignore_patterns(path, patterns, expected):
    assert ignored(path, patterns) is expected


def test_glob_sources_copy_into_the_folder(tmp_path):
    context = tmp_path / "context"
    write(context, {"a.py": "a", "b.py": "b", "c.txt": "c"})
    stage(layout("FROM python\nCOPY *.py /app/\n"), str(context), str(tmp_path / "i"))
    assert sorted(os.listdir(tmp_path / "i" / "app")) == ["a.py", "b.py"]


def test_a_project_installed_with_extras_brings_their_requirements(tmp_path):
    context = tmp_path / "context"
    extras = '[project.optional-dependencies]\nfeatures = ["feast>=0.40,<1", "s3fs"]\n'
    write(context, {**PROJECT, "pyproject.toml": PROJECT["pyproject.toml"] + extras})
    text = (
        "FROM python\nCOPY pyproject.toml /build/\nCOPY src /build/src\n"
        'RUN pip install "/build[features, nope]" && rm -rf /build\n'
    )
    found = layout(text)
    assert [(s.kind, s.target, s.sources) for s in found.steps][2] == (
        "install",
        "/build",
        ("features", "nope"),
    )
    staged = stage(found, str(context), str(tmp_path / "image"))
    assert (tmp_path / "image/.site/iris_lab/__init__.py").is_file()
    assert staged.requirements == ["feast>=0.40,<1", "s3fs"]
    assert staged.notes == [
        "Dockerfile:4: pip install /build[nope]: the project has no extra 'nope' "
        "in pyproject.toml; nothing installed for it"
    ]
