"""README.md stays short; docs/ documents every hook id and dsp subcommand.

Each hook has its own section in docs/hooks.md, with options that exist and a
`files` pattern that fits the files it is meant for.
"""

from __future__ import annotations

import re
import sys

import pytest
import yaml
from tests.support.paths import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 has tomli instead
    import tomli as tomllib

REPO = REPO_ROOT
MANIFEST = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
HOOKS = {hook["id"]: hook for hook in MANIFEST}
README = (REPO / "README.md").read_text()
DOCS = REPO / "docs"
HOOKS_PAGE = (DOCS / "hooks.md").read_text()
README_MAX_BYTES = 12 * 1024

# What each file hook is meant for, and look-alikes it must leave alone.
MEANT_FOR = {
    "check-profiles": (
        ["profiles.yaml", "profiles.yml", "team/profiles.yaml", "a b/profiles.yaml"],
        [
            "profiles.json",
            "my-profiles.yaml",
            "profiles.yaml.bak",
            "profiles/team.yaml",
            "docs/profiles.md",
        ],
    ),
    "check-components": (
        [
            "component.yaml",
            "component.yml",
            "workflows/components/lakefs-download-file/component.yaml",
        ],
        [
            "components.yaml",
            "my_component.yaml",
            "component.yaml.j2",
            "component.json",
            "workflows/components/x/Dockerfile",
        ],
    ),
    "check-pipelines": (
        [
            "workflows/iris_pipeline.py",
            "workflows/sub/train_pipeline.py",
            "project/workflows/example_pipeline.py",
        ],
        [
            "iris_pipeline.py",
            "workflows/pipeline_utils.py",
            "workflows/iris_pipeline.yaml",
            "src/workflows_pipeline.py",
            "tests/test_pipeline.py",
        ],
    ),
    "check-serving": (
        ["serving/inference-service.yaml", "sub/serving/isvc.yml"],
        ["serving.yaml", "serving/README.md", "workflows/serving.py"],
    ),
    "check-tekton": (
        [
            ".tekton/triggers.yaml",
            ".tekton/commit-ci.yml",
            "sub/.tekton/run-pipeline.yaml",
            ".tekton/tasks/build.yaml",
        ],
        [
            ".tekton/README.md",
            "tekton/triggers.yaml",
            "x.tekton/triggers.yaml",
            ".github/workflows/ci.yaml",
            ".tekton/triggers.yaml.orig",
        ],
    ),
}


def hooks_section() -> str:
    return HOOKS_PAGE


def subsection(hook_id: str) -> str:
    match = re.search(
        rf"\n## {re.escape(hook_id)}\n(.*?)(?=\n## |\Z)", HOOKS_PAGE, re.S
    )
    assert match, f"docs/hooks.md has no '## {hook_id}' heading"
    return match.group(1)


def all_docs() -> str:
    return "\n".join(page.read_text() for page in sorted(DOCS.glob("*.md")))


def test_readme_is_what_a_newcomer_reads_in_five_minutes():
    size = len(README.encode("utf-8"))
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes: move detail to docs/"
    assert "bash .ci/run" in README
    assert "cookiecutter --no-input --output-dir .. ." in README
    for link in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (REPO / link).is_file(), f"README.md links to missing {link}"


@pytest.mark.parametrize("hook_id", sorted(HOOKS))
def test_every_hook_id_is_in_the_readme_table_and_docs(hook_id):
    assert f"`{hook_id}`" in README
    assert f"- id: {hook_id}" in README
    assert f"## {hook_id}" in HOOKS_PAGE


def test_every_dsp_subcommand_is_documented_in_docs():
    from precommit_hooks.cli import COMMANDS

    text = all_docs()
    missing = [name for name in COMMANDS if f"dsp {name}" not in text]
    assert not missing, f"docs/ never shows `dsp <name>` for {missing}"


def test_docs_pages_link_to_pages_that_exist():
    for page in DOCS.glob("*.md"):
        for link in re.findall(r"\]\(([a-z0-9-]+\.md)", page.read_text()):
            assert (DOCS / link).is_file(), f"{page.name} links to missing {link}"


def test_manifest_ids_match_console_scripts():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    for hook_id, hook in HOOKS.items():
        assert hook["entry"] in scripts, hook_id
        assert hook["language"] == "python"


@pytest.mark.parametrize("hook_id", sorted(HOOKS))
def test_every_hook_id_is_documented_under_its_own_heading(hook_id):
    text = subsection(hook_id)
    assert len(text.split()) > 60, f"the {hook_id} section says too little"
    assert "Options" in text, f"the {hook_id} section lists no options"
    # The .pre-commit-config.yaml lines for an existing repository.
    assert f"- id: {hook_id}" in text or f"- id: {hook_id}" in hooks_section()


def test_config_example_lists_every_hook_with_repo_and_rev():
    blocks = re.findall(r"```yaml\n(.*?)```", hooks_section(), re.S)
    configs = [yaml.safe_load(b) for b in blocks if b.lstrip().startswith("repos:")]
    assert configs, "no .pre-commit-config.yaml example in docs/hooks.md"
    (repo,) = configs[0]["repos"]
    assert repo["repo"].startswith("https://") and repo["rev"]
    assert {h["id"] for h in repo["hooks"]} == set(HOOKS)


def test_every_yaml_example_in_the_section_parses():
    for block in re.findall(r"```yaml\n(.*?)```", hooks_section(), re.S):
        yaml.safe_load(block)


@pytest.mark.parametrize("hook_id", sorted(MEANT_FOR))
def test_files_pattern_matches_what_it_is_meant_for(hook_id):
    pattern = re.compile(HOOKS[hook_id]["files"])
    meant, not_meant = MEANT_FOR[hook_id]
    for path in meant:
        assert pattern.search(path), f"{hook_id} should run on {path}"
    for path in not_meant:
        assert not pattern.search(path), f"{hook_id} should not run on {path}"


def test_documented_options_exist():
    """Every --option named in a subsection is accepted by that hook's parser."""
    import contextlib
    import importlib
    import io

    modules = {
        "check-profiles": "precommit_hooks.hooks.check_profiles",
        "check-components": "precommit_hooks.hooks.check_components",
        "check-pipelines": "precommit_hooks.hooks.check_pipelines",
        "check-tekton": "precommit_hooks.hooks.check_tekton",
        "model-regression": "precommit_hooks.hooks.model_regression",
        "check-serving": "precommit_hooks.hooks.check_serving",
    }
    for hook_id, module_name in modules.items():
        module = importlib.import_module(module_name)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            module.main(["--help"])
        help_text = out.getvalue()
        for option in set(re.findall(r"`(--[a-z-]+)", subsection(hook_id))):
            assert option in help_text, f"{hook_id} documents {option}: not an option"


def test_model_regression_manifest_is_a_pre_push_hook():
    hook = HOOKS["model-regression"]
    assert hook["stages"] == ["pre-push"]
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is True and hook["require_serial"] is True


def test_check_tekton_section_links_to_its_generated_rules():
    from precommit_hooks.core.rules import rules_of
    from precommit_hooks.hooks.check_tekton import rules  # registers them

    assert "(rules.md#check-tekton)" in subsection("check-tekton")
    page = (REPO / "docs" / "rules.md").read_text()
    ids = {r.id for r in rules_of("check-tekton")}
    assert ids == {r.id for r in rules.all_rules()}
    assert len(ids) >= 16
    for rule_id in ids:
        assert f"| `{rule_id}` |" in page, rule_id
