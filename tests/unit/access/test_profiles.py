"""check-profiles and the profiles model that dsp onboard / dsp authorize import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import ERROR, WARNING
from precommit_hooks.access.profiles import (
    Member,
    Profiles,
    check_data,
    load_profiles,
    schema_path,
)
from precommit_hooks.hooks.check_profiles import main
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES / "profiles"


def write(tmp_path: Path, text: str, name: str = "profiles.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def rules(found) -> list[str]:
    return sorted(f.rule for f in found)


def test_valid_file_gives_the_model():
    profiles, found = load_profiles(str(FIXTURES / "profiles.yaml"))
    assert found == []
    assert isinstance(profiles, Profiles)
    assert profiles.name == "iris"
    assert profiles.owner == Member("alice@example.com", None, "admin")
    assert profiles.contributors == (
        Member("bob@example.com", "bob-gh", "contributor"),
    )
    assert [m.email for m in profiles.members] == [
        "alice@example.com",
        "bob@example.com",
    ]


def test_lookups_ignore_case():
    profiles, _ = load_profiles(str(FIXTURES / "profiles.yaml"))
    assert profiles.by_github("BOB-GH").email == "bob@example.com"
    assert profiles.by_github("alice") is None  # alice gave no login
    assert profiles.by_email("Bob@Example.com").role == "contributor"
    assert profiles.by_email("eve@example.com") is None


def test_member_positions_point_at_the_entry():
    profiles, _ = load_profiles(str(FIXTURES / "profiles.yaml"))
    assert (profiles.owner.line, profiles.owner.col) == (4, 7)


@pytest.mark.parametrize(
    "fixture, rule, line, words",
    [
        ("duplicates.yaml", "profiles-duplicate", 5, ["Alice@Example.COM", "line 4"]),
        ("overlap.yaml", "profiles-overlap", 6, ["both admin", "contributor"]),
        ("empty_admins.yaml", "profiles-admins", 3, ["at least one admin"]),
        ("key_typo.yaml", "profiles-unknown-key", 4, ["did you mean 'contributors'"]),
        ("bad_name.yaml", "profiles-name", 2, ["DNS-1123", "'iris-classifier'"]),
        ("long_name.yaml", "profiles-name", 2, ["64 characters", "63"]),
        ("bad_github.yaml", "profiles-github", 5, ["'alice--smith-'", "single hyph"]),
        ("yaml11_coercion.yaml", "profiles-type", 2, ["unquoted no", "quote it"]),
    ],
)
def test_bad_files_name_value_line_and_fix(fixture, rule, line, words):
    profiles, found = load_profiles(str(FIXTURES / fixture))
    assert profiles is None
    hits = [f for f in found if f.rule == rule]
    assert hits, found
    assert hits[0].line == line and hits[0].level == ERROR
    for word in words:
        assert word in hits[0].message


def test_yaml_11_number_as_github_login_names_the_written_text():
    _, found = load_profiles(str(FIXTURES / "yaml11_coercion.yaml"))
    messages = [f.message for f in found]
    assert any("unquoted 0123 as integer 83" in m for m in messages), messages


def test_bad_emails_are_parsed_not_pattern_matched():
    _, found = load_profiles(str(FIXTURES / "bad_email.yaml"))
    assert rules(found) == ["profiles-email", "profiles-email"]
    first, second = sorted(found)
    assert "'alice.example.com' is not an email" in first.message
    assert "bob@@example.com" in second.message


@pytest.mark.parametrize(
    "email, ok",
    [
        ("a.b+tag@sub.example.org", True),
        ("Upper.Case@Example.COM", True),
        ("dots..twice@example.com", False),
        ("no-domain-dot@localhost", False),
        ("trailing-dot.@example.com", False),
        ("space in@example.com", False),
    ],
)
def test_email_parsing(tmp_path, email, ok):
    text = f"profiles:\n  name: iris\n  admins:\n    - {json.dumps(email)}\n"
    profiles, found = load_profiles(write(tmp_path, text))
    assert (profiles is not None) == ok, found


@pytest.mark.parametrize(
    "login, ok",
    [
        ("a", True),
        ("a" * 39, True),
        ("a" * 40, False),
        ("bob-gh", True),
        ("Bob-GH-2", True),
        ("-bob", False),
        ("bob-", False),
        ("bo--b", False),
        ("bob_gh", False),
        ("", False),
    ],
)
def test_github_logins(tmp_path, login, ok):
    text = (
        "profiles:\n  name: iris\n  admins:\n"
        f"    - email: a@example.com\n      github: {json.dumps(login)}\n"
    )
    profiles, found = load_profiles(write(tmp_path, text))
    assert (profiles is not None) == ok, found


def test_same_github_login_for_two_people(tmp_path):
    text = (
        "profiles:\n  name: iris\n  admins:\n"
        "    - {email: a@example.com, github: shared}\n"
        "  contributors:\n"
        "    - {email: b@example.com, github: SHARED}\n"
    )
    _, found = load_profiles(write(tmp_path, text))
    assert rules(found) == ["profiles-duplicate"]
    assert "one login, one person" in found[0].message


def test_allowed_domains(tmp_path):
    text = (
        "profiles:\n  name: iris\n  admins: [a@corp.example]\n"
        "  contributors: [b@gmail.com, c@CORP.example]\n"
    )
    path = write(tmp_path, text)
    assert load_profiles(path)[1] == []
    profiles, found = load_profiles(path, allowed_domains=["corp.example"])
    assert profiles is None
    assert rules(found) == ["profiles-domain"]
    assert "'b@gmail.com'" in found[0].message and found[0].line == 4
    assert load_profiles(path, allowed_domains=["corp.example", "gmail.com"])[0]


def test_reserved_name_is_a_warning_and_the_model_still_loads(tmp_path):
    path = write(tmp_path, "profiles:\n  name: kubeflow\n  admins: [a@example.com]\n")
    profiles, found = load_profiles(path)
    assert profiles is not None
    assert [(f.rule, f.level) for f in found] == [("profiles-name", WARNING)]


@pytest.mark.parametrize(
    "text, rule, words",
    [
        ("profiles: []\n", "profiles-type", "mapping"),
        ("profile:\n  name: x\n", "profiles-unknown-key", "did you mean 'profiles'"),
        ("profiles:\n  admins: [a@example.com]\n", "profiles-missing", "'name'"),
        ("profiles:\n  name: x\n", "profiles-admins", "no 'admins'"),
        ("profiles:\n  name: x\n  admins: a@example.com\n", "profiles-type", "list"),
        (
            "profiles:\n  name: x\n  admins: [a@example.com]\n  contributors:\n",
            "profiles-type",
            "write []",
        ),
        (
            "profiles:\n  name: x\n  admins:\n    - github: someone\n",
            "profiles-missing",
            "'email'",
        ),
        ("profiles:\n  name: x\n  admins: [someone]\n", "profiles-email", "github:"),
        ("profiles:\n  name: 12345\n  admins: [a@example.com]\n", "profiles-type", ""),
    ],
)
def test_structure_errors(tmp_path, text, rule, words):
    profiles, found = load_profiles(write(tmp_path, text))
    assert profiles is None
    assert rule in rules(found), found
    assert any(words in f.message for f in found if f.rule == rule)


def test_unreadable_yaml_becomes_a_finding_not_an_exception(tmp_path):
    profiles, found = load_profiles(str(tmp_path / "absent.yaml"))
    assert profiles is None and rules(found) == ["file-missing"]


def test_check_data_accepts_plain_dicts():
    data = yamlio.parse("profiles:\n  name: x\n  admins: [a@example.com]\n")
    profiles, found = check_data(data.documents[0], "p.yaml")
    assert profiles is not None and found == []


# --- main: exit codes and output ----------------------------------------------


def test_main_exit_codes_and_sorted_output(tmp_path, capsys):
    good = str(FIXTURES / "profiles.yaml")
    assert main([good]) == 0
    assert capsys.readouterr().out == ""
    bad = [str(FIXTURES / "overlap.yaml"), str(FIXTURES / "duplicates.yaml")]
    assert main(bad + [good]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == sorted(lines) and len(lines) == 2
    assert lines[0].startswith(f"{FIXTURES / 'duplicates.yaml'}:5:7: error: ")


def test_main_json_and_allowed_domain_option(capsys):
    path = str(FIXTURES / "profiles.yaml")
    assert main(["--format", "json", "--allowed-domain", "corp.example", path]) == 1
    found = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in found} == {"profiles-domain"}
    assert len(found) == 2
    assert main(["--allowed-domain", "example.com", path]) == 0


def test_main_strict_fails_on_warnings(tmp_path, capsys):
    path = write(tmp_path, "profiles:\n  name: default\n  admins: [a@example.com]\n")
    assert main([path]) == 0
    assert main(["--strict", path]) == 1


def test_main_does_not_import_kfp_or_jsonschema():
    import subprocess
    import sys

    code = (
        "import sys; from precommit_hooks.hooks.check_profiles import main; main([]); "
        "print(sorted(m for m in ('kfp', 'jsonschema') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- The shipped JSON Schema agrees with the hook ----------------------------

SCHEMA_CASES = sorted(FIXTURES.glob("*.yaml"))


def test_schema_is_valid_draft_2020_12_and_shipped_in_the_package():
    schema = json.loads(Path(schema_path()).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert Path(schema_path()).parent.name == "schemas"


@pytest.mark.parametrize("path", SCHEMA_CASES, ids=[p.name for p in SCHEMA_CASES])
def test_schema_verdict_agrees_with_the_hook_where_a_schema_can_judge(path):
    # Duplicates and overlap ignore case across lists: beyond a JSON Schema.
    beyond_schema = {"duplicates.yaml", "overlap.yaml"}
    schema = json.loads(Path(schema_path()).read_text())
    data = yamlio.load(str(path)).documents[0]
    schema_ok = jsonschema.Draft202012Validator(schema).is_valid(data)
    hook_ok = load_profiles(str(path))[0] is not None
    if path.name in beyond_schema:
        assert schema_ok and not hook_ok
    else:
        assert schema_ok == hook_ok, path.name


def test_yaml_11_keys_are_named_as_written(tmp_path):
    text = "profiles:\n  name: x\n  admins: [a@example.com]\n  on: yes\n"
    _, found = load_profiles(write(tmp_path, text))
    (bad,) = found
    assert bad.rule == "profiles-unknown-key" and bad.line == 4
    assert "unknown key 'on' (read as boolean true)" in bad.message


def test_mutated_profiles_give_findings_never_exceptions(tmp_path):
    """Any value of any type anywhere: load_profiles returns, never raises."""
    import copy
    import random

    import yaml

    rng = random.Random(7)
    base = yaml.safe_load((FIXTURES / "profiles.yaml").read_text())
    values = [None, 0, True, "x", [], {}, [1], {"a": 1}, "a@b.co", "-x", 0.5]

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, (dict, list)):
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                yield from paths(value, prefix + (key,))

    for attempt in range(500):
        data = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            where = rng.choice([p for p in paths(data) if p])
            node = data
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = copy.deepcopy(rng.choice(values))
        path = write(tmp_path, yaml.safe_dump(data), f"p{attempt}.yaml")
        profiles, found = load_profiles(path)
        assert (profiles is None) == any(f.level == ERROR for f in found)


def test_a_report_that_cannot_be_written_fails_in_one_line(tmp_path: Path):
    # The findings cannot reach the user: say so on stderr, and never pass.
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "check-profiles")]
            + [str(tmp_path / "profiles.yaml")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == (
        "check-profiles: cannot write to standard output (No space left on device)\n"
    )


def test_a_misspelled_key_does_not_hide_the_errors_below_it(tmp_path):
    path = write(
        tmp_path,
        "profiles:\n"
        "  name: iris\n"
        "  admins:\n"
        "    - alice@example.com\n"
        "  contributers:\n"
        "    - email: bob@@example.com\n"
        "      github: bob-gh\n"
        "    - alice@example.com\n",
    )
    profiles, found = load_profiles(path)
    assert profiles is None
    assert [(f.rule, f.line) for f in sorted(found)] == [
        ("profiles-unknown-key", 5),
        ("profiles-email", 6),
        ("profiles-overlap", 8),
    ]
    assert "did you mean 'contributors'" in sorted(found)[0].message


def test_a_misspelled_top_key_still_checks_the_profile(tmp_path):
    path = write(tmp_path, "profile:\n  name: Iris_Classifier\n  admins: []\n")
    _, found = load_profiles(path)
    assert [(f.rule, f.line) for f in sorted(found)] == [
        ("profiles-unknown-key", 1),
        ("profiles-name", 2),
        ("profiles-admins", 3),
    ]


def test_a_misspelled_member_key_still_checks_the_email(tmp_path):
    path = write(
        tmp_path,
        "profiles:\n  name: iris\n  admins:\n    - emial: not-an-email\n"
        "      github: -bad-\n",
    )
    _, found = load_profiles(path)
    assert [(f.rule, f.line, f.col) for f in sorted(found)] == [
        ("profiles-unknown-key", 4, 7),
        ("profiles-email", 4, 14),
        ("profiles-github", 5, 15),
    ]
    assert not any("has no 'email'" in f.message for f in found)


def test_an_unknown_key_far_from_any_is_not_read_as_one(tmp_path):
    path = write(
        tmp_path, "profiles:\n  name: iris\n  admins: [a@example.com]\n  zzz: 1\n"
    )
    _, found = load_profiles(path)
    assert [(f.rule, f.line, f.col) for f in found] == [("profiles-unknown-key", 4, 3)]
