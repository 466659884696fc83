"""The one image-reference parser (precommit_hooks.core.images) and its users."""

from __future__ import annotations

from pathlib import Path

import pytest

from precommit_hooks import cli
from precommit_hooks.core.images import (
    ImageRef,
    ImageRefError,
    expand_compose,
    parse_compose_image,
    parse_image,
)

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "text,repository,tag,digest,domain",
    [
        ("python", "python", None, None, None),
        ("python:3.11-slim", "python", "3.11-slim", None, None),
        ("reg:5000/team/tool", "reg:5000/team/tool", None, None, "reg:5000"),
        ("reg:5000/team/tool:1.2", "reg:5000/team/tool", "1.2", None, "reg:5000"),
        (f"a/b@{DIGEST}", "a/b", None, DIGEST, None),
        (f"a/b:1@{DIGEST}", "a/b", "1", DIGEST, None),
        ("localhost/x__y.z-w:v", "localhost/x__y.z-w", "v", None, "localhost"),
        ("Registry.IO/team/x:1", "Registry.IO/team/x", "1", None, "Registry.IO"),
    ],
)
def test_references_are_split_like_docker(text, repository, tag, digest, domain):
    ref = parse_image(text)
    assert (ref.repository, ref.tag, ref.digest, ref.domain) == (
        repository,
        tag,
        digest,
        domain,
    )
    assert str(ref) == text
    assert ref.with_tag("t9") == f"{repository}:t9"


@pytest.mark.parametrize(
    "text,why",
    [
        ("", "is empty"),
        ("python 3.11", "white space"),
        ("python\t", "white space"),
        ("Python:3.11", "upper case in its repository name 'Python'"),
        ("registry.io/Team/x:1", "'team'"),
        ("a/b:-x", "invalid tag '-x'"),
        ("a/b:" + "x" * 129, "invalid tag"),
        ("a/b@sha256:ab", "64 hex digits"),
        ("a/b@sha256:" + "AB" * 32, "64 lowercase hex"),
        ("a/b@", "invalid digest"),
        ("a/b@md5", "invalid digest"),
        ("a//b", "invalid repository name component ''"),
        ("a/b_:1", "'b_'"),
        (":1", "no repository name"),
        ("bad_host:5000/x", "invalid registry host"),
        ("a/" + "b" * 300, "longer than 255"),
    ],
)
def test_invalid_references_say_why_in_one_line(text, why):
    with pytest.raises(ImageRefError) as caught:
        parse_image(text)
    assert why in str(caught.value) and "\n" not in str(caught.value)


def test_compose_variables_are_expanded(monkeypatch):
    monkeypatch.delenv("REGISTRY", raising=False)
    value = "${REGISTRY:-registry.example.com/team}/train:${TAG:-1.0.0}"
    assert expand_compose(value) == "registry.example.com/team/train:1.0.0"
    monkeypatch.setenv("REGISTRY", "reg.local:5000")
    assert parse_compose_image(value) == ImageRef("reg.local:5000/train", "1.0.0", None)


COMPONENT = "implementation:\n  container:\n    image: {image}\n"


@pytest.mark.parametrize("image", ['"python 3.11"', "Python:3.11"])
def test_bump_refuses_an_invalid_image_in_one_line(tmp_path: Path, capsys, image):
    path = tmp_path / "component.yaml"
    path.write_text(COMPONENT.format(image=image))
    code = cli.main(["bump-image-tag", "--tag", "t1", str(path)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert f"{path}:3: image" in err and err.count("\n") == 1, err
    assert path.read_text() == COMPONENT.format(image=image)


def test_bump_with_compose_matches_the_expanded_image(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("REGISTRY", raising=False)
    compose = tmp_path / "docker-compose.yaml"
    compose.write_text(
        "services:\n  train:\n    build: .\n"
        "    image: ${REGISTRY:-registry.example.com/team}/train:${TAG:-1.0.0}\n"
    )
    path = tmp_path / "component.yaml"
    path.write_text(COMPONENT.format(image="registry.example.com/team/train:1.0.0"))
    code = cli.main(
        ["bump-image-tag", "--tag", "b-1", "--compose", str(compose), str(path)]
    )
    assert code == 0
    assert "registry.example.com/team/train:b-1" in path.read_text()


def test_bump_refuses_an_invalid_compose_image(tmp_path: Path, capsys):
    compose = tmp_path / "docker-compose.yaml"
    compose.write_text("services:\n  train:\n    build: .\n    image: Train:1\n")
    path = tmp_path / "component.yaml"
    path.write_text(COMPONENT.format(image="train:1"))
    code = cli.main(
        ["bump-image-tag", "--tag", "b-1", "--compose", str(compose), str(path)]
    )
    err = capsys.readouterr().err
    assert code == 1 and "Train:1" in err and err.count("\n") == 1, err
