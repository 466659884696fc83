"""profiles.yaml at scale: linear time, bounded memory, the same bytes out.

Each large input runs in its own subprocess under hard limits (200 MB of
address space, 2 s of CPU; 6 s for onboarding 10,000), as the YAML attacks
in tests/unit/core do: a quadratic walk or a slow emitter is killed and fails
the test.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from precommit_hooks.access import onboard, profile_checks
from precommit_hooks.core import yamlbuild
from tests.bench.bench_access import profiles_text, unknown_keys_text
from tests.support.template import bake

MEMORY_LIMIT = 200 * 1024 * 1024
CPU_SECONDS = 2


def run_limited(
    *args: str | os.PathLike, cpu_seconds: int = CPU_SECONDS
) -> subprocess.CompletedProcess:
    """``python -m args`` under the memory and CPU limits."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    return subprocess.run(
        [sys.executable, "-m", *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        timeout=120,  # wall-clock guard only; the CPU limit is the real bound
    )


def test_sixty_thousand_unknown_keys_are_linear_and_name_their_lines(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(unknown_keys_text(60_000))
    assert 600_000 < path.stat().st_size < 800_000
    done = run_limited(
        "precommit_hooks.hooks.check_profiles", "--max-bytes", "1000000", path
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    lines = done.stdout.splitlines()
    # One line each for the first 100, then one for the rest: still readable.
    assert len(lines) == 101
    assert lines[0].startswith(f"{path}:4:3: error: unknown key 'x0' in profiles")
    assert lines[99].startswith(f"{path}:103:3: ")
    assert "59900 more unknown keys in profiles from here on" in lines[100]
    assert lines[100].startswith(f"{path}:104:")


def test_ten_thousand_contributors_are_checked_within_limits(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(profiles_text(10_000) + "    - user17@example.com\n")
    done = run_limited("precommit_hooks.hooks.check_profiles", path)
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    # The duplicate at the end is found against the first, by its real line.
    assert done.stdout.splitlines() == [
        f"{path}:20007:7: error: 'user17@example.com' is listed twice in "
        "contributors (first at line 41, emails ignore case); remove one "
        "[profiles-duplicate]"
    ]


def test_ten_thousand_contributors_onboard_within_limits(tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(profiles_text(10_000))
    # About 1.7 s of CPU when the machine is quiet, over 2 s on a loaded one;
    # the quadratic emitter this guards against took 15.7 s.
    done = run_limited("precommit_hooks", "onboard", "--profiles", path, cpu_seconds=6)
    assert done.returncode == 0, done.stderr[-500:]
    documents = ("\n" + done.stdout).count("\n---\n")
    assert documents == 1 + 2 * 10_001  # the Profile, then two per member
    assert done.stdout.count("kind: RoleBinding\n") == 10_001


HOSTILE = [
    "o'brien@example.com",
    "a+tag@example.com",
    "yes@example.com",
    "#hash@example.com",
    "x@münchen.de",
    "UPPER@Example.COM",
]


@pytest.mark.slow
def test_both_emitters_write_the_same_bytes_for_the_templates_profiles(tmp_path):
    project = bake(
        tmp_path,
        admins="ada@example.com, root@example.org",
        contributors="bob@example.com:bob-gh, carol.d@example.com",
    )
    team = onboard.load_team(str(project / "profiles.yaml"))
    assert len(team.members) == 3
    team = onboard.Team(
        team.name,
        team.owner,
        team.members + tuple(onboard.Member(e, "edit") for e in HOSTILE),
    )
    resources = onboard.render(team)
    if not hasattr(yamlbuild, "CDumper"):
        pytest.fail("PyYAML here has no libyaml: the C emitter cannot be compared")
    fast = yamlbuild.dump_documents(resources, yamlbuild.CDumper)
    assert fast == yamlbuild.dump_documents(resources, yamlbuild.PythonDumper)
    # ... and both equal PyYAML's own dump through its representer.
    assert fast == yamlbuild.dump_with_representer(resources, yamlbuild.PythonDumper)
    assert fast == yamlbuild.dump_with_representer(resources, yamlbuild.CDumper)
    assert "user: '#hash@example.com'" in fast  # quoted where YAML needs it


@pytest.mark.parametrize(
    "data",
    [
        [{"a": ["true", "12", "null", "~", "", " lead", "a: b", "- x", "0x1f"]}],
        [{True: None, 3: False, "n": -5, "e": [], "m": {}}],
        [[1, True, 0, False, "1", "true"]],
        [{"long": "word " * 2000, "uni": "é\u2028", "tab": "a\tb", "nl": "a\nb"}],
    ],
)
def test_event_emitter_matches_pyyaml_on_awkward_scalars(data):
    expected = yamlbuild.dump_with_representer(data, yamlbuild.PythonDumper)
    assert yamlbuild.dump_documents(data) == expected
    assert yamlbuild.dump_documents(data, yamlbuild.PythonDumper) == expected


def test_other_data_goes_through_the_representer():
    data = [{"ratio": 0.5, "when": __import__("datetime").date(2026, 1, 2)}]
    assert yamlbuild.dump_documents(data) == "---\nratio: 0.5\nwhen: 2026-01-02\n"


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com",
        "first.last+tag@sub.example.org",
        "a..b@example.com",
        ".a@example.com",
        "a@-bad.com",
        "a@b",
        "a@example..com",
        "a@exa_mple.com",
        "x" * 65 + "@example.com",
        "a@" + "d" * 64 + ".com",
        '"quoted"@example.com',
        "josé@example.com",
    ],
)
def test_the_per_domain_fast_path_agrees_with_email_validator(address):
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
        valid = True
    except EmailNotValidError:
        valid = False
    assert (profile_checks.email_problem(address) == "") == valid
