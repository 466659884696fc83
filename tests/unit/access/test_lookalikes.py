"""Look-alike identities in profiles.yaml, dsp onboard and the template's answers."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys

import pytest

from precommit_hooks.access.profiles import load_profiles
from precommit_hooks.core import lookalikes
from precommit_hooks.core.lookalikes import check_lookalikes, identity_key
from tests.support.paths import REPO_ROOT

FULL_WIDTH_A = "\uff41"  # ａ
CYRILLIC_A = "\u0430"  # а


def pre_gen_hook():
    """The template's hooks/pre_gen_project.py, imported as cookiecutter runs it."""
    path = REPO_ROOT / "hooks" / "pre_gen_project.py"
    spec = importlib.util.spec_from_file_location("pre_gen_lookalikes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["script_of", "check_lookalikes"])
def test_the_template_hook_holds_the_same_definition(name):
    # The hook cannot import the package (cookiecutter runs a bare copy), so
    # it keeps a copy; this fails the moment the two differ.
    ours = inspect.getsource(getattr(lookalikes, name))
    theirs = inspect.getsource(getattr(pre_gen_hook(), name))
    assert ours == theirs


@pytest.mark.parametrize(
    "email, words",
    [
        (
            f"{FULL_WIDTH_A}lice@example.com",
            ["not in NFKC form", "'alice@example.com'"],
        ),
        (f"alice@ex{FULL_WIDTH_A}mple.com", ["type it as 'alice@example.com'"]),
        (f"{CYRILLIC_A}lice@example.com", ["mixes scripts", "Cyrillic", "U+0430"]),
        (f"alice@ex{CYRILLIC_A}mple.com", ["mixes scripts in 'exаmple'"]),
    ],
)
def test_lookalike_emails_are_refused_with_the_fix(tmp_path, email, words):
    path = tmp_path / "profiles.yaml"
    path.write_text(f"profiles:\n  name: team\n  admins:\n    - {email}\n")
    profiles, found = load_profiles(str(path))
    assert profiles is None
    assert [(f.rule, f.line, f.col) for f in found] == [("profiles-lookalike", 4, 7)]
    assert all(word in found[0].message for word in words), found[0].message


def test_single_script_addresses_pass(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "profiles:\n  name: team\n  admins:\n    - алиса@пример.рф\n"
        "    - josé@example.com\n"
    )
    profiles, found = load_profiles(str(path))
    assert found == [] and len(profiles.admins) == 2


@pytest.mark.parametrize("twin", [FULL_WIDTH_A, CYRILLIC_A])
def test_a_lookalike_beside_the_original_is_a_duplicate(tmp_path, twin):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "profiles:\n  name: team\n  admins:\n    - alice@example.com\n"
        f"  contributors:\n    - email: {twin}lice@example.com\n      github: eve\n"
    )
    profiles, found = load_profiles(str(path))
    assert profiles is None
    assert sorted(f.rule for f in found) == ["profiles-lookalike", "profiles-overlap"]
    overlap = next(f for f in found if f.rule == "profiles-overlap")
    assert overlap.line == 6 and "line 4" in overlap.message


def test_a_lookalike_in_the_same_list_says_so(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "profiles:\n  name: team\n  admins:\n    - alice@example.com\n"
        f"    - {CYRILLIC_A}lice@example.com\n"
    )
    _, found = load_profiles(str(path))
    duplicate = next(f for f in found if f.rule == "profiles-duplicate")
    assert "a look-alike of 'alice@example.com'" in duplicate.message
    assert duplicate.line == 5


def test_allowed_domain_is_not_passed_by_a_lookalike(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "profiles:\n  name: team\n  admins:\n    - alice@example.com\n"
        f"  contributors:\n    - eve@ex{FULL_WIDTH_A}mple.com\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "precommit_hooks.hooks.check_profiles",
            "--allowed-domain",
            "example.com",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stdout.count("\n") == 1 and "[profiles-lookalike]" in done.stdout


def test_onboard_refuses_a_lookalike_with_one_line(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        f"profiles:\n  name: team\n  admins:\n    - {CYRILLIC_A}lice@example.com\n"
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "precommit_hooks", "onboard", "--profiles", str(path)]
        + ["--output", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "mixes scripts" in done.stderr
    assert not out.exists()  # nothing written on a refusal


def test_identity_key_maps_lookalikes_together():
    assert identity_key(f"{CYRILLIC_A}LICE@Example.com") == "alice@example.com"
    assert identity_key(f"{FULL_WIDTH_A}lice@example.com") == "alice@example.com"
    assert identity_key("bob@example.com") != identity_key("b0b@example.com")
    assert check_lookalikes("email", "bob@example.com") == ""
