"""The generation hooks: imported as modules, and run by real cookiecutter."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

HOOKS = REPO_ROOT / "hooks"


def import_hook(name: str):
    """Import `hooks/<name>.py` unrendered, as cookiecutter's copy would run."""
    spec = importlib.util.spec_from_file_location(f"hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = import_hook("pre_gen_project")
post_gen = import_hook("post_gen_project")

GOOD = {
    "project_name": "Iris Classifier",
    "project_slug": "iris-classifier",
    "package_name": "iris_classifier",
    "description": "An iris classifier",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.com",
    "admins": "ada@example.com, bob@example.org",
    "contributors": "carol@example.com",
    "python_version": "3.11",
    "license": "MIT",
    "use_tekton": True,
    "use_github_actions": False,
    "container_registry": "harbor.example.com:5000/dsp",
    "kfp_host": "https://kubeflow.example.com/pipeline",
    "lakefs_endpoint": "http://127.0.0.1:8000",
    "lakefs_repository": "iris-data",
    "hooks_repo": "https://github.com/dsp-platform/dsp-template",
    "hooks_rev": "v0.1.0",
    "_min_cookiecutter_version": "2.6.0",
}


def test_good_answers_pass(capsys):
    assert pre_gen.check_answers(GOOD) == []
    assert pre_gen.main(GOOD, installed="2.7.1") == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("project_slug", "Iris", "not a DNS-1123 label"),
        ("project_slug", "-iris", "not a DNS-1123 label"),
        ("project_slug", "iris-", "not a DNS-1123 label"),
        ("project_slug", "a" * 64, "not a DNS-1123 label"),
        ("project_slug", "../x", "not a DNS-1123 label"),
        ("package_name", "1iris", "not a lowercase Python identifier"),
        ("package_name", "iris-classifier", "not a lowercase Python identifier"),
        ("package_name", "class", "is a Python keyword"),
        ("package_name", "match", "is a Python keyword"),
        ("package_name", "json", "would shadow"),
        ("package_name", "sklearn", "would shadow"),
        ("package_name", "test", "would shadow"),
        ("package_name", "feature_views", "would shadow"),
        ("package_name", "pandas", "would shadow"),
        ("author_email", "ada", "not an email address"),
        ("author_email", "ada@localhost", "not an email address"),
        ("author_email", "Ada <ada@example.com>", "not an email address"),
        ("author_email", "ada@@example.com", "not an email address"),
        ("author_email", "a b@example.com", "not an email address"),
        ("admins", "", "admins is empty"),
        ("admins", " , ", "admins is empty"),
        ("admins", "ada@example.com, nobody", "admins entry 'nobody'"),
        ("admins", "ada@example.com, ADA@example.com", "already listed in admins"),
        ("contributors", "ada@example.com", "already listed in admins"),
        ("contributors", "x@", "contributors entry 'x@'"),
        ("admins", "ada@example.com:-ada", "'-ada' after the ':', which is not a"),
        ("admins", "ada@example.com:ada-", "'ada-' after the ':', which is not a"),
        ("admins", "ada@example.com:a--b", "'a--b' after the ':', which is not a"),
        ("admins", "ada@example.com:a_b", "'a_b' after the ':', which is not a"),
        ("admins", "ada@example.com:", "'' after the ':', which is not a GitHub"),
        ("contributors", "c@example.com:" + "a" * 40, "which is not a GitHub login"),
        ("contributors", "c@x.io:Gh, d@x.io:gh", "login 'gh' is already given to"),
        ("contributors", "carol:carol-gh", "contributors entry 'carol:carol-gh'"),
        ("python_version", "3.9", "python_version '3.9' is not supported"),
        ("license", "GPL", "license 'GPL' is not offered"),
        ("use_tekton", "maybe", "must be yes or no"),
        ("container_registry", "Harbor.example.com", "container_registry"),
        ("container_registry", "harbor.example.com/a b", "container_registry"),
        ("kfp_host", "kubeflow.example.com", "not an http(s) URL"),
        ("kfp_host", 'https://k.example.com/"x', "not an http(s) URL"),
        ("lakefs_endpoint", "ftp://lakefs", "not an http(s) URL"),
        ("lakefs_repository", "ab", "lakefs_repository 'ab'"),
        ("lakefs_repository", "Iris", "lakefs_repository 'Iris'"),
        ("hooks_repo", "local", "not a repository pre-commit can clone"),
        ("hooks_repo", "https://x y", "not a repository pre-commit can clone"),
        ("hooks_rev", "v1 --x", "hooks_rev"),
        ("hooks_rev", "", "hooks_rev is empty: the template is not a git checkout"),
        ("author_email", "\u0430da@example.com", "mixes scripts in '\u0430da'"),
        ("author_email", "ada@ex\u0430mple.com", "Cyrillic '\u0430' (U+0430)"),
        ("author_email", "\uff41da@example.com", "type it as 'ada@example.com'"),
        ("contributors", "b\u043eb@example.com", "contributors entry 'b\u043eb@"),
        ("project_name", "  ", "project_name is empty"),
        ("project_name", "line\nbreak", "control character U+000A"),
        ("description", "tab\x7fdel", "control character U+007F"),
        ("author_name", "sep\u2028arator", "control character U+2028"),
        ("project_name", "Iris \U0001f33c", "outside the Basic Multilingual Plane"),
        ("project_name", "{{ 7*7 }}", "template marker"),
        ("description", "{% if x %}", "template marker"),
        ("author_name", 42, "must be text"),
    ],
)
def test_each_bad_answer_gets_one_line_naming_it(name, value, expected, capsys):
    answers = {**GOOD, name: value}
    problems = pre_gen.check_answers(answers)
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert pre_gen.main(answers, installed="2.7.1") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err


@pytest.mark.parametrize(
    "address", ["ada@example.com", "a.b-1@x.io", "Ada.Lovelace@Example.COM"]
)
def test_addresses_in_one_script_per_part_are_accepted(address):
    assert pre_gen.check_email("author_email", address) == ""


@pytest.mark.parametrize(
    "text", ["Café Ünïcode", 'O\'Brien "Bob" \\ back', "a: b # c", "../x", "$(rm -rf)"]
)
def test_free_text_may_hold_quotes_backslashes_and_non_ascii(text):
    assert pre_gen.check_free_text("project_name", text) == ""


def test_members_may_carry_a_github_login():
    assert pre_gen.split_member(" ada@example.com : Ada-Gh ") == (
        "ada@example.com",
        "Ada-Gh",
    )
    assert pre_gen.split_member("ada@example.com") == ("ada@example.com", None)
    longest = "a" + "-b" * 19  # 39 characters, GitHub's maximum
    answers = {
        **GOOD,
        "admins": f"ada@example.com:ada-gh, bob@example.org:{longest}",
        "contributors": "carol@example.com:C4rol, dan@example.com",
    }
    assert pre_gen.check_answers(answers) == []


def test_emails_are_parsed_not_matched():
    assert pre_gen.parse_email(" Ada.L+ml@Example.COM ") == "Ada.L+ml@example.com"
    assert pre_gen.parse_email("o'brien@example.com") == "o'brien@example.com"
    assert pre_gen.parse_email("a@b..c") == ""
    assert pre_gen.split_emails("a@x.io, ,b@x.io,") == ["a@x.io", "b@x.io"]


@pytest.mark.parametrize(
    "installed, minimum, refused",
    [
        ("2.7.1", "2.6.0", False),
        ("2.6.0", "2.6.0", False),
        ("2.10.0", "2.6.0", False),
        ("2.5.9", "2.6.0", True),
        ("1.7.3", "2.6.0", True),
        ("2.6.0rc1", "2.6.0", False),
        ("0", "2.6.0", True),
    ],
)
def test_cookiecutter_version_is_checked(installed, minimum, refused):
    message = pre_gen.check_cookiecutter_version(installed, minimum)
    assert bool(message) is refused
    if refused:
        assert f"cookiecutter {installed} is too old" in message
        assert f"pip install 'cookiecutter>={minimum}'" in message


def test_main_refuses_an_old_cookiecutter(capsys):
    assert pre_gen.main(GOOD, installed="2.1.0") == 1
    assert "cookiecutter 2.1.0 is too old" in capsys.readouterr().err


def test_minimum_version_is_stated_in_cookiecutter_json_and_the_hook():
    stated = json.loads((REPO_ROOT / "cookiecutter.json").read_text())
    assert stated["_min_cookiecutter_version"] == pre_gen.MIN_COOKIECUTTER
    assert pre_gen.installed_cookiecutter() != "0"


def test_prune_removes_only_what_was_turned_off(tmp_path):
    for folder in (".tekton", ".github/workflows"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "x.yaml").write_text("a: 1\n")
    answers = {"use_tekton": False, "use_github_actions": True}
    assert post_gen.prune(tmp_path, answers) == [".tekton"]
    assert not (tmp_path / ".tekton").exists()
    assert (tmp_path / ".github/workflows/x.yaml").exists()
    answers = {"use_tekton": False, "use_github_actions": False}
    assert post_gen.prune(tmp_path, answers) == [".github"]


def test_prune_removes_the_feast_step_component_with_feature_repo(tmp_path):
    component = tmp_path / "workflows/components/read-features"
    for folder in ("feature_repo", component, "workflows/components/x"):
        (tmp_path / folder).mkdir(parents=True)
    answers = {"use_tekton": True, "use_github_actions": True, "use_feast": True}
    assert post_gen.prune(tmp_path, answers) == []
    answers["use_feast"] = False
    assert post_gen.prune(tmp_path, answers) == [
        "feature_repo",
        "workflows/components/read-features",
    ]
    assert not component.exists() and (tmp_path / "workflows/components/x").is_dir()


def test_next_steps_name_the_project_and_mention_tekton_only_when_used(
    tmp_path, capsys
):
    answers = {"project_slug": "iris", "use_tekton": False, "use_github_actions": True}
    assert post_gen.main(answers, project_dir=tmp_path) == 0
    out = capsys.readouterr().out
    assert f"cd {tmp_path.resolve()}\n" in out  # the full path: --output-dir
    assert "make test" in out and ".tekton" not in out
    assert ".tekton/README.md" in post_gen.next_steps({**answers, "use_tekton": True})


def test_next_steps_ask_for_a_github_login_only_when_nobody_has_one():
    answers = {"project_slug": "iris", "use_tekton": True, "admins": "a@x.io"}
    assert "`github: <login>` in profiles.yaml" in post_gen.next_steps(answers)
    answers["contributors"] = "b@x.io:b-gh"
    assert "github: <login>" not in post_gen.next_steps(answers)
    answers.update(use_tekton=False, contributors="")
    assert "github: <login>" not in post_gen.next_steps(answers)


def run_cookiecutter(output_dir: Path, *answers: str) -> subprocess.CompletedProcess:
    """The cookiecutter CLI, as a user runs it, with `key=value` answers."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(REPO_ROOT)]
    return subprocess.run(
        [*command, "--output-dir", str(output_dir), *answers],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "answer, named",
    [
        ("project_slug=../escaped", "project_slug '../escaped'"),
        ("author_email=not-an-email", "author_email 'not-an-email'"),
        ("admins=", "admins is empty"),
        ("package_name=class", "package_name 'class'"),
    ],
)
def test_cookiecutter_stops_on_a_bad_answer_and_leaves_nothing(tmp_path, answer, named):
    output = tmp_path / "out"
    output.mkdir()
    result = run_cookiecutter(output, answer)
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(ours) == 1 and named in ours[0], result.stderr
    assert "Traceback" not in result.stderr
    # Nothing left: neither in the output folder nor beside it ("../escaped").
    assert list(output.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def rendered_defaults(**answers: str) -> dict:
    """cookiecutter.json's values, rendered as `cookiecutter --no-input` does."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(
        context_file=str(REPO_ROOT / "cookiecutter.json"), extra_context=answers
    )
    return prompt_for_config(context, no_input=True)


@pytest.mark.parametrize(
    "name, slug, package, repository",
    [
        ("Iris Classifier", "iris-classifier", "iris_classifier", "iris-classifier"),
        ("!!!", "ml-project", "ml_project", "ml-project"),
        ("   ", "ml-project", "ml_project", "ml-project"),
        ("3D Model", "3d-model", "ml_3d_model", "3d-model"),
        ("x", "x", "x", "x-data"),
        ("Über Straße", "uber-strasse", "uber_strasse", "uber-strasse"),
        ("9" * 80, "9" * 63, ("ml_" + "9" * 63)[:63], "9" * 63),
    ],
)
def test_derived_defaults_are_always_valid(name, slug, package, repository):
    """Whatever the project name, the derived answers pass the hook's checks."""
    answers = rendered_defaults(project_name=name)
    assert answers["project_slug"] == slug
    assert answers["package_name"] == package == pre_gen.derived_package_name(slug)
    assert answers["lakefs_repository"] == repository
    assert repository == pre_gen.derived_lakefs_repository(slug)
    problems = pre_gen.check_answers(answers)
    # Only a blank name itself is refused; nothing derived from it is.
    assert problems == (
        ["project_name is empty: answer with the project's name"]
        if not name.strip()
        else []
    )


def test_a_name_without_letters_or_digits_still_generates(tmp_path):
    """`!!!` slugifies to nothing; the fallback slug keeps cookiecutter going."""
    output = tmp_path / "out"
    output.mkdir()
    result = run_cookiecutter(output, "project_name=!!!")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in output.iterdir()) == ["ml-project"]
    assert (output / "ml-project" / "src" / "ml_project" / "train.py").is_file()


def test_values_derived_from_a_bad_slug_are_not_reported_again():
    answers = {**GOOD, "project_slug": "Bad Slug"}
    answers.update(package_name="Bad Slug", lakefs_repository="Bad Slug")
    problems = pre_gen.check_answers(answers)
    assert len(problems) == 1 and problems[0].startswith("project_slug 'Bad Slug'")


@pytest.mark.parametrize("name", ["pre_gen_project", "post_gen_project"])
def test_hooks_import_only_the_standard_library(name):
    """cookiecutter runs the hooks from a temporary copy: no package of ours."""
    import ast

    tree = ast.parse((HOOKS / f"{name}.py").read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    # cookiecutter itself is the one exception: it is running the hook.
    assert imported - {"cookiecutter"} <= set(sys.stdlib_module_names), imported
