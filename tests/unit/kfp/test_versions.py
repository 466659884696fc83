"""Pipeline version names and the upload/prune plans (no KFP server needed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from precommit_hooks import cli

from precommit_hooks.kfp import versions
from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp.versions import (
    MAX_NAME,
    PipelineVersion,
    existing_version,
    is_version_of,
    version_from_api,
    version_name,
    versions_to_prune,
)

DNS_1123 = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")

# The three names users see in the KFP UI, with the inputs that produce them.
EXAMPLES = [
    (
        {"branch": "data/add-iris-test-data", "sha": "01c8d6c" + "4" * 33},
        "data/add-iris-test-data-01c8d6c",
        "data-add-iris-test-data-01c8d6c",
    ),
    (
        {
            "branch": "feature/lakefs-ormb-lakefs",
            "sha": "c8eb41f" + "a" * 33,
            "pipeline": "GAIA-demo-example-pipeline",
        },
        "feature/lakefs-ormb-lakefs-c8eb41f",
        "feature-lakefs-ormb-lakefs-c8eb41f",
    ),
    (
        {
            "branch": "main",
            "sha": "D6FD662" + "0" * 33,
            "pipeline": "GAIA-demo-example-pipeline",
        },
        "GAIA-demo-example-pipeline-main-d6fd662",
        "gaia-demo-example-pipeline-main-d6fd662",
    ),
]


def dsp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("inputs", "display", "name"), EXAMPLES)
def test_examples_come_out_as_users_see_them(
    inputs: dict[str, str], display: str, name: str
) -> None:
    names = version_name(**inputs)
    assert names.display_name == display
    assert names.name == name
    assert DNS_1123.fullmatch(names.name)


@pytest.mark.parametrize(("inputs", "display", "name"), EXAMPLES)
def test_dsp_version_name_prints_both_names(
    capsys: pytest.CaptureFixture[str],
    inputs: dict[str, str],
    display: str,
    name: str,
) -> None:
    argv = ["version-name", "--branch", inputs["branch"], "--sha", inputs["sha"]]
    if "pipeline" in inputs:
        argv += ["--pipeline", inputs["pipeline"]]
    code, out, err = dsp(capsys, *argv)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"name": name, "display_name": display}


def test_pipeline_goes_in_front_only_on_the_default_branch() -> None:
    sha = "abcdef0123456789"
    on_branch = version_name("dev", sha, pipeline="iris", default_branch="dev")
    elsewhere = version_name("main", sha, pipeline="iris", default_branch="dev")
    assert on_branch.display_name == "iris-dev-abcdef0"
    assert elsewhere.display_name == "main-abcdef0"


def test_refs_heads_prefix_is_dropped() -> None:
    assert version_name("refs/heads/feature/x", "abcdef0").display_name == (
        "feature/x-abcdef0"
    )


@pytest.mark.parametrize(
    "branch",
    [
        "Feature/UPPER_case",
        "a--b---c",
        "x/.hidden/..dots",
        "release/v1.2.3",
        "-leading-and-trailing-",
        "ünïcödé/ブランチ",
        "a" * 300,
        "@{weird}~^:?*[",
    ],
)
def test_names_are_dns_safe_and_end_in_the_short_sha(branch: str) -> None:
    names = version_name(branch[:255], "0123456789abcdef")
    assert len(names.name) <= MAX_NAME
    assert DNS_1123.fullmatch(names.name), names.name
    assert names.name.endswith("-0123456") or names.name == "0123456"
    assert "--" not in names.name and ".." not in names.name
    assert names.display_name.endswith("-0123456")


def test_long_branch_is_cut_from_the_front_part() -> None:
    names = version_name("feature/" + "x" * 200, "0123456789")
    assert len(names.name) == MAX_NAME
    assert names.name.startswith("feature-xxx")
    assert names.name.endswith("x-0123456")


def test_deterministic() -> None:
    assert version_name("a/b", "1234567") == version_name("a/b", "1234567")


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--branch", "main", "--sha", "xyz1234"], "hexadecimal SHA"),
        (["--branch", "main", "--sha", "abc"], "hexadecimal SHA"),
        (["--branch", "two words", "--sha", "abcdef0"], "no spaces"),
        (["--branch", "", "--sha", "abcdef0"], "branch is empty"),
        (["--branch", "a\x1bb", "--sha", "abcdef0"], "control characters"),
        (["--branch", "x" * 256, "--sha", "abcdef0"], "at most 255"),
    ],
)
def test_bad_inputs_are_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    code, out, err = dsp(capsys, "version-name", *argv)
    assert code == 1 and out == ""
    assert reason in err and err.count("\n") == 1
    assert err.startswith("dsp version-name: ")


def test_version_name_does_not_import_kfp() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from precommit_hooks import cli; "
        "cli.main(['version-name', '--branch', 'b', '--sha', 'abcdef0']); "
        "sys.stdout.flush(); print('kfp' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().endswith("False")


# --- which versions to upload or prune -------------------------------------------


def v(vid: str, display: str, created: str) -> PipelineVersion:
    return PipelineVersion(vid, display, display.lower().replace("/", "-"), created)


BRANCH_VERSIONS = [
    v("p0", "iris", "2026-01-01T00:00:00+00:00"),  # KFP's first version
    v("a1", "feature/x-1111111", "2026-01-02T00:00:00+00:00"),
    v("a2", "feature/x-2222222", "2026-01-03T00:00:00+00:00"),
    v("a3", "feature/x-3333333", "2026-01-04T00:00:00+00:00"),
    v("a4", "feature/x-4444444", "2026-01-05T00:00:00+00:00"),
    v("b1", "feature/x-y-5555555", "2026-01-01T00:00:00+00:00"),  # another branch
    v("m1", "iris-main-6666666", "2026-01-01T00:00:00+00:00"),
    v("m2", "iris-main-7777777", "2026-01-02T00:00:00+00:00"),
    v("h1", "feature/x-hand-made", "2026-01-01T00:00:00+00:00"),
]


def ids(found: list[PipelineVersion]) -> list[str]:
    return [version.version_id for version in found]


def test_prune_keeps_the_newest_of_the_branch_only() -> None:
    doomed = versions_to_prune(
        BRANCH_VERSIONS, branch="feature/x", keep=2, pipeline="iris"
    )
    assert ids(doomed) == ["a2", "a1"]


def test_prune_counts_the_commit_being_uploaded() -> None:
    doomed = versions_to_prune(
        BRANCH_VERSIONS, branch="feature/x", keep=2, pipeline="iris", sha="5" * 40
    )
    # the new version will be the second one kept: only the newest old one stays
    assert ids(doomed) == ["a3", "a2", "a1"]


def test_prune_never_counts_an_already_uploaded_current_version_twice() -> None:
    doomed = versions_to_prune(
        BRANCH_VERSIONS, branch="feature/x", keep=2, pipeline="iris", sha="4444444"
    )
    assert ids(doomed) == ["a2", "a1"]


def test_prune_on_the_default_branch_uses_the_pipeline_prefix() -> None:
    doomed = versions_to_prune(BRANCH_VERSIONS, branch="main", keep=1, pipeline="iris")
    assert ids(doomed) == ["m1"]


def test_prune_keep_zero_deletes_a_branch_but_never_the_first_version() -> None:
    doomed = versions_to_prune(
        BRANCH_VERSIONS, branch="feature/x", keep=0, pipeline="iris"
    )
    assert sorted(ids(doomed)) == ["a1", "a2", "a3", "a4"]


def test_prune_refuses_to_empty_the_default_branch_or_negative_keep() -> None:
    with pytest.raises(Refusal, match="default branch"):
        versions_to_prune(BRANCH_VERSIONS, branch="main", keep=0, pipeline="iris")
    with pytest.raises(Refusal, match="negative"):
        versions_to_prune(BRANCH_VERSIONS, branch="x", keep=-1, pipeline="iris")


def test_is_version_of_matches_exactly() -> None:
    assert is_version_of(BRANCH_VERSIONS[1], "feature/x")
    assert not is_version_of(BRANCH_VERSIONS[5], "feature/x")
    assert not is_version_of(BRANCH_VERSIONS[8], "feature/x")


def test_existing_version_makes_a_repeat_upload_a_no_op() -> None:
    wanted = version_name("feature/x", "3333333")
    assert existing_version(BRANCH_VERSIONS, wanted).version_id == "a3"
    assert existing_version(BRANCH_VERSIONS, version_name("feature/x", "9999999")) is (
        None
    )


def test_version_from_api_reads_server_objects_and_dicts() -> None:
    from datetime import datetime, timezone

    from kfp_server_api import V2beta1PipelineVersion

    api = V2beta1PipelineVersion(
        pipeline_version_id="id1",
        display_name="feature/x-1111111",
        name="feature-x-1111111",
        created_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    )
    read = version_from_api(api)
    assert read == PipelineVersion(
        "id1", "feature/x-1111111", "feature-x-1111111", "2026-01-02T00:00:00+00:00"
    )
    assert version_from_api({"pipeline_version_id": "id2"}).version_id == "id2"


def test_an_unexpected_file_error_is_one_line_naming_the_path(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last guard of every dsp command: no OSError reaches the user as a traceback.
    def write_into_a_file(args: object) -> int:
        raise NotADirectoryError(20, "Not a directory", "out/names.json")

    monkeypatch.setattr(versions, "_print_version_name", write_into_a_file)
    code, out, err = dsp(capsys, "version-name", "--branch", "main", "--sha", "a" * 7)
    assert (code, out) == (1, "")
    assert err == (
        "dsp version-name: out/names.json: not a directory; check the path "
        "(and its folders) and retry\n"
    )


def test_a_bug_in_a_command_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise TypeError("'NoneType' object is not subscriptable\nsecond line")

    monkeypatch.setattr(versions, "_print_version_name", broken)
    code, out, err = dsp(capsys, "version-name", "--branch", "main", "--sha", "a" * 7)
    assert (code, out) == (1, "")
    assert err == (
        "dsp version-name: internal error (TypeError: 'NoneType' object is not "
        "subscriptable second line); please report it with the command you ran\n"
    )


def test_dsp_debug_shows_the_traceback_of_a_bug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise TypeError("a bug")

    monkeypatch.setattr(versions, "_print_version_name", broken)
    monkeypatch.setenv("DSP_DEBUG", "1")
    with pytest.raises(TypeError, match="a bug"):
        cli.main(["version-name", "--branch", "main", "--sha", "a" * 7])


@pytest.mark.parametrize(
    ("stdout", "reason"),
    [
        ("full", "cannot write to standard output (No space left on device)"),
        ("closed", "standard output is closed; run it with stdout open"),
    ],
)
def test_a_result_that_cannot_be_written_is_one_line(stdout: str, reason: str):
    # The real command line: a full disk or a closed stdout, never a traceback.
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "precommit_hooks.cli", "version-name"]
            + ["--branch", "main", "--sha", "abcdef0"],
            stdout=full if stdout == "full" else None,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == f"dsp version-name: {reason}\n"
