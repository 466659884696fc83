"""Bake every option combination: exact file set, no leftover Jinja, all parses.

Cheap (no installs): the full gates of a generated project are in
test_template_gates.py. Each bake prints its answers, so a failing combination
can be reproduced with `cookiecutter --no-input . key=value ...`.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support.paths import REPO_ROOT, TEMPLATE_SLUG_DIR
from tests.support.template import bake

LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# Every generated file but the optional ones (LICENSE, .github/, .tekton/).
BASE_FILES = {
    ".dockerignore",
    ".flake8",
    ".gitignore",
    ".pre-commit-config.yaml",
    "Makefile",
    "README.md",
    "profiles.yaml",
    "pyproject.toml",
    "Dockerfile",
    "serving/inference-service.yaml",
    "src/{pkg}/__init__.py",
    "src/{pkg}/data.py",
    "src/{pkg}/atomic.py",
    "src/{pkg}/evaluate.py",
    "src/{pkg}/markers.py",
    "src/{pkg}/ormb_format.py",
    "src/{pkg}/profile.py",
    "src/{pkg}/regression.py",
    "src/{pkg}/regression_case.schema.json",
    "src/{pkg}/run_step.py",
    "src/{pkg}/steps.py",
    "src/{pkg}/train.py",
    "tests/conftest.py",
    "tests/model/regression_cases.jsonl",
    "tests/model/test_regression_cases.py",
    "tests/test_data.py",
    "tests/test_download_component.py",
    "tests/test_evaluate.py",
    "tests/test_formats.py",
    "tests/test_pipeline.py",
    "tests/test_promote_component.py",
    "tests/test_monitor_component.py",
    "tests/test_monitoring_pipeline.py",
    "tests/test_pipeline.py",
    "tests/test_profile.py",
    "tests/test_regression.py",
    "tests/test_steps.py",
    "tests/test_train.py",
    "tests/test_train_component.py",
    "workflows/README.md",
    "workflows/iris_pipeline.py",
    "workflows/monitoring_pipeline.py",
    "workflows/components/docker-compose.yaml",
    "workflows/components/lakefs-download-file/Dockerfile",
    "workflows/components/lakefs-download-file/component.yaml",
    "workflows/components/lakefs-download-file/requirements.txt",
    "workflows/components/lakefs-download-file/src/download.py",
    "workflows/components/promote-model/Dockerfile",
    "workflows/components/promote-model/component.yaml",
    "workflows/components/promote-model/requirements.txt",
    "workflows/components/promote-model/src/promote.py",
    "workflows/components/monitor-model/Dockerfile",
    "workflows/components/monitor-model/component.yaml",
    "workflows/components/monitor-model/requirements.txt",
    "workflows/components/monitor-model/src/monitor.py",
    "workflows/components/train-ormb-component/Dockerfile",
    "workflows/components/train-ormb-component/README.md",
    "workflows/components/train-ormb-component/component.yaml",
    "workflows/components/train-ormb-component/requirements.txt",
    "workflows/components/train-ormb-component/src/train.py",
    "workflows/components/profile-data/component.yaml",
}
# Components `dsp components generate` writes: they run the package's image
# (service `steps`, the root Dockerfile), see tests/integration/test_generate.py.
GENERATED_COMPONENTS = {"profile-data"}
PACKAGE_SERVICE = "steps"


def tekton_files() -> set[str]:
    """The .tekton/ files, read from the template (their content is CI's)."""
    folder = TEMPLATE_SLUG_DIR / ".tekton"
    return {
        f".tekton/{path.relative_to(folder).as_posix()}"
        for path in folder.rglob("*")
        if path.is_file()
    }


def expected_files(answers: dict, package: str) -> set[str]:
    """The exact file set a bake with `answers` must produce."""
    files = {name.format(pkg=package) for name in BASE_FILES}
    if answers["license"] != "Proprietary":
        files.add("LICENSE")
    if answers["use_github_actions"]:
        files.add(".github/workflows/ci.yml")
    if answers["use_tekton"]:
        files |= tekton_files()
    return files


def generated_files(project: Path) -> set[str]:
    """Every file of a baked project, relative and with '/' separators."""
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file()
    }


def parse_file(path: Path) -> None:
    """Parse `path` by its kind; raise when it does not parse."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        list(yaml.safe_load_all(text))
    elif path.suffix == ".toml":
        tomllib.loads(text)
    elif path.suffix == ".json":
        json.loads(text)
    elif path.suffix == ".jsonl":
        for line in text.splitlines():
            json.loads(line)
    elif path.suffix == ".py":
        ast.parse(text, filename=str(path))


def leftover_jinja(project: Path) -> list[str]:
    """Files that still hold template syntax (GitHub's own `${{ }}` aside)."""
    found = []
    for name in sorted(generated_files(project)):
        text = (project / name).read_text(encoding="utf-8").replace("${{", "$")
        if any(marker in text for marker in ("{{", "{%", "{#")):
            found.append(name)
    return found


COMBINATIONS = [
    {
        "use_tekton": tekton,
        "use_github_actions": actions,
        "license": license_,
        # Cycled so that every Python version is baked with every option.
        "python_version": PYTHONS[index % len(PYTHONS)],
    }
    for index, (tekton, actions, license_) in enumerate(
        itertools.product((True, False), (True, False), LICENSES)
    )
]


def combination_id(answers: dict) -> str:
    return "-".join(
        [
            "tekton" if answers["use_tekton"] else "no-tekton",
            "gha" if answers["use_github_actions"] else "no-gha",
            answers["license"],
            f"py{answers['python_version']}",
        ]
    )


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_every_combination_bakes_exactly_and_parses(tmp_path, answers):
    print("answers:", json.dumps(answers, sort_keys=True))
    project = bake(tmp_path, **answers)
    assert project.name == "iris-classifier"
    assert generated_files(project) == expected_files(answers, "iris_classifier")
    assert leftover_jinja(project) == []
    for name in sorted(generated_files(project)):
        parse_file(project / name)

    version = answers["python_version"]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    # black infers its targets from requires-python: no target newer than the
    # interpreter that runs `make lint`, so no warning on every run.
    assert "target-version" not in pyproject["tool"]["black"]
    assert pyproject["project"]["requires-python"] == ">=3.10"
    expected_license = answers["license"]
    if expected_license == "Proprietary":
        expected_license = "LicenseRef-Proprietary"
        assert "license-files" not in pyproject["project"]
    else:
        assert pyproject["project"]["license-files"] == ["LICENSE"]
    assert pyproject["project"]["license"] == expected_license
    for component in ("lakefs-download-file", "train-ormb-component", "promote-model"):
        dockerfile = project / "workflows/components" / component / "Dockerfile"
        assert f"FROM python:{version}-slim" in dockerfile.read_text()

    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    ours = config["repos"][-1]
    hook_ids = [hook["id"] for hook in ours["hooks"]]
    assert ("check-tekton" in hook_ids) is answers["use_tekton"]
    assert {"check-profiles", "check-components", "check-pipelines"} <= set(hook_ids)
    assert ours["hooks"][-1] == {"id": "model-regression", "stages": ["pre-push"]}

    if answers["use_github_actions"]:
        workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
        setup = workflow["jobs"]["checks"]["steps"][1]
        assert setup["with"]["python-version"] == version
        assert "${{ github.workflow }}" in workflow["concurrency"]["group"]
    else:
        assert not (project / ".github").exists()
    if answers["license"] != "Proprietary":
        license_text = (project / "LICENSE").read_text()
        heading = {
            "MIT": "MIT License",
            "Apache-2.0": "Apache License",
            "BSD-3-Clause": "BSD 3-Clause License",
        }[answers["license"]]
        assert heading in license_text.splitlines()[0] + license_text[:200]
        assert "Ada Lovelace" in license_text
    readme = (project / "README.md").read_text()
    assert ("/run-pipeline" in readme) and (
        (".tekton/README.md" in readme) is answers["use_tekton"]
    )


def test_hooks_and_dsp_come_from_the_template_used_at_its_commit(baked_project):
    """Baked from this checkout: its path at its HEAD, everywhere dsp is installed."""
    head = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    config = yaml.safe_load((baked_project / ".pre-commit-config.yaml").read_text())
    ours = config["repos"][-1]
    assert (ours["repo"], ours["rev"]) == (str(REPO_ROOT), head)
    requirement = f"dsp-template @ git+{REPO_ROOT.as_uri()}@{head}"
    makefile = (baked_project / "Makefile").read_text()
    assert f"DSP_PACKAGE ?= {requirement}\n" in makefile
    assert "pip install '$(DSP_PACKAGE)'" in makefile
    workflow = (baked_project / ".github/workflows/ci.yml").read_text()
    assert f"python -m pip install {json.dumps(requirement)}" in workflow
    for name in ("commit-ci", "run-pipeline", "onboarding", "prune-closed-branch"):
        text = (baked_project / ".tekton" / f"{name}.yaml").read_text()
        assert f"default: {json.dumps(requirement)}" in text, name
    assert requirement in (baked_project / "README.md").read_text()


def test_explicit_hooks_answers_win(tmp_path):
    project = bake(
        tmp_path,
        hooks_repo="https://github.com/org/dsp-template.git",
        hooks_rev="v1.2.0",
    )
    ours = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert ours["repos"][-1]["repo"] == "https://github.com/org/dsp-template.git"
    assert ours["repos"][-1]["rev"] == "v1.2.0"
    first_line = (project / "profiles.yaml").read_text().splitlines()[0]
    assert first_line == (
        "# yaml-language-server: $schema=https://raw.githubusercontent.com/"
        "org/dsp-template/v1.2.0/precommit_hooks/schemas/profiles.schema.json"
    )
    makefile = (project / "Makefile").read_text()
    assert (
        "DSP_PACKAGE ?= dsp-template @ git+https://github.com/org/dsp-template.git"
        "@v1.2.0\n"
    ) in makefile


def test_the_readme_badge_is_the_real_ci_status(tmp_path, baked_project):
    readme = (baked_project / "README.md").read_text()
    badges = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert badges == ["../../actions/workflows/ci.yml/badge.svg"]
    assert "passing" not in readme and "100%25" not in readme
    plain = bake(tmp_path, use_github_actions=False)
    assert re.findall(r"!\[", (plain / "README.md").read_text()) == []


def test_make_regression_keeps_an_existing_model(baked_project, tmp_path):
    """It never retrains silently over a model trained with other settings."""
    project = tmp_path / "project"
    shutil.copytree(baked_project, project)
    (project / "artifacts").mkdir()
    (project / "artifacts" / "model.joblib").write_bytes(b"trained with C=0.5")
    python = tmp_path / "python"
    calls = tmp_path / "calls.txt"
    python.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    python.chmod(0o755)
    done = subprocess.run(
        ["make", "--no-print-directory", "regression", f"PYTHON={python}"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the existing artifacts/model.joblib" in done.stdout
    assert [c.split()[1] for c in calls.read_text().splitlines()] == [
        "iris_classifier.regression"
    ]
    (project / "artifacts" / "model.joblib").unlink()
    calls.unlink()
    done = subprocess.run(
        ["make", "--no-print-directory", "regression", f"PYTHON={python}"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert "no artifacts/model.joblib yet: training one" in done.stdout
    assert [c.split()[1] for c in calls.read_text().splitlines()] == [
        "iris_classifier.train",
        "iris_classifier.regression",
    ]


def test_default_project_follows_the_contract(baked_project):
    """The keys other parts of the platform read are where CONTRACT.md says."""
    pyproject = tomllib.loads((baked_project / "pyproject.toml").read_text())
    gate = pyproject["tool"]["dsp"]["gate"]
    assert gate["candidate"] == "artifacts/metrics.json"
    assert gate["fallback_baseline"] == "artifacts/baseline_metrics.json"
    assert gate["ties"] == "pass"
    assert gate["metrics"]["accuracy"]["greater_is_better"] is True
    regression = pyproject["tool"]["dsp"]["regression"]
    assert regression["command"][:3] == [
        "python",
        "-m",
        "iris_classifier.regression",
    ]
    assert regression["cases"] == "tests/model/regression_cases.jsonl"
    assert pyproject["tool"]["coverage"]["report"]["fail_under"] == 100
    assert "workflows/components/train-ormb-component/src" in (
        pyproject["tool"]["coverage"]["run"]["source"]
    )
    profiles = yaml.safe_load((baked_project / "profiles.yaml").read_text())
    assert profiles == {
        "profiles": {
            "name": "iris-classifier",
            "admins": ["ada@example.com"],
            "contributors": [],
        }
    }
    compose = yaml.safe_load(
        (baked_project / "workflows/components/docker-compose.yaml").read_text()
    )
    for name, service in compose["services"].items():
        if name == PACKAGE_SERVICE:
            continue
        component = yaml.safe_load(
            (
                baked_project / "workflows/components" / name / "component.yaml"
            ).read_text()
        )
        image = component["implementation"]["container"]["image"]
        assert service["image"] == image
        assert image == f"harbor.example.com/dsp/iris-classifier-{name}:0.1.0"
    for name in ("lakefs-download-file", "train-ormb-component", "promote-model"):
        requirements = (
            baked_project / "workflows/components" / name / "requirements.txt"
        )
        lines = requirements.read_text().split()
        assert lines and all("==" in line for line in lines), lines
    makefile = (baked_project / "Makefile").read_text()
    for target in ("help", "install", "lint", "format", "test", "train", "pipeline"):
        assert f"\n{target}:" in "\n" + makefile


def test_make_help_lists_every_target(baked_project):
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=baked_project,
        capture_output=True,
        text=True,
        check=True,
    )
    targets = [line.split()[0] for line in result.stdout.splitlines()]
    assert targets[:7] == ["help", "install", "lint", "format", "test", "train"] + [
        "regression"
    ]
    assert "pipeline" in targets


HOSTILE = {
    "project_name": "Café \"Quoted\" 'Single' \\Back\\slash ../x $(id) a: b #c",
    "description": "Ends in a backslash \\ with \"quotes\", '''triples''', <html> & ü",
    "author_name": 'O\'Brien "Bob" \\ Ünïcode',
    "admins": "ada@example.com,o'brien@example.com",
    "contributors": "carol@example.com , dave@example.org",
}


def test_hostile_answers_come_out_quoted_everywhere(tmp_path):
    print("answers:", json.dumps(HOSTILE, sort_keys=True))
    project = bake(tmp_path, **HOSTILE)
    assert project.name == "cafe-quoted-single-back-slash-x-id-a-b-c"
    assert leftover_jinja(project) == []
    for name in sorted(generated_files(project)):
        parse_file(project / name)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == HOSTILE["description"]
    assert pyproject["project"]["authors"] == [
        {"name": HOSTILE["author_name"], "email": "ada@example.com"}
    ]
    profiles = yaml.safe_load((project / "profiles.yaml").read_text())["profiles"]
    assert profiles["admins"] == ["ada@example.com", "o'brien@example.com"]
    assert profiles["contributors"] == ["carol@example.com", "dave@example.org"]
    component = yaml.safe_load(
        (
            project / "workflows/components/train-ormb-component/component.yaml"
        ).read_text()
    )
    assert component["metadata"]["annotations"]["author"] == HOSTILE["author_name"]
    assert f"# {HOSTILE['project_name']}\n" in (project / "README.md").read_text()
    assert HOSTILE["author_name"] in (project / "LICENSE").read_text()


def test_template_syntax_in_an_answer_is_refused_not_rendered(tmp_path):
    # Interactive answers are not rendered by cookiecutter, so the hook must stop
    # them; given on the command line cookiecutter renders them first ("49").
    from cookiecutter.exceptions import FailedHookException

    with pytest.raises(FailedHookException):
        bake(tmp_path, project_name="x", description="{% raw %}{{ 7*7 }}{% endraw %}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("use_feast", [False, True], ids=["default", "feast"])
def test_longest_names_stay_within_the_line_length(tmp_path, use_feast):
    """A 63-character slug and package still give black- and flake8-clean code."""
    project = bake(tmp_path, project_name="Iris " + "x" * 80, use_feast=use_feast)
    assert len(project.name) == 63
    package = project.name.replace("-", "_")
    assert (project / "src" / package / "train.py").is_file()
    for tool in (["black", "--check", "-q", "."], ["flake8"]):
        result = subprocess.run(
            [sys.executable, "-m", *tool], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_template_folder_is_named_by_the_slug():
    assert TEMPLATE_SLUG_DIR.is_dir()
    assert REPO_ROOT.joinpath("cookiecutter.json").is_file()


def test_members_with_github_logins_may_authorise_run_pipeline(
    tmp_path, corpus, monkeypatch, capsys
):
    """`email:login` answers become {email, github} members that dsp authorize
    accepts, admins and contributors alike; a member without a login is refused."""
    from precommit_hooks import cli
    from precommit_hooks.hooks import check_profiles

    answers = {
        "admins": "ada@example.com:ada-gh, bob@example.org",
        "contributors": "carol@example.com:Codertocat, dan@example.com",
    }
    print("answers:", json.dumps(answers, sort_keys=True))
    project = bake(tmp_path, **answers)
    path = project / "profiles.yaml"
    assert yaml.safe_load(path.read_text())["profiles"] == {
        "name": "iris-classifier",
        "admins": [{"email": "ada@example.com", "github": "ada-gh"}, "bob@example.org"],
        "contributors": [
            {"email": "carol@example.com", "github": "Codertocat"},
            "dan@example.com",
        ],
    }
    assert check_profiles.main([str(path)]) == 0  # the check-profiles hook

    event = json.loads(
        (corpus / "github-webhooks/issue_comment/created.payload.json").read_text()
    )
    assert event["comment"]["user"]["login"] == "Codertocat"
    event["issue"]["pull_request"] = {"url": event["issue"]["url"]}
    event["comment"]["body"] = "/run-pipeline iris_pipeline.py"
    monkeypatch.chdir(project)
    capsys.readouterr()  # cookiecutter's next steps

    def authorize(association: str) -> tuple[int, str, str]:
        event["comment"]["author_association"] = association
        payload = tmp_path / "event.json"
        payload.write_text(json.dumps(event))
        argv = ["authorize", "--payload", str(payload), "--profiles", str(path)]
        code = cli.main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    # A contributor with a login, an owner of the repository: authorised.
    code, out, err = authorize("OWNER")
    assert (code, err) == (0, ""), err
    assert json.loads(out)["commenter"] == "Codertocat"
    # The same person without write access to the repository: refused.
    code, out, err = authorize("CONTRIBUTOR")
    assert code == 1 and out == "" and "Codertocat" in err
    # Listed only by email (no login): refused, and told how to add the login.
    path.write_text(
        path.read_text().replace(
            '- email: "carol@example.com"\n      github: "Codertocat"',
            '- "carol@example.com"',
        )
    )
    code, out, err = authorize("OWNER")
    assert code == 1 and "not in" in err and "{email, github}" in err

    # Onboarding reads the same file: the logins change nobody's access.
    assert cli.main(["onboard", "--profiles", str(path)]) == 0
    rendered = list(yaml.safe_load_all(capsys.readouterr().out))
    users = {
        doc["metadata"]["annotations"]["user"]
        for doc in rendered
        if doc["kind"] == "RoleBinding"
    }
    assert users == {"bob@example.org", "carol@example.com", "dan@example.com"}


def dockerfile_steps(text: str) -> tuple[list[tuple[str, str]], str]:
    """The (source, destination in the image) of every COPY, and the base image.

    Line continuations are joined; a relative destination is under the WORKDIR
    in force, and one ending in '/' (or several sources) is a folder.
    """
    import posixpath

    workdir, base, copies = "/", "", []
    for line in text.replace("\\\n", " ").splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        instruction, arguments = words[0].upper(), words[1:]
        if instruction == "FROM":
            base = arguments[0]
        elif instruction == "WORKDIR":
            workdir = posixpath.join(workdir, arguments[0])
        elif instruction == "COPY":
            *sources, destination = [a for a in arguments if not a.startswith("--")]
            into = posixpath.join(workdir, destination)
            for source in sources:
                if destination.endswith("/") or len(sources) > 1:
                    copies.append((source, posixpath.join(into, Path(source).name)))
                else:
                    copies.append((source, into))
    return copies, base


def test_images_build_what_the_components_run(baked_project):
    """docker-compose contexts, Dockerfile COPY sources and component commands
    line up: every source exists in its build context (and is not ignored), and
    the script a component.yaml runs is the component's src/ file in the image."""
    import fnmatch

    components = baked_project / "workflows/components"
    compose = yaml.safe_load((components / "docker-compose.yaml").read_text())
    ignored = [
        line.rstrip("/")
        for line in (baked_project / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert (
        set(compose["services"]) - {PACKAGE_SERVICE}
        == {path.name for path in components.iterdir() if path.is_dir()}
        - GENERATED_COMPONENTS
    )
    for name, service in compose["services"].items():
        if name == PACKAGE_SERVICE:
            continue
        context = (components / service["build"]["context"]).resolve()
        dockerfile = context / service["build"].get("dockerfile", "Dockerfile")
        assert dockerfile == components / name / "Dockerfile"
        copies, base = dockerfile_steps(dockerfile.read_text())
        assert base == "python:3.11-slim"
        for source, _ in copies:
            assert (context / source).exists(), (name, source)
            if context == baked_project:  # the root's .dockerignore applies
                hits = [p for p in ignored if fnmatch.fnmatch(source, p)]
                assert not hits, (name, source, hits)
        in_image = dict((destination, source) for source, destination in copies)
        command = yaml.safe_load((components / name / "component.yaml").read_text())[
            "implementation"
        ]["container"]["command"]
        assert command[0] == "python" and len(command) == 2, command
        script = (context / in_image[command[1]]).resolve()
        assert script.parent == components / name / "src", (name, script)
        assert script.is_file()
        requirements = [s for s, d in copies if d.endswith("/requirements.txt")]
        assert [(context / s).resolve() for s in requirements] == [
            components / name / "requirements.txt"
        ]


def test_github_workflow_is_valid_and_runs_every_gate(baked_project):
    """The workflow validates against GitHub's schema (check-jsonschema's vendored
    copy, offline), caches by pyproject.toml and runs the pre-push gate too."""
    workflow_path = baked_project / ".github/workflows/ci.yml"
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
        + ["vendor.github-workflows", str(workflow_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = yaml.safe_load(workflow_path.read_text())["jobs"]["checks"]["steps"]
    assert steps[1]["with"]["cache-dependency-path"] == "pyproject.toml"
    assert steps[2]["with"]["key"] == (
        "pre-commit-${{ runner.os }}-py3.11-${{ hashFiles('.pre-commit-config.yaml') }}"
    )
    scripts = "\n".join(step.get("run", "") for step in steps)
    for command in (
        "pre-commit run --all-files",
        "--cov-fail-under=100",
        "make pipeline",
        "make train",
        "pre-commit run model-regression --hook-stage pre-push --all-files",
    ):
        assert command in scripts, command
    # The hook runs the project's interpreter, not pre-commit's (first on PATH).
    assert 'DSP_PYTHON="$(command -v python)"' in scripts


def test_make_install_keeps_an_existing_environment(baked_project, tmp_path):
    """`make install` installs into the PYTHON it is given (an existing .venv by
    default) instead of re-creating it, and installs the hooks through it."""
    project = tmp_path / "project"
    shutil.copytree(baked_project, project)
    calls = tmp_path / "calls.txt"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    python.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "install", f"PYTHON={python}"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project / ".venv").exists()
    dsp = re.search(r"^DSP_PACKAGE \?= (.+)$", (project / "Makefile").read_text(), re.M)
    assert calls.read_text().splitlines() == [
        "-m pip install --upgrade pip",
        "-m pip install -e .[dev]",
        f"-m pip install {dsp.group(1)}",
        "-m pre_commit install",
    ]


def test_dev_tools_match_the_pre_commit_revs(baked_project):
    """`make lint` (the dev extra's black and flake8) and the git hooks agree."""
    config = yaml.safe_load((baked_project / ".pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rsplit("/", 1)[-1]: repo["rev"] for repo in config["repos"]}
    assert config["default_install_hook_types"] == ["pre-commit", "pre-push"]
    pyproject = tomllib.loads((baked_project / "pyproject.toml").read_text())
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    assert f"black=={revs['black-pre-commit-mirror']}" in dev
    assert f"flake8=={revs['flake8']}" in dev


def readme_commands(text: str) -> list[str]:
    """The commands of every ```bash block, continuation lines joined."""
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.replace("\\\n", " ").splitlines()
        if line.strip() and not line.startswith("docker ")
    ]


def test_component_readme_trains_and_pushes_an_ormb_model(baked_project, tmp_path):
    """The train component README's commands, run as written (the registry host
    aside) against a real registry, push a model that pulls back intact."""
    from tests.support.servers import docker_registry

    project = tmp_path / "project"
    shutil.copytree(baked_project, project)
    readme = project / "workflows/components/train-ormb-component/README.md"
    commands = readme_commands(readme.read_text())
    assert [c.split()[1] for c in commands] == [
        "-m",
        "workflows/components/lakefs-download-file/src/download.py",
        "workflows/components/train-ormb-component/src/train.py",
        "model",
    ]
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "x"],
    ):
        subprocess.run([*git, *command], cwd=project, check=True, env=env)
    dsp = str(Path(sys.executable).with_name("dsp"))
    with docker_registry(tmp_path) as registry:
        for command in commands:
            command = command.replace("harbor.example.com/dsp", registry)
            command = re.sub(r"^python ", f"{sys.executable} ", command)
            command = re.sub(r"^dsp ", f"{dsp} ", command)
            result = subprocess.run(
                ["bash", "-c", command], cwd=project, env=env, capture_output=True,
                text=True, timeout=300,
            )  # fmt: skip
            assert result.returncode == 0, command + result.stdout + result.stderr
        pushed = json.loads(result.stdout)["reference"]
        pull = [dsp, "model", "pull", pushed, "--output", str(tmp_path / "pulled")]
        subprocess.run(pull, check=True, capture_output=True, env=env)
    model = project / "build/model/model/model.joblib"
    pulled = list((tmp_path / "pulled").rglob("model.joblib"))
    assert [path.read_bytes() for path in pulled] == [model.read_bytes()]
    record = json.loads((project / "build/data/record.json").read_text())
    assert record["source"] == "data/iris.csv" and len(record["sha256"]) == 64


@pytest.mark.parametrize("actions", [True, False])
def test_readme_claims_ci_only_when_there_is_a_workflow(tmp_path, actions):
    """Tekton's commit CI builds and uploads; it runs no tests or linters."""
    project = bake(tmp_path, use_github_actions=actions, use_tekton=True)
    readme = (project / "README.md").read_text()
    assert ("and in GitHub Actions" in readme) is actions
    assert "in CI" not in readme


SECRET_COMMAND = re.compile(
    r"kubectl -n (\S+) create secret generic (\S+) \\\n"
    r"\s+--from-literal=(\w+)=\S+ \\\n\s+--from-literal=(\w+)=\S+\n"
)


def test_compiled_pipeline_gives_the_download_step_lakefs_credentials(
    baked_project, tmp_path
):
    """`make pipeline`'s compile puts the secret-as-env wiring for the download
    step in the Kubernetes platform spec, with the secret and keys that every
    README's `kubectl create secret` command creates, and the lakeFS endpoint."""
    output = tmp_path / "iris_pipeline.yaml"
    kfp_cli = "import sys; from kfp.cli.__main__ import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", kfp_cli, "dsl", "compile"]
        + ["--py", "workflows/iris_pipeline.py", "--output", str(output)],
        cwd=baked_project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},  # shared bake: no cache
    )
    assert result.returncode == 0, result.stdout + result.stderr
    spec, platform = yaml.safe_load_all(output.read_text())
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert set(executors) == {"exec-lakefs-download-file", "exec-promote-model"}
    (secret,) = executors["exec-lakefs-download-file"]["secretAsEnv"]
    assert secret["secretName"] == "lakefs-credentials"
    assert secret["optional"] is False
    keys = {item["secretKey"]: item["envVar"] for item in secret["keyToEnv"]}
    # the names download.py and boto3 read the key pair from
    assert keys == {
        "access_key_id": "AWS_ACCESS_KEY_ID",
        "secret_access_key": "AWS_SECRET_ACCESS_KEY",
    }
    task = spec["root"]["dag"]["tasks"]["lakefs-download-file"]
    assert task["componentRef"]["name"] == "comp-lakefs-download-file"
    endpoint = task["inputs"]["parameters"]["endpoint_url"]["runtimeValue"]
    defaults = json.loads((REPO_ROOT / "cookiecutter.json").read_text())
    assert endpoint == {"constant": defaults["lakefs_endpoint"]}
    for readme in ("README.md", "workflows/README.md", ".tekton/README.md"):
        commands = SECRET_COMMAND.findall((baked_project / readme).read_text())
        lakefs = [c for c in commands if c[1] == secret["secretName"]]
        assert lakefs == [
            ("iris-classifier", secret["secretName"], *sorted(keys))
        ], readme
    # The registry login of promote-model (and monitor-model): the README's
    # kubectl line creates the secret and keys the compiled step reads.
    (login,) = executors["exec-promote-model"]["secretAsEnv"]
    login_keys = sorted(item["secretKey"] for item in login["keyToEnv"])
    for readme in ("README.md", "workflows/README.md"):
        commands = SECRET_COMMAND.findall((baked_project / readme).read_text())
        registry = [c for c in commands if c[1] == login["secretName"]]
        assert registry == [
            ("iris-classifier", login["secretName"], *login_keys)
        ], readme


@pytest.mark.parametrize("use_feast", [False, True])
def test_the_readme_names_every_make_target(tmp_path, use_feast):
    """The README's list of targets is the Makefile's (a new target shows up)."""
    project = bake(tmp_path, use_feast=use_feast)
    makefile = (project / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):.*## ", makefile, re.M)) - {"help"}
    readme = (project / "README.md").read_text()
    listed = readme.split("`make help` lists every target", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`([a-z-]+)`", listed)) == targets
    for target in sorted(targets):  # each is a rule of its own (make -n runs nothing)
        dry = subprocess.run(
            ["make", "-n", target], cwd=project, capture_output=True, text=True
        )
        assert dry.returncode == 0 and dry.stdout, (target, dry.stderr)
    recipes = subprocess.run(
        ["make", "-n", "components", "clean"], cwd=project, capture_output=True
    ).stdout.decode()
    assert recipes.splitlines()[0].endswith("dsp components generate")


def test_make_monitor_without_a_batch_says_how_to_name_one(tmp_path):
    project = bake(tmp_path)
    done = subprocess.run(
        ["make", "--no-print-directory", "monitor"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "monitor: name the batch: make monitor BATCH=<csv or jsonl file>" in (
        done.stderr
    )
