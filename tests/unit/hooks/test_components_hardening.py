"""check-components with hostile inputs: one line each, bounded work."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from precommit_hooks import cli
from precommit_hooks.hooks.check_components import check_component, main

COMPOSE = "services:\n  tool:\n    image: registry.example.com/tool:${TAG:-dev}\n"


def _project(tmp_path: Path, image: str = "registry.example.com/tool:2.0.0") -> Path:
    folder = tmp_path / "repo" / "workflows" / "components" / "tool"
    (folder / "src").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    (folder / "src" / "run.py").write_text("print('run')\n")
    (folder / "Dockerfile").write_text("FROM python:3.11\nCOPY src/ /app/src/\n")
    (folder.parent / "docker-compose.yaml").write_text(COMPOSE)
    component = folder / "component.yaml"
    component.write_text(
        "name: Tool\nimplementation:\n  container:\n"
        f"    image: {image}\n    command: [python, /app/src/run.py]\n"
    )
    return component


def _requirements(component: Path, text: str) -> Path:
    path = component.parent / "requirements.txt"
    path.write_text(text)
    return path


def _run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


@pytest.mark.parametrize(
    "line", ["foo bar baz", "requests==2.*,,", "name @ ", "x[ ==1", "==1.0"]
)
def test_an_invalid_requirement_is_one_line(tmp_path, capsys, line):
    component = _project(tmp_path)
    _requirements(component, f"requests==2.32.3\n{line}\n")
    code, out = _run(capsys, str(component))
    assert code == 1
    assert len(out) == 1, out
    assert ":2:1: error: requirement" in out[0] and "cannot be parsed (" in out[0]


@pytest.mark.parametrize(
    "line,shown",
    [
        ("--index-url https://pypi.example.com/simple", "--index-url https://pypi"),
        ("--index-url=https://pypi.example.com/simple", "--index-url https://pypi"),
        ("--extra-index-url https://u:s3cret@mirror.example.com/simple", "***@"),
        ("-i https://pypi.example.com/simple", "-i https://pypi"),
        ("-ihttps://tok3n@pypi.example.com/simple", "-i https://***@pypi"),
    ],
)
def test_a_package_index_in_requirements_is_reported(tmp_path, capsys, line, shown):
    component = _project(tmp_path)
    _requirements(component, f"requests==2.32.3\n{line}\n")
    code, out = _run(capsys, str(component))
    assert code == 1 and len(out) == 1, out
    assert out[0].endswith("[component-package-index]") and ":2:1:" in out[0]
    assert shown in out[0] and "PIP_INDEX_URL" in out[0]
    assert "s3cret" not in out[0] and "tok3n" not in out[0]


def test_other_pip_options_are_not_an_index(tmp_path):
    component = _project(tmp_path)
    _requirements(component, "--no-binary :all:\n--prefer-binary\nrequests==2.32.3\n")
    assert check_component(str(component)) == []


def test_a_huge_requirements_file_is_refused_before_reading(tmp_path, capsys):
    component = _project(tmp_path)
    huge = _requirements(component, "")
    with open(huge, "wb") as handle:
        handle.truncate(4 << 30)  # 4 GiB, sparse: reading it would take minutes
    tracemalloc.start()
    start = time.monotonic()
    code, out = _run(capsys, str(component))
    elapsed = time.monotonic() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert code == 1 and len(out) == 1, out
    assert f"{huge}:0:0: error:" in out[0] and "[file-too-large]" in out[0]
    assert "raise --max-bytes" in out[0]
    assert elapsed < 2 and peak < 200 << 20, (elapsed, peak)


def test_the_max_bytes_hint_names_an_option_check_components_has(tmp_path, capsys):
    component = _project(tmp_path)
    _requirements(component, "requests==2.32.3\n" * 200)
    code, out = _run(capsys, "--max-bytes", "1000", str(component))
    assert code == 1 and "raise --max-bytes" in out[0]
    code, out = _run(capsys, "--max-bytes", "100000", str(component))
    assert code == 0 and out == []


def test_special_and_binary_requirements_files_are_one_line(tmp_path, capsys):
    component = _project(tmp_path)
    fifo = component.parent / "requirements.txt"
    os.mkfifo(fifo)
    code, out = _run(capsys, str(component))
    assert code == 1 and len(out) == 1 and "not a regular file" in out[0]
    fifo.unlink()
    fifo.write_bytes(b"requests==2.32.3\n\x00\x01")
    code, out = _run(capsys, str(component))
    assert code == 1 and len(out) == 1 and "[binary-file]" in out[0]


@pytest.mark.parametrize(
    "image,why",
    [
        ('"python 3.11"', "contains white space"),
        ("Python:3.11", "upper case in its repository name 'Python'"),
        ("registry.example.com/Team/tool:1", "'team'"),
        ("python:-1", "invalid tag '-1'"),
        ("python@sha256:abc", "invalid digest"),
    ],
)
@pytest.mark.parametrize("in_project", [True, False])
def test_invalid_image_references_are_errors_not_no_tag(
    tmp_path, capsys, image, why, in_project
):
    component = _project(tmp_path, image)
    args = [str(component)] if in_project else ["--no-project-rules", str(component)]
    code, out = _run(capsys, *args)
    assert code == 1, out
    assert len(out) == 1, out
    assert out[0].endswith("[component-image]") and why in out[0]
    assert ":4:12: error: image" in out[0]


def test_bump_image_tag_has_the_max_bytes_its_hint_names(tmp_path, capsys):
    component = _project(tmp_path)
    component.write_text(component.read_text() + "#" * 3000 + "\n")
    code = cli.main(
        ["bump-image-tag", "--tag", "t1", "--max-bytes", "1000", str(component)]
    )
    err = capsys.readouterr().err
    assert code == 1 and "raise --max-bytes" in err and err.count("\n") == 1
    code = cli.main(
        ["bump-image-tag", "--tag", "t1", "--max-bytes", "9000", str(component)]
    )
    assert code == 0 and "tool:t1" in component.read_text()


def test_pipeline_run_never_hints_at_a_max_bytes_it_does_not_have(tmp_path, capsys):
    package = tmp_path / "pipeline.yaml"
    with open(package, "wb") as handle:
        handle.truncate(65 << 20)
    code = cli.main(
        ["pipeline", "run", "--host", "http://127.0.0.1:9", "--package", str(package)]
        + ["--run-name", "r"]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "64 MiB" in err and "--max-bytes" not in err
