"""``dsp bump-image-tag``: only the image changes, and a file is never half-written."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from precommit_hooks import cli

from precommit_hooks.kfp import images

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Refusal

COMPONENT = """\
# Download a file: comments, order and quoting must survive CI's bump.
name: Download file   # trailing comment
inputs:
- {name: url, type: String}

implementation:
  container:
    # the image CI builds from ./Dockerfile
    image: "registry.example.com/team/download:0.1.0"   # pinned by CI
    command: [python, /app/download.py, {inputValue: url}]
"""


def dsp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_bump_changes_only_the_image_characters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "component.yaml"
    path.write_text(COMPONENT)
    code, out, err = dsp(capsys, "bump-image-tag", "--tag", "main-abcdef1", str(path))
    assert (code, err) == (0, "")
    after = path.read_text()
    assert after == COMPONENT.replace(":0.1.0", ":main-abcdef1")
    assert json.loads(out) == {
        "tag": "main-abcdef1",
        "changed": [
            {
                "file": str(path),
                "from": "registry.example.com/team/download:0.1.0",
                "to": "registry.example.com/team/download:main-abcdef1",
            }
        ],
        "unchanged": [],
        "skipped": [],
    }


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    image: reg/x:1\n", "    image: reg/x:new\n"),
        ("    image: 'reg/x:1'  # c\n", "    image: 'reg/x:new'  # c\n"),
        ('    image: "reg/x"\n', '    image: "reg/x:new"\n'),
        ("    image: reg:5000/x\n", "    image: reg:5000/x:new\n"),
        ("    image: reg/x@sha256:" + "a" * 64 + "\n", "    image: reg/x:new\n"),
        ("    image:   reg/x:1   \n", "    image:   reg/x:new   \n"),
    ],
)
def test_quoting_and_spacing_are_kept(tmp_path: Path, line: str, expected: str) -> None:
    head = "name: c\nimplementation:\n  container:\n"
    path = tmp_path / "component.yaml"
    path.write_text(head + line + "    command: [x]\n")
    images.bump_files([str(path)], "new")
    assert path.read_text() == head + expected + "    command: [x]\n"


def test_flow_mapping_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "component.yaml"
    text = "name: c\r\nimplementation: {container: {image: reg/x:1, command: [x]}}\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    images.bump_files([str(path)], "t2")
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.replace(":1,", ":t2,").encode()


def test_compiled_v2_component_bumps_every_executor(tmp_path: Path) -> None:
    path = tmp_path / "component.yaml"
    path.write_text(
        "components: {}\n"
        "deploymentSpec:\n"
        "  executors:\n"
        "    exec-a:\n"
        "      container:\n"
        "        image: reg/a:1\n"
        "    exec-b:\n"
        "      container:\n"
        "        image: reg/b:1\n"
        "root: {}\n"
    )
    report = images.bump_files([str(path)], "v2")
    assert [c["to"] for c in report["changed"]] == ["reg/a:v2", "reg/b:v2"]
    data = yamlio.load(str(path)).documents[0]
    assert data["deploymentSpec"]["executors"]["exec-b"]["container"]["image"] == (
        "reg/b:v2"
    )


def test_compose_limits_the_bump_to_images_it_builds(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yaml"
    compose.write_text(
        "services:\n"
        "  ours:\n    image: reg/ours:0.1.0\n    build: {context: ours}\n"
        "  db:\n    image: postgres:16\n"
    )
    ours, theirs = tmp_path / "ours.yaml", tmp_path / "theirs.yaml"
    ours.write_text("implementation:\n  container:\n    image: reg/ours:0.1.0\n")
    theirs.write_text("implementation:\n  container:\n    image: postgres:16\n")
    report = images.bump_files([str(ours), str(theirs)], "b-1234567", str(compose))
    assert report["changed"][0]["to"] == "reg/ours:b-1234567"
    assert report["skipped"] == [{"file": str(theirs), "image": "postgres:16"}]
    assert theirs.read_text().endswith("postgres:16\n")


def test_already_at_the_tag_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "component.yaml"
    path.write_text("implementation:\n  container:\n    image: reg/x:t\n")
    before = path.stat().st_mtime_ns
    report = images.bump_files([str(path)], "t")
    assert report["unchanged"] == [str(path)] and report["changed"] == []
    assert path.stat().st_mtime_ns == before


def test_file_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "component.yaml"
    path.write_text("implementation:\n  container:\n    image: reg/x:1\n")
    path.chmod(0o640)
    images.bump_files([str(path)], "2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("services:\n  a: {image: x:1, build: .}\n", "not a KFP component"),
        ("profiles:\n  name: x\n", "not a KFP component"),
        ("- a\n- b\n", "not a mapping"),
        ("", "not a mapping"),
        (
            "name: c\nimplementation:\n  graph: {}\n",
            "no implementation.container.image",
        ),
        ("implementation:\n  container:\n    image: [a]\n", "not an image reference"),
        ("implementation:\n  container:\n    image: a b\n", "not an image reference"),
        (
            "implementation:\n  container:\n    image: |\n      reg/x:1\n",
            "not an image",
        ),
        ("implementation:\n  container:\n    image: |-\n      reg/x:1\n", "block"),
        ("implementation:\n  container:\n    image: !!str reg/x:1\n", "tagged"),
        ("a: &x reg/x:1\nimplementation:\n  container:\n    image: *x\n", "alias"),
        ("implementation:\n  container:\n    image: a\n    image: b\n", "duplicate"),
        ("implementation: [\n", "invalid YAML"),
        ("implementation: true\n", "no implementation.container.image"),
        ("implementation: x\n", "no implementation.container.image"),
        ("deploymentSpec: [1]\n", "no implementation.container.image"),
        ("implementation:\n\tcontainer: 1\n", "tab"),
    ],
)
def test_files_that_are_not_components_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(text)
    code, out, err = dsp(capsys, "bump-image-tag", "--tag", "t", str(path))
    assert code == 1 and out == ""
    assert reason in err and err.count("\n") == 1, err
    assert path.read_text() == text


@pytest.mark.parametrize("tag", ["", "-x", ".x", "a:b", "a/b", "x" * 129, "a b"])
def test_invalid_tags_are_refused(tmp_path: Path, tag: str) -> None:
    path = tmp_path / "component.yaml"
    path.write_text(COMPONENT)
    with pytest.raises(Refusal, match="not a valid image tag"):
        images.bump_files([str(path)], tag)
    assert path.read_text() == COMPONENT


def test_one_bad_file_means_no_file_is_written(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(COMPONENT)
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: {}\n")
    with pytest.raises(Refusal):
        images.bump_files([str(good), str(bad)], "t")
    assert good.read_text() == COMPONENT


def test_missing_and_binary_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(Refusal, match="not found"):
        images.bump_files([str(tmp_path / "nope.yaml")], "t")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x00\x01")
    with pytest.raises(Refusal, match="binary"):
        images.bump_files([str(binary)], "t")
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_text(COMPONENT, encoding="utf-16")
    with pytest.raises(Refusal, match="UTF-8"):
        images.bump_files([str(utf16)], "t")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "component.yaml"
    path.write_text(COMPONENT)

    def crash(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        images.bump_files([str(path)], "t")
    assert path.read_text() == COMPONENT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["component.yaml"]


def test_every_corpus_component_keeps_everything_but_its_image(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All 264 real component files: each bump changes image lines only."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # speed, not content
    files = sorted((corpus / "kfp-components").rglob("*.yaml"))
    assert len(files) == 264
    bumped = refused = 0
    for number, source in enumerate(files):
        path = tmp_path / f"{number}.yaml"
        shutil.copyfile(source, path)
        before = path.read_text(encoding="utf-8")
        try:
            report = images.bump_files([str(path)], "ci-1234567")
        except Refusal as exc:
            refused += 1
            assert str(path) in str(exc)
            assert path.read_text(encoding="utf-8") == before
            continue
        bumped += 1
        after = path.read_text(encoding="utf-8")
        for line in changed_lines(before, after):
            assert "image" in line, (source, line)
        assert all(c["to"].endswith(":ci-1234567") for c in report["changed"])
        assert sorted(os.listdir(tmp_path)) == sorted(
            f"{n}.yaml" for n in range(number + 1)
        )
    # the corpus's components all name a container image, except graph components
    assert bumped >= 250, (bumped, refused)
