"""The generated Tekton pipelines, run: their real scripts, in order, here.

No cluster runs here, so a small emulator plays Tekton's part for the
generated ``.tekton/`` files: the TriggerBinding and TriggerTemplate turn a
(real, corpus) webhook event into the PipelineRun's parameters, then each task
runs in order with its parameters, environment (secrets from a dict), results
and ``when`` expressions substituted the way Tekton documents, and each step's
script runs unchanged on this machine.  What differs from a cluster: the
images (the scripts run with this machine's git, sh and Python, and the
already-installed ``dsp``), the kaniko build (not run: no container engine),
and the outside world: git talks to a bare repository, GitHub and KFP are
small fakes on 127.0.0.1 that record what the pipeline sent.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest
import yaml

from precommit_hooks.core import yamlio
from tests.support.paths import REPO_ROOT

VENV = Path(sys.prefix)
SUBSTITUTION = re.compile(r"\$\(([^()]+)\)")

pytestmark = pytest.mark.skipif(
    not (VENV / "bin" / "dsp").exists(),
    reason="needs this package installed in the running interpreter's venv",
)

EXAMPLE_PIPELINE = """\
from kfp import dsl


@dsl.component(base_image="python:3.11-slim")
def add(x: int, seed: int) -> int:
    return x + seed


@dsl.pipeline(name="example-pipeline")
def example_pipeline(x: int = 1, seed: int = 42):
    add(x=x, seed=seed)
"""


# --- fakes of the outside world -------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """A fake GitHub API: records POSTs, serves a file and pull requests."""

    state: dict[str, Any]

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        self.state["requests"].append(("GET", self.path, None, self.headers))
        if "/contents/" in url.path:
            name = url.path.split("/contents/", 1)[1]
            ref = dict(p.split("=", 1) for p in url.query.split("&"))["ref"]
            data = self.state["files"].get((ref, name))
            if data is None:
                return self._reply(404, b"{}")
            return self._reply(200, data, "application/vnd.github.raw")
        if "/pulls/" in url.path:
            return self._reply(200, json.dumps(self.state["pull"]).encode())
        self._reply(404, b"{}")

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.state["requests"].append(
            ("POST", self.path, json.loads(body), self.headers)
        )
        self._reply(201, b"{}")


def serve(handler: type, state: dict[str, Any]) -> Iterator[str]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), type("H", (handler,), {"state": state})
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def github() -> Iterator[tuple[str, dict[str, Any]]]:
    state: dict[str, Any] = {"requests": [], "files": {}, "pull": {}}
    for url in serve(Recorder, state):
        yield url + "/repos/Codertocat/Hello-World", state


@pytest.fixture()
def kfp_api() -> Iterator[tuple[str, dict[str, Any]]]:
    from tests.support.fake_kfp import FakeKfp

    state: dict[str, Any] = {
        "requests": [],
        "pipelines": [],
        "versions": {},
        "runs": [],
        "clock": 0,
    }
    for url in serve(FakeKfp, state):
        yield url, state


# --- the emulator ---------------------------------------------------------------------


@dataclass
class TaskRun:
    status: str  # Succeeded, Failed, None (not run)
    results: dict[str, str] = field(default_factory=dict)
    log: str = ""
    skipped_steps: list[str] = field(default_factory=list)


class Unresolved(Exception):
    """A reference whose value does not exist: Tekton skips or fails the task."""


def substitute(text: str, scope: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in scope:
            raise Unresolved(key)
        return scope[key]

    return SUBSTITUTION.sub(one, text)


class Tekton:
    """Runs a generated Pipeline's tasks the way Tekton would, on this machine."""

    def __init__(self, docs: list[Any], tmp: Path, secrets: dict[str, dict]) -> None:
        self.docs = docs
        self.tmp = tmp
        self.secrets = secrets

    def find(self, kind: str, name: str) -> Any:
        for doc in self.docs:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
        raise AssertionError(f"no {kind} {name}")

    def trigger(
        self, trigger: str, event: dict[str, Any], extensions: dict[str, str]
    ) -> tuple[str, dict[str, str]]:
        """Binding and template: the PipelineRun's pipeline and parameters."""
        listener = self.find("EventListener", "github-listener")["spec"]
        spec = next(t for t in listener["triggers"] if t["name"] == trigger)
        binding = self.find("TriggerBinding", spec["bindings"][0]["ref"])["spec"]
        template = self.find("TriggerTemplate", spec["template"]["ref"])["spec"]

        def body(path: str) -> str:
            if path == "body":
                return json.dumps(event)
            value: Any = event
            for key in path.split(".")[1:]:
                value = value[key]
            return value if isinstance(value, str) else json.dumps(value)

        scope = {f"extensions.{k}": v for k, v in extensions.items()}
        tt = {}
        for param in binding["params"]:
            key = SUBSTITUTION.fullmatch(param["value"]).group(1)
            tt[f"tt.params.{param['name']}"] = scope[key] if key in scope else body(key)
        run = template["resourcetemplates"][0]
        params = {p["name"]: substitute(p["value"], tt) for p in run["spec"]["params"]}
        return run["spec"]["pipelineRef"]["name"], params

    def run(self, pipeline: str, params: dict[str, str]) -> dict[str, TaskRun]:
        spec = self.find("Pipeline", pipeline)["spec"]
        values = {p["name"]: p.get("default") for p in spec["params"]}
        values.update(params)
        assert None not in values.values(), values
        workspace = self.tmp / f"workspace-{pipeline}"
        workspace.mkdir()
        # the installed dsp stands in for the step that pip-installs it
        (workspace / "venv").symlink_to(VENV)
        scope = {f"params.{k}": v for k, v in values.items()}
        runs: dict[str, TaskRun] = {}
        failed = False
        for task in spec["tasks"]:
            if failed:
                runs[task["name"]] = TaskRun("None")
                continue
            runs[task["name"]] = self.task(task, scope, runs, workspace)
            failed = runs[task["name"]].status == "Failed"
        scope["tasks.status"] = "Failed" if failed else "Succeeded"
        for name, done in runs.items():
            scope[f"tasks.{name}.status"] = done.status
        for task in spec.get("finally", []):
            runs[task["name"]] = self.task(task, scope, runs, workspace)
        return runs

    def task(
        self, task: dict, scope: dict[str, str], runs: dict, workspace: Path
    ) -> TaskRun:
        scope = dict(scope)
        for name, done in runs.items():
            for key, value in done.results.items():
                scope[f"tasks.{name}.results.{key}"] = value
        try:
            for when in task.get("when", []):
                if substitute(when["input"], scope) not in when["values"]:
                    return TaskRun("None", log="when: skipped")
            given = {
                p["name"]: substitute(p["value"], scope) for p in task.get("params", [])
            }
        except Unresolved as missing:
            return TaskRun("None", log=f"skipped: {missing} has no value")
        spec = task["taskSpec"]
        inner = {
            f"params.{p['name']}": p.get("default") for p in spec.get("params", [])
        }
        inner.update({f"params.{k}": v for k, v in given.items()})
        inner["workspaces.source.path"] = str(workspace)
        results = self.tmp / f"results-{task['name']}"
        results.mkdir()
        home = self.tmp / f"home-{task['name']}"  # /tekton/home, one per pod
        home.mkdir()
        (home / "venv").symlink_to(VENV)
        for result in spec.get("results", []):
            inner[f"results.{result['name']}.path"] = str(results / result["name"])
        done = TaskRun("Succeeded")
        for step in spec["steps"]:
            script = step["script"]
            if script.startswith("#!/busybox/sh"):  # the kaniko image
                done.skipped_steps.append(step["name"])
                continue
            env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}
            for item in step.get("env", []):
                if "valueFrom" in item:
                    ref = item["valueFrom"]["secretKeyRef"]
                    secret = self.secrets.get(ref["name"], {}).get(ref["key"])
                    if secret is None:
                        assert ref.get("optional"), f"missing secret {ref}"
                        continue
                    env[item["name"]] = secret
                else:
                    value = substitute(item["value"], inner)
                    env[item["name"]] = value.replace("/tekton/home", str(home))
            path = self.tmp / f"{task['name']}-{step['name']}.script"
            path.write_text(script)
            path.chmod(0o755)
            cwd = substitute(step.get("workingDir", str(workspace)), inner)
            proc = subprocess.run(
                [str(path)],
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=300,
            )
            done.log += f"--- {step['name']}\n{proc.stdout}{proc.stderr}"
            if proc.returncode != 0:
                done.status = "Failed"
                break
        for result in spec.get("results", []):
            produced = results / result["name"]
            if produced.exists():
                done.results[result["name"]] = produced.read_text()
        return done


# --- a project in a bare repository ---------------------------------------------------


def git(*args: str, cwd: Path | None = None) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cookiecutter.main import cookiecutter

    out = tmp_path_factory.mktemp("rendered")
    return Path(cookiecutter(str(REPO_ROOT), no_input=True, output_dir=str(out)))


@pytest.fixture()
def origin(rendered: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A bare 'GitHub' repository holding the generated project on main."""
    bare = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(bare))
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)  # as GitHub
    work = tmp_path / "work"
    subprocess.run(["cp", "-r", str(rendered), str(work)], check=True)
    git("init", "-q", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "generated", cwd=work)
    git("remote", "add", "origin", bare.as_uri(), cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    return bare, work


@pytest.fixture()
def docs(rendered: Path) -> list[Any]:
    found: list[Any] = []
    for path in sorted((rendered / ".tekton").glob("*.yaml")):
        found.extend(yamlio.load(str(path)).documents)
    return found


def event(corpus: Path, name: str) -> dict[str, Any]:
    return json.loads((corpus / "github-webhooks" / name).read_text())


def push_event(
    corpus: Path, bare: Path, api: str, branch: str, sha: str
) -> dict[str, Any]:
    """The corpus's branch push, moved to our repository, branch and commit."""
    pushed = event(corpus, "push/with-new-branch.payload.json")
    pushed["ref"] = f"refs/heads/{branch}"
    pushed["after"] = sha
    pushed["repository"].update(clone_url=bare.as_uri(), url=api, default_branch="main")
    return pushed


def statuses(state: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (body["context"], body["state"])
        for method, path, body, _ in state["requests"]
        if method == "POST" and "/statuses/" in path
    ]


# --- commit CI ------------------------------------------------------------------------


def test_commit_ci_builds_bumps_uploads_and_commits_back(
    docs: list[Any],
    origin: tuple[Path, Path],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    bare, work = origin
    api, gh = github
    kfp_url, kfp = kfp_api
    git("checkout", "-q", "-b", "feature/x", cwd=work)
    git("commit", "-q", "--allow-empty", "-m", "work", cwd=work)
    git("push", "-q", "origin", "feature/x", cwd=work)
    sha = git("rev-parse", "HEAD", cwd=work)
    tekton = Tekton(docs, tmp_path, {"github-token": {"token": "t0ken"}})
    pipeline, params = tekton.trigger(
        "commit-ci",
        push_event(corpus, bare, api, "feature/x", sha),
        {"branch": "feature/x"},
    )
    assert pipeline == "commit-ci" and params["revision"] == sha
    params["kfp-host"] = kfp_url
    runs = tekton.run(pipeline, params)

    for name in ("clone-repo", "kaniko-compose", "bump-image-tag", "commit-changes"):
        assert runs[name].status == "Succeeded", runs[name].log
    assert runs["kaniko-compose"].skipped_steps == ["build-and-push"]
    tag = f"feature-x-{sha[:7]}"
    assert runs["clone-repo"].results == {"image-tag": tag}
    assert runs["github-set-status-success"].status == "Succeeded"
    assert runs["github-set-status-failure"].status == "None"
    # every stage: pending first, then its outcome; the token went as a header
    posted = statuses(gh)
    assert posted[:8] == [("commit-ci", "pending")] + [
        (f"commit-ci/{name}", "pending") for name in COMMIT_CI_STAGES
    ]
    assert sorted(posted[8:]) == sorted(
        [(f"commit-ci/{name}", "success") for name in COMMIT_CI_STAGES]
        + [("commit-ci", "success")]
    )
    assert all(h["Authorization"] == "Bearer t0ken" for *_, h in gh["requests"])
    # KFP has the pipelines (training and monitoring) and this branch's version
    assert [p["display_name"] for p in kfp["pipelines"]] == [
        "iris-classifier-iris-pipeline",
        "iris-classifier-monitoring-pipeline",
    ]
    assert [v["display_name"] for v in kfp["versions"]["p1"]][1:] == [
        f"feature/x-{sha[:7]}"
    ]
    # the bumped tags were committed back to the branch, and only they changed
    head = git("rev-parse", "refs/heads/feature/x", cwd=bare)
    assert git("rev-parse", f"{head}^", cwd=bare) == sha
    assert "[skip ci]" in git("log", "-1", "--format=%s", head, cwd=bare)
    diff = git("diff", "-U0", sha, head, cwd=bare)
    changed = [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    files = git("ls-tree", "-r", "--name-only", sha, cwd=bare).splitlines()
    components = [f for f in files if f.endswith("/component.yaml")]
    assert len(components) >= 4  # download, train, promote, monitor, generated
    assert len(changed) == 2 * len(components)
    assert all("image:" in line for line in changed)
    assert sum(f":{tag}" in line for line in changed) == len(components)


COMMIT_CI_STAGES = [
    "clone-repo",
    "kaniko-compose",
    "bump-image-tag",
    "kubeflow-compile-pipeline",
    "kubeflow-delete-pipelines",
    "kubeflow-upload-pipeline",
    "commit-changes",
]


def test_commit_ci_stops_at_a_broken_pipeline_and_says_so(
    docs: list[Any],
    origin: tuple[Path, Path],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    bare, work = origin
    api, gh = github
    kfp_url, kfp = kfp_api
    (work / "workflows" / "iris_pipeline.py").write_text("def broken(:\n")
    git("commit", "-q", "-am", "break it", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    sha = git("rev-parse", "HEAD", cwd=work)
    tekton = Tekton(docs, tmp_path, {"github-token": {"token": "t0ken"}})
    pipeline, params = tekton.trigger(
        "commit-ci", push_event(corpus, bare, api, "main", sha), {"branch": "main"}
    )
    params["kfp-host"] = kfp_url
    runs = tekton.run(pipeline, params)
    assert runs["kubeflow-compile-pipeline"].status == "Failed"
    assert (
        "invalid syntax (iris_pipeline.py, line 1)"
        in runs["kubeflow-compile-pipeline"].log
    )
    assert runs["commit-changes"].status == "None"
    assert runs["github-set-status-failure"].status == "Succeeded"
    outcome = dict(statuses(gh)[8:])
    assert outcome["commit-ci"] == "failure"
    assert outcome["commit-ci/kubeflow-compile-pipeline"] == "failure"
    assert outcome["commit-ci/bump-image-tag"] == "success"
    assert outcome["commit-ci/kubeflow-upload-pipeline"] == "error"
    assert kfp["pipelines"] == [] and kfp["runs"] == []
    assert git("rev-parse", "refs/heads/main", cwd=bare) == sha  # nothing pushed


# --- /run-pipeline --------------------------------------------------------------------


@pytest.fixture()
def pull_request(
    origin: tuple[Path, Path], github: tuple[str, dict[str, Any]], corpus: Path
) -> tuple[Path, str]:
    """main lists Codertocat in profiles.yaml; a PR branch adds a pipeline.

    GitHub's pull request (the corpus's, at our branch and head) is what the
    fake API answers for ``GET /pulls/1``."""
    bare, work = origin
    api, gh = github
    profiles = (
        "profiles:\n  name: iris-classifier\n  admins:\n"
        "    - email: octo@example.com\n      github: Codertocat\n  contributors: []\n"
    )
    (work / "profiles.yaml").write_text(profiles)
    git("commit", "-q", "-am", "members", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    gh["files"][("main", "profiles.yaml")] = profiles.encode()
    git("checkout", "-q", "-b", "add-example", cwd=work)
    (work / "workflows" / "example_pipeline.py").write_text(EXAMPLE_PIPELINE)
    # the PR also tries to add its author to the members: it must not count
    (work / "profiles.yaml").write_text(profiles.replace("Codertocat", "mallory"))
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "example pipeline", cwd=work)
    git("push", "-q", "origin", "add-example", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work)
    pull = event(corpus, "pull_request/opened.payload.json")["pull_request"]
    pull["head"].update(ref="add-example", sha=head)
    gh["pull"] = pull
    return bare, head


def comment_event(
    corpus: Path, bare: Path, api: str, body: str, login: str = "Codertocat"
) -> dict[str, Any]:
    commented = copy.deepcopy(event(corpus, "issue_comment/created.payload.json"))
    commented["issue"]["pull_request"] = {"url": api + "/pulls/1"}
    commented["comment"]["body"] = body
    commented["comment"]["user"]["login"] = commented["sender"]["login"] = login
    commented["repository"].update(
        clone_url=bare.as_uri(), url=api, default_branch="main"
    )
    return commented


def comments(state: dict[str, Any]) -> list[str]:
    return [
        body["body"]
        for method, path, body, _ in state["requests"]
        if method == "POST" and path.endswith("/issues/1/comments")
    ]


def run_comment(
    docs: list[Any], tmp_path: Path, corpus: Path, bare: Path, api: str, kfp_url: str,
    body: str, login: str = "Codertocat",
) -> dict[str, TaskRun]:  # fmt: skip
    tekton = Tekton(docs, tmp_path, {"github-token": {"token": "t0ken"}})
    pipeline, params = tekton.trigger(
        "run-pipeline", comment_event(corpus, bare, api, body, login), {}
    )
    assert pipeline == "run-pipeline"
    params["kfp-host"] = kfp_url
    return tekton.run(pipeline, params)


def test_example_comment_starts_a_run_and_comments_the_link(
    docs: list[Any],
    pull_request: tuple[Path, str],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    bare, head = pull_request
    api, gh = github
    kfp_url, kfp = kfp_api
    body = (
        '/run-pipeline example_pipeline.py params={"name":"x","value":"206"}, '
        '{"name":"seed","value":"3007"}'
    )
    runs = run_comment(docs, tmp_path, corpus, bare, api, kfp_url, body)
    for name in (
        "authorize",
        "parse-comment",
        "checkout-pr-head",
        "compile",
        "create-run",
    ):
        assert runs[name].status == "Succeeded", runs[name].log
    assert runs["authorize"].results == {
        "head-sha": head,
        "head-ref": "add-example",
        "commenter": "Codertocat",
    }
    assert len(kfp["runs"]) == 1
    assert kfp["runs"][0]["runtime_config"]["parameters"] == {"x": 206, "seed": 3007}
    assert kfp["runs"][0]["display_name"] == f"pr-1-{head[:7]}"
    assert comments(gh) == [
        f"Pipeline run started for {head[:7]}: {kfp_url}/#/runs/details/r1"
    ]
    assert runs["comment-refusal"].status == "None"


@pytest.mark.parametrize(
    ("body", "failed", "reason"),
    [
        ("/run-pipeline example_pipeline.py x=$(id)", "parse-comment", "'$'"),
        ("/run-pipeline ../../etc/passwd.py", "parse-comment", "'..'"),
        (
            "/run-pipeline example_pipeline.py foo=1",
            "compile",
            "unknown parameter 'foo'",
        ),
        ("/run-pipeline missing_pipeline.py", "compile", "does not exist"),
    ],
)
def test_refused_comment_gets_the_reason_and_no_run(
    docs: list[Any],
    pull_request: tuple[Path, str],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
    body: str,
    failed: str,
    reason: str,
) -> None:
    bare, _ = pull_request
    api, gh = github
    kfp_url, kfp = kfp_api
    runs = run_comment(docs, tmp_path, corpus, bare, api, kfp_url, body)
    assert runs[failed].status == "Failed"
    assert runs["create-run"].status == "None" and kfp["runs"] == []
    [reply] = comments(gh)
    assert reply.startswith("The pipeline was not run:") and reason in reply


def test_commenter_listed_only_by_the_pull_request_is_ignored(
    docs: list[Any],
    pull_request: tuple[Path, str],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    bare, _ = pull_request
    api, gh = github
    kfp_url, kfp = kfp_api
    runs = run_comment(
        docs, tmp_path, corpus, bare, api, kfp_url,
        "/run-pipeline example_pipeline.py", login="mallory",
    )  # fmt: skip
    assert runs["authorize"].status == "Failed"
    assert "'mallory' is not in" in runs["authorize"].log
    assert all(runs[name].status == "None" for name in ("parse-comment", "create-run"))
    assert comments(gh) == [] and kfp["runs"] == []


def test_the_authorised_commit_runs_even_if_the_branch_moved(
    docs: list[Any],
    pull_request: tuple[Path, str],
    origin: tuple[Path, Path],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    bare, authorised = pull_request
    _, work = origin
    api, gh = github
    kfp_url, kfp = kfp_api
    # a push after the authorisation removes the pipeline from the branch
    (work / "workflows" / "example_pipeline.py").unlink()
    git("commit", "-q", "-am", "later push", cwd=work)
    git("push", "-q", "origin", "add-example", cwd=work)
    runs = run_comment(
        docs, tmp_path, corpus, bare, api, kfp_url, "/run-pipeline example_pipeline.py"
    )
    assert runs["create-run"].status == "Succeeded", runs["compile"].log
    assert authorised[:7] in comments(gh)[0]


def test_the_run_compiles_with_the_pull_requests_branch_and_commit(
    docs: list[Any],
    pull_request: tuple[Path, str],
    github: tuple[str, dict[str, Any]],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    """As in commit CI, the compiled pipeline's git_branch/git_sha defaults are
    the PR head's branch and commit (promote tags the model <branch>-<sha7>),
    though the checkout is a detached HEAD in a fresh repository."""
    bare, head = pull_request
    api, _ = github
    kfp_url, kfp = kfp_api
    runs = run_comment(
        docs, tmp_path, corpus, bare, api, kfp_url, "/run-pipeline iris_pipeline.py"
    )
    assert runs["create-run"].status == "Succeeded", runs["compile"].log
    compiled = tmp_path / "workspace-run-pipeline" / "run" / "pipeline.yaml"
    spec = next(yaml.safe_load_all(compiled.read_text()))
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert inputs["git_branch"]["defaultValue"] == "add-example"
    assert inputs["git_sha"]["defaultValue"] == head
    promote = spec["root"]["dag"]["tasks"]["promote-model"]["inputs"]["parameters"]
    assert promote["branch"] == {"componentInputParameter": "git_branch"}
    assert len(kfp["runs"]) == 1


# --- a closed pull request -----------------------------------------------------------


def test_closed_pull_request_prunes_its_branch_versions(
    docs: list[Any],
    origin: tuple[Path, Path],
    kfp_api: tuple[str, dict[str, Any]],
    corpus: Path,
    tmp_path: Path,
) -> None:
    bare, _ = origin
    kfp_url, kfp = kfp_api
    kfp["pipelines"].append(
        {"pipeline_id": "p1", "display_name": "iris-classifier-iris-pipeline"}
    )
    kfp["versions"]["p1"] = [
        {"pipeline_version_id": vid, "display_name": name, "created_at": created}
        for vid, name, created in [
            ("v1", "iris-classifier-iris-pipeline", "2026-01-01T00:00:00Z"),
            ("v2", "changes-1111111", "2026-01-02T00:00:00Z"),
            ("v3", "changes-2222222", "2026-01-03T00:00:00Z"),
            ("v4", "changes-more-3333333", "2026-01-03T00:00:00Z"),
            (
                "v5",
                "iris-classifier-iris-pipeline-main-4444444",
                "2026-01-04T00:00:00Z",
            ),
        ]
    ]
    closed = event(corpus, "pull_request/closed.payload.json")  # head ref "changes"
    closed["repository"].update(clone_url=bare.as_uri(), default_branch="main")
    tekton = Tekton(docs, tmp_path, {"github-token": {"token": "t0ken"}})
    pipeline, params = tekton.trigger("prune-closed-branch", closed, {})
    assert (pipeline, params["branch"]) == ("prune-closed-branch", "changes")
    params["kfp-host"] = kfp_url
    runs = tekton.run(pipeline, params)
    assert runs["prune-branch-versions"].status == "Succeeded", runs[
        "prune-branch-versions"
    ].log
    assert [v["pipeline_version_id"] for v in kfp["versions"]["p1"]] == [
        "v1",
        "v4",
        "v5",
    ]
