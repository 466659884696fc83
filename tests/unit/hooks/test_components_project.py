"""check-components' project-folder rules: Dockerfile, scripts, compose."""

from __future__ import annotations

from pathlib import Path

import pytest

from precommit_hooks.hooks import check_components as components
from precommit_hooks.hooks.check_components import (
    check_component,
    check_components,
    main,
)
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES / "components"
PROJECT = FIXTURES / "project" / "workflows" / "components"
PROJECT_BAD = FIXTURES / "project_bad" / "workflows" / "components"


def _rules(found, level="error"):
    return {f.rule for f in found if f.level == level}


# ------------------------------------------------------------ project rules


def test_a_well_formed_project_component_is_clean():
    assert check_component(str(PROJECT / "train" / "component.yaml")) == []


def test_project_component_rules():
    path = str(PROJECT_BAD / "train" / "component.yaml")
    found = check_component(path)
    assert _rules(found) == {
        "component-compose",
        "component-dockerfile",
        "component-image-tag",
        "component-script",
        "component-requirements",
    }
    text = "\n".join(f.text() for f in found)
    assert "':latest'; a project component pins its tag" in text
    assert "'src/missing.py'" in text
    assert "images there: registry.example.com/team/evaluate" in text
    requirements = str(PROJECT_BAD / "train" / "requirements.txt")
    unpinned = sorted(f.line for f in found if f.path == requirements)
    assert unpinned == [1, 2, 3, 4]  # requests==2.32.3 on line 5 is pinned


def test_no_project_rules_option_keeps_only_the_standalone_rules(capsys):
    path = str(PROJECT_BAD / "train" / "component.yaml")
    assert main(["--no-project-rules", path]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "error:" not in out


def _project(tmp_path: Path, dockerfile: str, command: str, compose: str) -> Path:
    folder = tmp_path / "repo" / "workflows" / "components" / "tool"
    (folder / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    (folder / "src" / "pkg" / "run.py").write_text("print('run')\n")
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "requirements.txt").write_text("requests==2.32.3\n")
    (folder.parent / "docker-compose.yaml").write_text(compose)
    component = folder / "component.yaml"
    component.write_text(
        "name: Tool\nimplementation:\n  container:\n"
        "    image: registry.example.com/tool:2.0.0\n"
        f"    command: {command}\n"
    )
    return component


COMPOSE = "services:\n  tool:\n    image: registry.example.com/tool:${TAG:-dev}\n"


@pytest.mark.parametrize(
    "dockerfile,command,ok",
    [
        ("FROM python:3.11\nCOPY src/ /app/src/\n", "[python, /app/src/pkg/run.py]", 1),
        (
            "FROM python:3.11\nCOPY src/ /app/src/\n",
            "[python, /app/src/pkg/gone.py]",
            0,
        ),
        ("FROM python:3.11\nWORKDIR /app\nCOPY . .\n", "[python, src/pkg/run.py]", 1),
        (
            "FROM python:3.11\nWORKDIR /srv\nCOPY src/pkg/run.py \\\n  /srv/run.py\n",
            "[python, run.py]",
            1,
        ),
        ("FROM python:3.11\nWORKDIR /srv\n", "[python, /usr/lib/tool.py]", 1),
        ('FROM python:3.11\nCOPY ["src", "/opt/src"]\n', "[/opt/src/x.sh]", 0),
    ],
)
def test_command_scripts_are_mapped_through_the_dockerfile(
    tmp_path, dockerfile, command, ok
):
    component = _project(tmp_path, dockerfile, command, COMPOSE)
    found = check_component(str(component))
    assert bool(ok) == (found == []), [f.text() for f in found]
    if not ok:
        assert _rules(found) == {"component-script"}


def test_compose_build_context_decides_where_copy_sources_come_from(tmp_path):
    # As in the template: the service builds from the repository root.
    dockerfile = (
        "FROM python:3.11\nCOPY workflows/components/tool/src/pkg/run.py /a.py\n"
    )
    compose = (
        "services:\n  tool:\n    image: registry.example.com/tool:1.0.0\n"
        "    build:\n      context: ../..\n"
        "      dockerfile: workflows/components/tool/Dockerfile\n"
    )
    component = _project(tmp_path, dockerfile, "[python, /a.py]", compose)
    assert check_component(str(component)) == []
    broken = dockerfile.replace("run.py", "lost.py")
    (component.parent / "Dockerfile").write_text(broken)
    assert _rules(check_component(str(component))) == {"component-script"}


def test_untagged_image_is_an_error_in_a_project(tmp_path):
    component = _project(tmp_path, "FROM python:3.11\n", "[python, -c, pass]", COMPOSE)
    component.write_text(component.read_text().replace("tool:2.0.0", "tool"))
    found = check_component(str(component))
    assert [(f.rule, f.level) for f in found] == [("component-image-tag", "error")]


def test_unreadable_compose_file_is_reported(tmp_path):
    component = _project(tmp_path, "FROM python:3.11\n", "[true]", "services: [\n")
    found = check_component(str(component))
    assert any(
        f.rule == "component-compose" and "cannot read" in f.message for f in found
    )


def test_baked_project_components_pass(baked_project):
    """The template's own components satisfy every rule, project rules included."""
    paths = sorted(baked_project.glob("workflows/components/*/component.yaml"))
    assert paths, "the generated project has no components"
    for path in paths:
        assert components.is_project_folder(str(path.parent))
    found = check_components([str(p) for p in paths])
    assert found == [], "\n".join(f.text() for f in found)
