"""The generated project's ``.tekton/``: rendered by cookiecutter's API, then
read like Tekton would: the tasks in order, values only through environment
variables, secrets only by reference, pinned images, consistent parameters,
the CEL filters evaluated on the corpus's real webhook payloads, and
``check-tekton`` clean.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from precommit_hooks.hooks import check_tekton as tekton

from precommit_hooks.core import yamlio
from tests.support.paths import REPO_ROOT

REPO_ROOT = REPO_ROOT

COMMIT_CI_ORDER = [
    "github-set-status-pending",
    "clone-repo",
    "kaniko-compose",
    "bump-image-tag",
    "kubeflow-compile-pipeline",
    "kubeflow-delete-pipelines",
    "kubeflow-upload-pipeline",
    "commit-changes",
]
RUN_PIPELINE_ORDER = [
    "authorize",
    "parse-comment",
    "checkout-pr-head",
    "compile",
    "create-run",
]
# Tekton substitutions that must never appear inside a script body.
SUBSTITUTION = re.compile(
    r"\$\((params|tt|body|tasks|extensions|results|workspaces|context)\b"
)


def render(output: Path, **answers: str) -> Path:
    from cookiecutter.main import cookiecutter

    hooks = answers.pop("accept_hooks", "yes") == "yes"
    return Path(
        cookiecutter(
            str(REPO_ROOT),
            no_input=True,
            output_dir=str(output),
            extra_context=answers,
            accept_hooks=hooks,
        )
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("tekton"))


@pytest.fixture(scope="module")
def docs(project: Path) -> dict[str, list[Any]]:
    """Every YAML document of .tekton/, by file name, read by the guarded reader."""
    found: dict[str, list[Any]] = {}
    for path in sorted((project / ".tekton").glob("*.yaml")):
        loaded = yamlio.load(str(path))
        assert loaded.findings == [], loaded.findings
        found[path.name] = loaded.documents
    return found


def resource(docs: dict[str, list[Any]], kind: str, name: str) -> Any:
    for documents in docs.values():
        for doc in documents:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name}")


def walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))


def steps(docs: dict[str, list[Any]]) -> Iterator[tuple[str, dict]]:
    for name, documents in docs.items():
        for doc in documents:
            for path, node in walk(doc):
                if path and path[-2:-1] == ("steps",) and isinstance(node, dict):
                    yield f"{name}:{node.get('name')}", node


def test_files_and_resources(docs: dict[str, list[Any]], project: Path) -> None:
    kinds = sorted(
        (doc["kind"], doc["metadata"]["name"])
        for name, documents in docs.items()
        if name != "onboarding.yaml"
        for doc in documents
    )
    assert ("EventListener", "github-listener") in kinds
    assert ("Pipeline", "commit-ci") in kinds and ("Pipeline", "run-pipeline") in kinds
    assert {k for k, _ in kinds} >= {"TriggerBinding", "TriggerTemplate"}
    for name, documents in docs.items():
        for doc in documents:
            if doc["kind"] in ("Pipeline", "Task", "PipelineRun"):
                assert doc["apiVersion"] == "tekton.dev/v1", (name, doc["kind"])
            if doc["kind"] in ("EventListener", "TriggerBinding", "TriggerTemplate"):
                assert doc["apiVersion"] == "triggers.tekton.dev/v1beta1"
    text = "".join(p.read_text() for p in (project / ".tekton").iterdir())
    assert "{{" not in text and "{%" not in text


def test_commit_ci_runs_its_tasks_in_order(docs: dict[str, list[Any]]) -> None:
    spec = resource(docs, "Pipeline", "commit-ci")["spec"]
    names = [task["name"] for task in spec["tasks"]]
    assert names == COMMIT_CI_ORDER
    for before, task in zip(spec["tasks"], spec["tasks"][1:]):
        assert task["runAfter"] == [before["name"]], task["name"]
    for task in spec["tasks"]:
        assert "taskSpec" in task and "taskRef" not in task  # no Hub dependency


def test_commit_ci_statuses_are_finally_tasks_for_every_stage(
    docs: dict[str, list[Any]],
) -> None:
    spec = resource(docs, "Pipeline", "commit-ci")["spec"]
    final = {task["name"]: task for task in spec["finally"]}
    success, failure = (
        final["github-set-status-success"],
        final["github-set-status-failure"],
    )
    assert success["when"] == [
        {
            "input": "$(tasks.status)",
            "operator": "in",
            "values": ["Succeeded", "Completed"],
        }
    ]
    assert failure["when"] == [
        {"input": "$(tasks.status)", "operator": "in", "values": ["Failed"]}
    ]
    assert "notify" in final
    stages = final["github-set-status-stages"]
    reported = {p["value"] for p in stages["params"] if p["value"].endswith(".status)")}
    assert reported == {f"$(tasks.{name}.status)" for name in COMMIT_CI_ORDER[1:]}
    # the pending task announces exactly these stages
    pending = spec["tasks"][0]["taskSpec"]["steps"][0]["script"]
    listed = pending.split("STAGES = [", 1)[1].split("]", 1)[0]
    announced = re.findall(r'"([a-z-]+)",', listed)
    assert announced == COMMIT_CI_ORDER[1:]


def test_run_pipeline_authorises_first_and_checks_out_the_authorised_commit(
    docs: dict[str, list[Any]],
) -> None:
    spec = resource(docs, "Pipeline", "run-pipeline")["spec"]
    assert [task["name"] for task in spec["tasks"]] == RUN_PIPELINE_ORDER
    for before, task in zip(spec["tasks"], spec["tasks"][1:]):
        assert task["runAfter"] == [before["name"]]
    authorize = spec["tasks"][0]["taskSpec"]["steps"]
    assert any(re.search(r"\bdsp authorize\b", s.get("script", "")) for s in authorize)
    # profiles.yaml comes from the default branch, never the pull request
    fetch = next(s for s in authorize if s["name"] == "fetch-trusted-inputs")
    assert "DEFAULT_BRANCH" in fetch["script"]
    checkout = spec["tasks"][2]
    head = next(p for p in checkout["params"] if p["name"] == "head-sha")
    assert head["value"] == "$(tasks.authorize.results.head-sha)"
    assert (
        'fetch -q --depth 1 origin "$HEAD_SHA"'
        in checkout["taskSpec"]["steps"][0]["script"]
    )
    compile_script = spec["tasks"][3]["taskSpec"]["steps"][0]["script"]
    assert "dsp parse-comment --repo" in compile_script
    # the run is created by a dsp installed afresh, not the venv the PR's code saw
    create = spec["tasks"][4]["taskSpec"]["steps"][0]
    venv = next(e["value"] for e in create["env"] if e["name"] == "VENV")
    assert venv.startswith("/tekton/home/")
    final = {task["name"]: task for task in spec["finally"]}
    assert final["comment-run-link"]["when"][0]["input"] == "$(tasks.create-run.status)"
    assert {
        "input": "$(tasks.authorize.status)",
        "operator": "in",
        "values": ["Succeeded"],
    } in final["comment-refusal"]["when"]


def test_no_tekton_value_is_substituted_into_a_script(
    docs: dict[str, list[Any]],
) -> None:
    scripts = 0
    for where, step in steps(docs):
        if "script" in step:
            scripts += 1
            found = SUBSTITUTION.search(step["script"])
            assert not found, f"{where}: {found.group()} in a script body"
        for field in ("command", "args"):
            for item in step.get(field) or []:
                assert not SUBSTITUTION.search(str(item)), (where, field)
    assert scripts >= 15


def test_comment_text_travels_only_as_data(docs: dict[str, list[Any]]) -> None:
    """The event (with the comment) is a parameter, then an env var, then a file."""
    for name, documents in docs.items():
        for doc in documents:
            for path, node in walk(doc):
                if isinstance(node, str) and re.search(
                    r"\$\((params\.event|tt\.params\.event|body\.comment|body\))", node
                ):
                    # a binding or template value, a task param, or a step env value
                    assert path[-1] == "value", (name, path)
                    assert "script" not in path and "command" not in path
    binding = resource(docs, "TriggerBinding", "run-pipeline-binding")["spec"]
    assert {"name": "event", "value": "$(body)"} in binding["params"]
    text = json.dumps(resource(docs, "Pipeline", "run-pipeline"))
    assert "$(params.comment)" not in text


def test_secrets_only_by_reference(docs: dict[str, list[Any]]) -> None:
    references = set()
    for where, step in steps(docs):
        for env in step.get("env") or []:
            if "valueFrom" in env:
                assert set(env["valueFrom"]) == {"secretKeyRef"}, where
                references.add(env["valueFrom"]["secretKeyRef"]["name"])
            else:
                assert not re.search(r"(?i)token|secret|password", env["value"]), (
                    where,
                    env,
                )
    assert references >= {"github-token", "kfp-credentials", "ci-notifications"}
    listener = resource(docs, "EventListener", "github-listener")["spec"]
    for trigger in listener["triggers"]:
        github = next(
            i for i in trigger["interceptors"] if i["ref"]["name"] == "github"
        )
        secret = next(p for p in github["params"] if p["name"] == "secretRef")["value"]
        assert secret == {
            "secretName": "github-webhook-secret",
            "secretKey": "secretToken",
        }
    kaniko = resource(docs, "Pipeline", "commit-ci")["spec"]["tasks"][2]["taskSpec"]
    assert kaniko["volumes"][0]["secret"]["secretName"] == "registry-credentials"


def test_images_are_pinned(docs: dict[str, list[Any]]) -> None:
    for where, step in steps(docs):
        image = step["image"]
        assert "$(" not in image, where
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest" and "latest" not in tag, (where, image)


def declared(params: list[dict] | None) -> set[str]:
    return {p["name"] for p in params or []}


def used(node: Any, prefix: str) -> set[str]:
    text = json.dumps(node)
    return set(re.findall(re.escape(prefix) + r"([A-Za-z0-9_-]+)\)", text))


def test_parameters_are_declared_and_wired(docs: dict[str, list[Any]]) -> None:
    for name, documents in docs.items():
        for doc in documents:
            if doc["kind"] != "Pipeline":
                continue
            spec = doc["spec"]
            for task in spec["tasks"] + spec.get("finally", []):
                outer = {k: v for k, v in task.items() if k != "taskSpec"}
                assert used(outer, "$(params.") <= declared(spec["params"]), task[
                    "name"
                ]
                inner = task["taskSpec"]
                assert used(inner, "$(params.") <= declared(inner.get("params"))
                given = declared(task.get("params"))
                needed = {
                    p["name"] for p in inner.get("params") or [] if "default" not in p
                }
                assert needed <= given <= declared(inner.get("params")), task["name"]
    for binding_name, template_name in [
        ("commit-ci-binding", "commit-ci-template"),
        ("run-pipeline-binding", "run-pipeline-template"),
        ("prune-closed-branch-binding", "prune-closed-branch-template"),
    ]:
        binding = resource(docs, "TriggerBinding", binding_name)["spec"]
        template = resource(docs, "TriggerTemplate", template_name)["spec"]
        assert declared(binding["params"]) == declared(template["params"])
        assert used(template["resourcetemplates"], "$(tt.params.") == declared(
            template["params"]
        )
        for run in template["resourcetemplates"]:
            pipeline = resource(docs, "Pipeline", run["spec"]["pipelineRef"]["name"])
            pipeline_params = pipeline["spec"]["params"]
            required = {p["name"] for p in pipeline_params if "default" not in p}
            given = declared(run["spec"]["params"])
            assert required <= given <= declared(pipeline_params)
            assert [w["name"] for w in run["spec"]["workspaces"]] == [
                w["name"] for w in pipeline["spec"]["workspaces"]
            ]


def test_check_tekton_is_clean(project: Path, capsys: pytest.CaptureFixture) -> None:
    files = sorted(str(p) for p in (project / ".tekton").glob("*.yaml"))
    assert tekton.main([*files, "--strict"]) == 0
    assert capsys.readouterr().out == ""


def test_answers_reach_the_parameters_as_data(tmp_path: Path) -> None:
    hostile = {
        "kfp_host": "https://kf.example.com/pipeline?a=\"b\"&c='d' #x: $(id)",
        "container_registry": "reg.example.com:5000/team\\x {y}: [z]",
        "hooks_repo": 'https://example.com/a b"c',
        "hooks_rev": "v1'2\n- injected: true",
    }
    project = render(tmp_path, accept_hooks="no", **hostile)
    pipeline = yamlio.load_one(str(project / ".tekton" / "commit-ci.yaml")).documents[0]
    defaults = {p["name"]: p.get("default") for p in pipeline["spec"]["params"]}
    assert defaults["kfp-host"] == hostile["kfp_host"]
    assert defaults["container-registry"] == hostile["container_registry"]
    assert defaults["dsp-package"] == (
        f"dsp-template @ git+{hostile['hooks_repo']}@{hostile['hooks_rev']}"
    )
    assert [t["name"] for t in pipeline["spec"]["tasks"]] == COMMIT_CI_ORDER


def test_readme_says_how_to_install_secrets_and_trigger(
    project: Path, docs: dict[str, list[Any]]
) -> None:
    readme = (project / ".tekton" / "README.md").read_text()
    assert "kubectl apply -f .tekton/" in readme
    assert "## Onboarding" in readme
    assert "/run-pipeline iris_pipeline.py seed=7 C=0.5" in readme
    secrets = {"github-webhook-secret"}
    for _, step in steps(docs):
        for env in step.get("env") or []:
            if "valueFrom" in env:
                secrets.add(env["valueFrom"]["secretKeyRef"]["name"])
    secrets.add("registry-credentials")
    for secret in secrets:
        assert re.search(rf"kubectl create secret \S+ {secret}\b", readme), secret


# --- the CEL filters on real payloads -------------------------------------------------


def cel(expression: str, event: dict[str, Any]) -> Any:
    """Evaluate a Tekton CEL expression with cel-python.

    ``substring`` is cel-go's strings extension, which Tekton's CEL interceptor
    loads; cel-python lacks it, so it is supplied here with the same meaning.
    """
    import celpy

    env = celpy.Environment()
    program = env.program(
        env.compile(expression),
        functions={
            "substring": lambda text, start: celpy.celtypes.StringType(text[start:])
        },
    )
    try:
        result = program.evaluate({"body": celpy.json_to_cel(event)})
    except celpy.CELEvalError:
        return None  # Tekton drops an event whose filter errors
    if isinstance(result, celpy.celtypes.BoolType):
        return bool(result)
    return str(result) if isinstance(result, celpy.celtypes.StringType) else result


def filters(docs: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    listener = resource(docs, "EventListener", "github-listener")["spec"]
    found = {}
    for trigger in listener["triggers"]:
        interceptor = next(
            i for i in trigger["interceptors"] if i["ref"]["name"] == "cel"
        )
        found[trigger["name"]] = {p["name"]: p["value"] for p in interceptor["params"]}
    return found


def payload(corpus: Path, name: str) -> dict[str, Any]:
    return json.loads((corpus / "github-webhooks" / name).read_text())


def test_commit_ci_filter_on_push_payloads(
    docs: dict[str, list[Any]], corpus: Path
) -> None:
    commit_ci = filters(docs)["commit-ci"]
    tag_delete = payload(corpus, "push/payload.json")
    assert cel(commit_ci["filter"], tag_delete) is not True
    branch = payload(corpus, "push/with-new-branch.payload.json")
    assert cel(commit_ci["filter"], branch) is True
    feature = copy.deepcopy(branch)
    feature["ref"] = "refs/heads/feature/lakefs-ormb-lakefs"
    overlay = commit_ci["overlays"][0]
    assert overlay["key"] == "branch"
    assert cel(overlay["expression"], feature) == "feature/lakefs-ormb-lakefs"
    ci_commit = copy.deepcopy(branch)
    ci_commit["head_commit"]["message"] = "ci: point components at images x [skip ci]"
    assert cel(commit_ci["filter"], ci_commit) is False
    deleted = copy.deepcopy(branch)
    deleted.update(deleted=True, head_commit=None)
    assert cel(commit_ci["filter"], deleted) is not True


def test_run_pipeline_filter_on_comment_payloads(
    docs: dict[str, list[Any]], corpus: Path
) -> None:
    run = filters(docs)["run-pipeline"]["filter"]
    created = payload(corpus, "issue_comment/created.payload.json")
    assert cel(run, created) is False  # an issue, and not a command
    on_pr = copy.deepcopy(created)
    on_pr["issue"]["pull_request"] = {"url": created["issue"]["url"]}
    on_pr["comment"]["body"] = "/run-pipeline example_pipeline.py x=1"
    assert cel(run, on_pr) is True
    for name in (
        "issue_comment/edited.payload.json",
        "issue_comment/deleted.payload.json",
    ):
        changed = copy.deepcopy(payload(corpus, name))
        changed["issue"]["pull_request"] = on_pr["issue"]["pull_request"]
        changed["comment"]["body"] = on_pr["comment"]["body"]
        assert cel(run, changed) is False, name
    huge = copy.deepcopy(on_pr)
    huge["comment"]["body"] += " " + "a" * 100_000
    assert cel(run, huge) is False
    second_line = copy.deepcopy(on_pr)
    second_line["comment"]["body"] = "please\n/run-pipeline x.py"
    assert cel(run, second_line) is False


def test_prune_filter_on_pull_request_payloads(
    docs: dict[str, list[Any]], corpus: Path
) -> None:
    prune = filters(docs)["prune-closed-branch"]["filter"]
    closed = payload(corpus, "pull_request/closed.payload.json")
    assert cel(prune, closed) is True
    assert cel(prune, payload(corpus, "pull_request/opened.payload.json")) is False
    fork = copy.deepcopy(closed)
    fork["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
    assert cel(prune, fork) is False
    default = copy.deepcopy(closed)
    default["pull_request"]["head"]["ref"] = closed["repository"]["default_branch"]
    assert cel(prune, default) is False


# --- the scripts themselves -----------------------------------------------------------


def test_every_script_is_valid_shell_or_python(
    docs: dict[str, list[Any]], tmp_path: Path
) -> None:
    import subprocess

    checked = 0
    for where, step in steps(docs):
        script = step.get("script")
        if not script:
            continue
        shebang = script.splitlines()[0]
        if "python" in shebang:
            compile(script, where, "exec")
        else:
            assert shebang in ("#!/bin/sh", "#!/busybox/sh"), (where, shebang)
            path = tmp_path / "script.sh"
            path.write_text(script)
            done = subprocess.run(["sh", "-n", str(path)], capture_output=True)
            assert done.returncode == 0, (where, done.stderr)
            if "<<'PY'" in script:
                embedded = script.split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
                compile(embedded, where + ":python", "exec")
        checked += 1
    assert checked >= 15


def test_kaniko_plan_builds_every_compose_image_below_the_registry(
    docs: dict[str, list[Any]], project: Path, tmp_path: Path
) -> None:
    """Run the plan step's Python on the generated project's compose file."""
    import os
    import subprocess
    import sys

    task = resource(docs, "Pipeline", "commit-ci")["spec"]["tasks"][2]
    step = next(s for s in task["taskSpec"]["steps"] if s["name"] == "plan-builds")
    code = step["script"].split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    plan = tmp_path / "plan.tsv"
    env = dict(
        os.environ,
        TAG="feature-x-abcdef1",
        REGISTRY="harbor.example.com/dsp",
        PLAN=str(plan),
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in plan.read_text().splitlines()]
    components = project / "workflows" / "components"
    assert sorted(rows) == sorted(
        [
            [
                str(components / "lakefs-download-file"),
                str(components / "lakefs-download-file" / "Dockerfile"),
                "harbor.example.com/dsp/iris-classifier-lakefs-download-file"
                ":feature-x-abcdef1",
            ],
            [
                str(project),
                str(project / "workflows/components/train-ormb-component/Dockerfile"),
                "harbor.example.com/dsp/iris-classifier-train-ormb-component"
                ":feature-x-abcdef1",
            ],
            [
                str(project),
                str(project / "workflows/components/promote-model/Dockerfile"),
                "harbor.example.com/dsp/iris-classifier-promote-model"
                ":feature-x-abcdef1",
            ],
            [
                str(project),
                str(project / "Dockerfile"),
                "harbor.example.com/dsp/iris-classifier-steps:feature-x-abcdef1",
            ],
            [
                str(project),
                str(project / "workflows/components/monitor-model/Dockerfile"),
                "harbor.example.com/dsp/iris-classifier-monitor-model"
                ":feature-x-abcdef1",
            ],
        ]
    )
    for context, dockerfile, _ in rows:
        assert Path(dockerfile).is_file() and Path(context).is_dir()
    env["REGISTRY"] = "evil.example.com"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True
    )
    assert done.returncode == 1 and b"is not below the registry" in done.stderr


def test_readme_comments_run_against_the_generated_pipeline(project: Path) -> None:
    """Every /run-pipeline example in the README passes the checks that CI runs."""
    from precommit_hooks.access import chatops

    readme = (project / ".tekton" / "README.md").read_text()
    examples = re.findall(r"^/run-pipeline .*$", readme, flags=re.M)
    assert len(examples) == 3
    # The project's own README shows comments too: no bare `/run-pipeline`.
    top = re.findall(r"^/run-pipeline\b.*$", (project / "README.md").read_text(), re.M)
    assert len(top) == 2
    examples += top
    specs = chatops.pipeline_input_specs_of(
        str(project / "workflows" / "iris_pipeline.py")
    )
    for comment in examples:
        request = chatops.parse_comment(comment)
        assert request.pipeline == "workflows/iris_pipeline.py"
        chatops.check_against_repo(request, str(project), lambda path: specs)


def test_ci_is_installed_in_its_own_namespace_everywhere(
    project: Path, docs: dict[str, list[Any]]
) -> None:
    """Kubeflow's profile controller will not adopt an existing namespace named
    like the profile, so every install step names `<slug>-ci`, and the
    manifests pin no namespace (they go where `kubectl apply` is pointed)."""
    slug = project.name
    readme = (project / ".tekton" / "README.md").read_text()
    named = re.findall(
        r"(?:create namespace |--namespace=|--serviceaccount=|namespace: )([\w.-]+)",
        readme,
    )
    assert named and set(named) == {f"{slug}-ci"}, named
    assert f"kubectl create namespace {slug}-ci" in readme
    for name, documents in docs.items():
        for document in documents:
            metadata = document.get("metadata") or {}
            assert "namespace" not in metadata, (name, metadata)
