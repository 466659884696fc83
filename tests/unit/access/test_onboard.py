"""dsp onboard: profiles.yaml -> Kubeflow Profile, RoleBindings, AuthorizationPolicies.

The manifests are checked against the Kubernetes schemas (kubernetes-validate)
where schemas exist, and against the fields Kubeflow and Istio document where
they do not (Profile and AuthorizationPolicy are CRDs).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from precommit_hooks import cli

from precommit_hooks.access import manifests, onboard
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES / "onboard"
EXAMPLE = FIXTURES / "profiles.yaml"
LIVE = FIXTURES / "live.yaml"
K8S_VERSION = "1.30"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def run_dsp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``dsp onboard ...`` in-process; return (exit code, stdout, stderr)."""
    code = cli.main(["onboard", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_profiles(path: Path, name: str, admins: list, contributors: list) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"profiles": {"name": name, "admins": admins, "contributors": contributors}}
        ),
        encoding="utf-8",
    )
    return path


def by_kind(resources: list[dict]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for resource in resources:
        kinds.setdefault(resource["kind"], []).append(resource)
    return kinds


# --- the platform's example ----------------------------------------------


@pytest.fixture(scope="module")
def example() -> list[dict]:
    """The example's manifests, as the CLI prints them, parsed back."""
    team = onboard.load_team(str(EXAMPLE))
    text = onboard.dump(onboard.render(team))
    return list(yaml.safe_load_all(text))


def test_example_gives_one_profile_two_rolebindings_two_policies(example):
    kinds = by_kind(example)
    assert {k: len(v) for k, v in kinds.items()} == {
        "Profile": 1,
        "RoleBinding": 2,
        "AuthorizationPolicy": 2,
    }
    users = {rb["subjects"][0]["name"] for rb in kinds["RoleBinding"]}
    assert users == {"bob@example.com", "carol.smith@example.com"}
    assert {
        p["metadata"]["annotations"]["user"] for p in kinds["AuthorizationPolicy"]
    } == users


def test_profile_is_named_after_the_file_and_owned_by_the_first_admin(example):
    (profile,) = by_kind(example)["Profile"]
    assert profile["apiVersion"] == "kubeflow.org/v1"
    assert profile["metadata"]["name"] == "iris-classifier"
    assert "namespace" not in profile["metadata"]  # Profiles are cluster-scoped
    assert profile["spec"]["owner"] == {"kind": "User", "name": "alice@example.com"}


def test_rolebindings_validate_against_the_kubernetes_schema(example):
    for rolebinding in by_kind(example)["RoleBinding"]:
        # strict: an unknown or misspelt field is an error, not ignored
        kubernetes_validate.validate(rolebinding, K8S_VERSION, strict=True)


def test_a_broken_rolebinding_fails_the_same_schema(example):
    broken = json.loads(json.dumps(by_kind(example)["RoleBinding"][0]))
    broken["roleRef"]["kidn"] = broken["roleRef"].pop("kind")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_rolebindings_carry_what_kfam_reads(example):
    """Kubeflow's 'Manage Contributors Manually': name, annotations, roleRef."""
    for rb in by_kind(example)["RoleBinding"]:
        meta, user = rb["metadata"], rb["subjects"][0]["name"]
        assert meta["namespace"] == "iris-classifier"
        assert meta["annotations"] == {"role": "edit", "user": user}
        assert rb["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "kubeflow-edit",
        }
        assert rb["subjects"] == [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
        ]
        assert meta["name"].startswith("user-") and meta["name"].endswith(
            "-clusterrole-edit"
        )


def test_plain_email_gets_exactly_the_kfam_name(example):
    names = {rb["metadata"]["name"] for rb in by_kind(example)["RoleBinding"]}
    assert "user-bob-example-com-clusterrole-edit" in names


def test_authorization_policies_carry_the_documented_fields(example):
    """Istio security.istio.io/v1beta1, as Kubeflow documents for a contributor."""
    rolebindings = {
        rb["metadata"]["name"]: rb for rb in by_kind(example)["RoleBinding"]
    }
    for policy in by_kind(example)["AuthorizationPolicy"]:
        assert policy["apiVersion"] == "security.istio.io/v1beta1"
        meta = policy["metadata"]
        user = meta["annotations"]["user"]
        assert meta["annotations"] == {"role": "edit", "user": user}
        assert meta["namespace"] == "iris-classifier"
        # same name as the member's RoleBinding, as KFAM makes them
        assert rolebindings[meta["name"]]["subjects"][0]["name"] == user
        assert set(policy["spec"]) == {"rules"}
        (rule,) = policy["spec"]["rules"]
        assert set(rule) == {"from", "when"}
        assert rule["from"] == [
            {
                "source": {
                    "principals": [
                        "cluster.local/ns/istio-system/sa/"
                        "istio-ingressgateway-service-account",
                        "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
                    ]
                }
            }
        ]
        assert rule["when"] == [
            {"key": "request.headers[kubeflow-userid]", "values": [user]}
        ]


def test_every_resource_is_labelled_ours(example):
    for resource in example:
        assert resource["metadata"]["labels"] == {
            "app.kubernetes.io/managed-by": "dsp-onboard",
            "dsp-onboard/profile": "iris-classifier",
        }
        assert onboard.is_ours(resource, "iris-classifier")
        assert not onboard.is_ours(resource, "another-profile")


def test_other_admins_get_kubeflow_admin(tmp_path, capsys):
    path = write_profiles(
        tmp_path / "profiles.yaml",
        "team",
        ["owner@example.com", "second@example.com"],
        ["c@example.com"],
    )
    code, out, _ = run_dsp(capsys, "--profiles", str(path))
    assert code == 0
    rbs = {
        rb["subjects"][0]["name"]: rb
        for rb in yaml.safe_load_all(out)
        if rb["kind"] == "RoleBinding"
    }
    assert set(rbs) == {"second@example.com", "c@example.com"}  # not the owner
    admin = rbs["second@example.com"]
    assert admin["roleRef"]["name"] == "kubeflow-admin"
    assert admin["metadata"]["annotations"]["role"] == "admin"
    assert admin["metadata"]["name"] == "user-second-example-com-clusterrole-admin"
    kubernetes_validate.validate(admin, K8S_VERSION, strict=True)


def test_namespace_and_userid_options(tmp_path, capsys):
    code, out, _ = run_dsp(
        capsys,
        "--profiles",
        str(EXAMPLE),
        "--namespace",
        "iris-dev",
        "--userid-prefix",
        "accounts.google.com:",
        "--principal",
        "cluster.local/ns/gw/sa/gateway",
    )
    assert code == 0
    docs = list(yaml.safe_load_all(out))
    assert docs[0]["metadata"]["name"] == "iris-dev"
    for doc in docs[1:]:
        assert doc["metadata"]["namespace"] == "iris-dev"
        assert doc["metadata"]["labels"]["dsp-onboard/profile"] == "iris-dev"
    policy = next(d for d in docs if d["kind"] == "AuthorizationPolicy")
    rule = policy["spec"]["rules"][0]
    assert rule["from"][0]["source"]["principals"] == ["cluster.local/ns/gw/sa/gateway"]
    assert rule["when"][0]["values"][0].startswith("accounts.google.com:")


def test_bad_userid_header_is_refused(capsys):
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--userid-header", "x]||true"
    )
    assert (code, out) == (1, "")
    assert "is not an HTTP header name" in err


def test_bad_namespace_is_refused(capsys):
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--namespace", "Iris_Dev"
    )
    assert (code, out) == (1, "")
    assert "--namespace 'Iris_Dev' is not a DNS-1123 label" in err


# --- names ---------------------------------------------------------------

HARD_EMAILS = [
    "jane.doe@example.com",
    "jane-doe@example.com",  # same safe form as jane.doe
    "jane@doe.example.com",  # same safe form again ('@' vs '.')
    "jane.doe+ml@example.com",
    "jane.doe+ai@example.com",  # differs only after '+'
    "Jane.Doe.Two@Example.COM",  # capitals
    "x" * 60 + "@example.com",  # too long for a name
    "x" * 60 + "@example.org",  # differs only past the cut
    "very.long.first.name.and.family.name@subdomain.department.example.com",
    "o'brien@example.com",
    "user_name@example.com",
    "josé@example.com",  # non-ASCII local part
    "a@b.co",
]


@pytest.mark.parametrize("role", ["edit", "admin"])
def test_hard_emails_give_valid_distinct_names(role):
    names = [manifests.resource_name(email, role) for email in HARD_EMAILS]
    for email, name in zip(HARD_EMAILS, names):
        assert len(name) <= 63, (email, name)
        assert DNS_LABEL.match(name), (email, name)
        assert name.startswith("user-") and name.endswith(f"-clusterrole-{role}")
    assert len(set(names)) == len(names), names


def test_names_are_stable_and_ignore_case():
    """A name depends on the email alone (not on who else is listed), so adding
    someone never renames anyone else's bindings."""
    first = manifests.resource_name("Jane.Doe@Example.com", "edit")
    assert first == manifests.resource_name("jane.doe@example.com", "edit")
    # the first 8 hex digits of sha256("jane.doe@example.com"), pinned: a change
    # would rename (delete and re-create) every such binding on the next run
    assert first == "user-jane-doe-example-com-86e0b9e5-clusterrole-edit"
    assert manifests.resource_name("a@b.co", "edit") == "user-a-b-co-clusterrole-edit"


def test_hard_emails_render_through_the_cli(tmp_path, capsys):
    path = write_profiles(
        tmp_path / "profiles.yaml", "hard", ["owner@example.com"], HARD_EMAILS
    )
    code, out, err = run_dsp(capsys, "--profiles", str(path))
    assert (code, err) == (0, "")
    docs = list(yaml.safe_load_all(out))
    rbs = [d for d in docs if d["kind"] == "RoleBinding"]
    assert len(rbs) == len(HARD_EMAILS)
    assert len({rb["metadata"]["name"] for rb in rbs}) == len(HARD_EMAILS)
    for rb in rbs:
        kubernetes_validate.validate(rb, K8S_VERSION, strict=True)
    # the raw email, exactly as written, is the subject and the header value
    assert {rb["subjects"][0]["name"] for rb in rbs} == set(HARD_EMAILS)
    values = {
        d["spec"]["rules"][0]["when"][0]["values"][0]
        for d in docs
        if d["kind"] == "AuthorizationPolicy"
    }
    assert values == set(HARD_EMAILS)


# --- refusals ------------------------------------------------------------


@pytest.mark.parametrize(
    "admins, contributors, rule, words",
    [
        ([], ["bob@example.com"], "profiles-admins", "admins is empty"),
        (
            ["alice@example.com"],
            ["bob@example.com", "Bob@Example.com"],
            "profiles-duplicate",
            "listed twice",
        ),
        (
            ["alice@example.com"],
            ["ALICE@example.com"],
            "profiles-overlap",
            "both admin",
        ),
        (["alice@example.com"], ["not-an-email"], "profiles-email", "not an email"),
    ],
)
def test_bad_profiles_are_refused_with_the_reason(
    tmp_path, capsys, admins, contributors, rule, words
):
    path = write_profiles(tmp_path / "profiles.yaml", "team", admins, contributors)
    code, out, err = run_dsp(capsys, "--profiles", str(path))
    assert code == 1
    assert out == ""  # nothing half-rendered
    assert err.count("\n") == 1 and err.startswith("dsp onboard: ")
    assert str(path) in err and f"[{rule}]" in err and words in err


def test_missing_profiles_file_is_refused(tmp_path, capsys):
    code, out, err = run_dsp(capsys, "--profiles", str(tmp_path / "nope.yaml"))
    assert (code, out) == (1, "")
    assert "nope.yaml" in err and "not found" in err and err.count("\n") == 1


def test_refusal_with_output_writes_nothing(tmp_path, capsys):
    path = write_profiles(tmp_path / "profiles.yaml", "team", [], [])
    code, _, _ = run_dsp(
        capsys, "--profiles", str(path), "--output", str(tmp_path / "out")
    )
    assert code == 1
    assert not (tmp_path / "out").exists()


# --- determinism ---------------------------------------------------------


def test_reordering_members_changes_nothing(tmp_path, capsys):
    owner = "owner@example.com"
    admins = ["zed@example.com", "amy@example.com", "Mid.Admin@example.com"]
    contributors = ["x@example.com", "b+1@example.com", "B@example.org", "c@x.io"]
    outputs = set()
    rng = random.Random(7)
    for attempt in range(5):
        rng.shuffle(admins)
        rng.shuffle(contributors)
        path = write_profiles(
            tmp_path / f"p{attempt}.yaml", "team", [owner, *admins], contributors
        )
        code, out, _ = run_dsp(capsys, "--profiles", str(path))
        assert code == 0
        outputs.add(out)
    assert len(outputs) == 1


def test_output_dir_writes_one_file_per_resource(tmp_path, capsys):
    out_dir = tmp_path / "manifests"
    code, out, _ = run_dsp(capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir))
    assert code == 0
    summary = json.loads(out)
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == summary["written"]
    assert len(files) == 5 and summary["removed"] == []
    assert summary["selector"] == onboard.selector("iris-classifier")
    assert summary["prune_allowlist"] == [
        "rbac.authorization.k8s.io/v1/RoleBinding",
        "security.istio.io/v1beta1/AuthorizationPolicy",
    ]
    assert "profile-iris-classifier.yaml" in files
    # the files hold exactly what stdout would print
    code, printed, _ = run_dsp(capsys, "--profiles", str(EXAMPLE))
    stdout_docs = list(yaml.safe_load_all(printed))
    file_docs = [yaml.safe_load((out_dir / name).read_text()) for name in files]

    def key(doc: dict) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    assert sorted(file_docs, key=key) == sorted(stdout_docs, key=key)


def test_output_files_get_the_mode_open_would_give(tmp_path, capsys):
    reference = tmp_path / "reference.yaml"
    reference.write_text("x")  # open() honours the umask; mkstemp alone gives 0600
    out_dir = tmp_path / "manifests"
    code, _, _ = run_dsp(capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir))
    assert code == 0
    modes = {p.stat().st_mode & 0o777 for p in out_dir.iterdir()}
    assert modes == {reference.stat().st_mode & 0o777}


def test_a_folder_where_a_manifest_goes_is_refused_before_writing(tmp_path, capsys):
    out_dir = tmp_path / "manifests"
    (out_dir / "profile-iris-classifier.yaml").mkdir(parents=True)
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir)
    )
    assert (code, out) == (1, "")
    assert err == (
        f"dsp onboard: --output {str(out_dir)!r}: profile-iris-classifier.yaml is a "
        "folder or special file where the manifest goes; move it away (nothing was "
        "written)\n"
    )
    assert [p.name for p in out_dir.iterdir()] == ["profile-iris-classifier.yaml"]


def test_output_dir_drops_removed_people_and_keeps_foreign_files(tmp_path, capsys):
    out_dir = tmp_path / "manifests"
    run_dsp(capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir))
    (out_dir / "kustomization.yaml").write_text("resources: []\n")
    (out_dir / "notes.txt").write_text("mine\n")
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    smaller = write_profiles(
        tmp_path / "profiles.yaml",
        "iris-classifier",
        ["alice@example.com"],
        ["carol.smith@example.com"],
    )
    code, out, _ = run_dsp(capsys, "--profiles", str(smaller), "--output", str(out_dir))
    assert code == 0
    summary = json.loads(out)
    assert summary["removed"] == [
        "authorizationpolicy-user-bob-example-com-clusterrole-edit.yaml",
        "rolebinding-user-bob-example-com-clusterrole-edit.yaml",
    ]
    after = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    assert set(after) == set(before) - set(summary["removed"])
    assert after["kustomization.yaml"] == before["kustomization.yaml"]
    # unchanged people: byte-identical files, and no temporary files left behind
    for name in after:
        if name not in ("kustomization.yaml", "notes.txt"):
            assert after[name] == before[name]
    assert not [n for n in after if n.startswith(".")]


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--output", str(target)
    )
    assert (code, out) == (1, "")
    assert str(target) in err and "is not a directory" in err
    assert err.count("\n") == 1
    below = target / "manifests"  # its parent is a file: cannot be created
    code, out, err = run_dsp(capsys, "--profiles", str(EXAMPLE), "--output", str(below))
    assert (code, out) == (1, "")
    assert "cannot create the directory" in err and err.count("\n") == 1


# --- pruning -------------------------------------------------------------


def test_prune_plan_deletes_only_ours_and_only_the_removed(tmp_path, capsys):
    """Bob leaves; the live state also holds KFAM's binding for dave (no label),
    the profile controller's namespaceAdmin, and another profile's binding."""
    without_bob = write_profiles(
        tmp_path / "profiles.yaml",
        "iris-classifier",
        ["alice@example.com"],
        ["carol.smith@example.com"],
    )
    code, out, err = run_dsp(
        capsys, "--profiles", str(without_bob), "--prune-plan", "--current", str(LIVE)
    )
    assert (code, err) == (0, "")
    plan = json.loads(out)
    assert plan["namespace"] == "iris-classifier"
    assert plan["selector"] == onboard.selector("iris-classifier")
    assert [(d["kind"], d["name"]) for d in plan["delete"]] == [
        ("RoleBinding", "user-bob-example-com-clusterrole-edit"),
        ("AuthorizationPolicy", "user-bob-example-com-clusterrole-edit"),
    ]
    code, names, _ = run_dsp(
        capsys,
        "--profiles",
        str(without_bob),
        "--prune-plan",
        "--current",
        str(LIVE),
        "--format",
        "names",
    )
    assert names.splitlines() == [
        "rolebinding.rbac.authorization.k8s.io/user-bob-example-com-clusterrole-edit",
        "authorizationpolicy.security.istio.io/user-bob-example-com-clusterrole-edit",
    ]


def test_prune_plan_is_empty_when_nobody_left(capsys):
    code, out, _ = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--prune-plan", "--current", str(LIVE)
    )
    assert code == 0
    # carol's live policy is served at security.istio.io/v1: same resource
    assert json.loads(out)["delete"] == []


def test_prune_plan_never_deletes_a_profile_or_foreign_resources():
    team = onboard.Team("p", "o@example.com", ())
    ours = manifests.labels("p")
    live = [
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Profile",
            "metadata": {"name": "old-name", "labels": ours},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "elsewhere", "namespace": "q", "labels": ours},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "p", "labels": ours},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": "half-labelled",
                "namespace": "p",
                "labels": {"app.kubernetes.io/managed-by": "dsp-onboard"},
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "gone", "namespace": "p", "labels": ours},
        },
    ]
    plan = onboard.prune_plan(live, onboard.render(team), "p")
    assert [item["name"] for item in plan] == ["gone"]


def test_prune_plan_reads_plain_documents_and_refuses_garbage(tmp_path, capsys):
    current = tmp_path / "current.yaml"
    current.write_text("- just\n- a list\n")
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--prune-plan", "--current", str(current)
    )
    assert (code, out) == (1, "")
    assert str(current) in err and "kubectl get" in err
    code, _, err = run_dsp(capsys, "--profiles", str(EXAMPLE), "--prune-plan")
    assert code == 1 and "--current" in err


# --- the generated project's onboarding pipeline ---------------------------

# Tekton variables that carry event or run data: never inside a script body.
TEKTON_VARIABLE = re.compile(
    r"\$\((params|tt\.params|body|header|extensions|tasks|workspaces|results|context)\b"
)


def tekton_documents(folder: Path) -> list[dict]:
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


@pytest.fixture(scope="module")
def onboarding(baked_project: Path) -> dict[str, dict]:
    """The baked project's onboarding.yaml, by kind."""
    path = baked_project / ".tekton" / "onboarding.yaml"
    docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    kinds = {d["kind"]: d for d in docs}
    assert len(kinds) == len(docs) == 4, [d["kind"] for d in docs]
    return kinds


def steps_of(pipeline: dict):
    for task in pipeline["spec"]["tasks"]:
        for step in task["taskSpec"]["steps"]:
            yield task, step


def test_onboarding_yaml_declares_trigger_binding_template_pipeline(onboarding):
    assert set(onboarding) == {
        "Trigger",
        "TriggerBinding",
        "TriggerTemplate",
        "Pipeline",
    }
    for kind in ("Trigger", "TriggerBinding", "TriggerTemplate"):
        assert onboarding[kind]["apiVersion"] == "triggers.tekton.dev/v1beta1"
    assert onboarding["Pipeline"]["apiVersion"] == "tekton.dev/v1"
    trigger = onboarding["Trigger"]["spec"]
    assert trigger["bindings"] == [
        {"ref": onboarding["TriggerBinding"]["metadata"]["name"]}
    ]
    assert trigger["template"] == {
        "ref": onboarding["TriggerTemplate"]["metadata"]["name"]
    }
    (run,) = onboarding["TriggerTemplate"]["spec"]["resourcetemplates"]
    assert run["kind"] == "PipelineRun" and run["apiVersion"] == "tekton.dev/v1"
    assert (
        run["spec"]["pipelineRef"]["name"] == onboarding["Pipeline"]["metadata"]["name"]
    )


def test_trigger_joins_the_event_listener_and_checks_the_signature(
    onboarding, baked_project
):
    listeners = [
        d
        for d in tekton_documents(baked_project / ".tekton")
        if d["kind"] == "EventListener"
    ]
    assert listeners, "no EventListener in the generated .tekton/"
    wanted = onboarding["Trigger"]["metadata"]["labels"]
    selected = [
        el
        for el in listeners
        if all(
            wanted.get(k) == v
            for k, v in el["spec"]["labelSelector"]["matchLabels"].items()
        )
    ]
    assert selected, "no EventListener selects the onboarding Trigger's labels"
    github, cel = onboarding["Trigger"]["spec"]["interceptors"]
    assert github["ref"]["name"] == "github"
    params = {p["name"]: p["value"] for p in github["params"]}
    assert params["eventTypes"] == ["push"]
    # the same webhook secret as the listener's own triggers
    listener_secrets = {
        json.dumps(p["value"], sort_keys=True)
        for el in selected
        for t in el["spec"].get("triggers", [])
        for i in t.get("interceptors", [])
        for p in i.get("params", [])
        if p["name"] == "secretRef"
    }
    assert json.dumps(params["secretRef"], sort_keys=True) in listener_secrets
    assert cel["ref"]["name"] == "cel"


def cel_filter(onboarding: dict):
    import celpy

    (interceptor,) = [
        i
        for i in onboarding["Trigger"]["spec"]["interceptors"]
        if i["ref"]["name"] == "cel"
    ]
    (expression,) = [p["value"] for p in interceptor["params"] if p["name"] == "filter"]
    env = celpy.Environment()
    program = env.program(env.compile(expression))
    return lambda payload: bool(program.evaluate({"body": celpy.json_to_cel(payload)}))


def push_with(
    corpus: Path, files: dict[str, list[str]], ref: str | None = None
) -> dict:
    """A real push payload (a push to the default branch) with changed files."""
    real = corpus / "github-webhooks" / "push" / "with-new-branch.payload.json"
    payload = json.loads(real.read_text())
    commit = payload["commits"][0]
    for key in ("added", "modified", "removed"):
        commit[key] = list(files.get(key, []))
    if ref is not None:
        payload["ref"] = ref
    return payload


@pytest.mark.parametrize("change", ["added", "modified", "removed"])
def test_cel_runs_on_profiles_changes_on_the_default_branch(onboarding, corpus, change):
    accepts = cel_filter(onboarding)
    payload = push_with(corpus, {change: ["profiles.yaml"]})
    assert payload["ref"] == "refs/heads/" + payload["repository"]["default_branch"]
    assert accepts(payload)


def test_cel_skips_other_pushes(onboarding, corpus):
    accepts = cel_filter(onboarding)
    # the corpus as it is: tag pushes and a README change on the default branch
    for path in sorted((corpus / "github-webhooks" / "push").glob("*.json")):
        assert not accepts(json.loads(path.read_text())), path.name
    assert not accepts(
        push_with(corpus, {"modified": ["profiles.yaml"]}, "refs/heads/feature")
    )
    assert not accepts(
        push_with(corpus, {"modified": ["profiles.yaml"]}, "refs/tags/master")
    )
    assert not accepts(
        push_with(corpus, {"modified": ["docs/profiles.yaml", "README.md"]})
    )
    deleted = push_with(corpus, {"modified": ["profiles.yaml"]})
    deleted["deleted"] = True
    assert not accepts(deleted)


def test_cel_runs_on_a_force_push_to_the_default_branch(onboarding, corpus):
    """A force push can drop a commit that changed profiles.yaml without
    listing the file: onboarding runs (it is idempotent)."""
    accepts = cel_filter(onboarding)
    forced = push_with(corpus, {"modified": ["README.md"]})
    assert not accepts(forced)
    forced["forced"] = True
    assert accepts(forced)
    forced["ref"] = "refs/heads/feature"
    assert not accepts(forced)


def test_binding_reads_fields_every_push_payload_has(onboarding, corpus):
    params = onboarding["TriggerBinding"]["spec"]["params"]
    fields = {p["name"]: p["value"] for p in params}
    assert fields == {
        "repo-url": "$(body.repository.clone_url)",
        "revision": "$(body.after)",
        "default-branch": "$(body.repository.default_branch)",
    }
    for path in (corpus / "github-webhooks" / "push").glob("*.json"):
        payload = json.loads(path.read_text())
        assert payload["repository"]["clone_url"] and len(payload["after"]) == 40
        assert payload["repository"]["default_branch"]


def test_pipeline_runs_check_onboard_apply_in_order(onboarding):
    tasks = onboarding["Pipeline"]["spec"]["tasks"]
    assert [t["name"] for t in tasks] == [
        "fetch-source",
        "check-profiles",
        "dsp-onboard",
        "still-current",
        "kubectl-apply",
    ]
    for before, task in zip(tasks, tasks[1:]):
        assert task["runAfter"] == [before["name"]]
    scripts = {
        t["name"]: " ".join(s["script"] for s in t["taskSpec"]["steps"]) for t in tasks
    }
    assert 'check-profiles "$PROFILES"' in scripts["check-profiles"]
    assert "dsp onboard --profiles" in scripts["dsp-onboard"]
    apply = scripts["kubectl-apply"]
    assert '--prune -l "$SELECTOR"' in apply
    allowlist = re.findall(r"--prune-allowlist=(\S+)", apply)
    assert allowlist == list(onboard.PRUNE_ALLOWLIST)  # never Profiles


def test_pipeline_is_pinned_and_keeps_event_data_out_of_scripts(onboarding):
    template = onboarding["TriggerTemplate"]["spec"]["resourcetemplates"][0]
    account = template["spec"]["taskRunTemplate"]["serviceAccountName"]
    assert account == "dsp-onboarding"
    for task, step in steps_of(onboarding["Pipeline"]):
        where = f"{task['name']}/{step['name']}"
        image = step["image"]
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest" and re.search(r"\d", tag), where
        assert not TEKTON_VARIABLE.search(step["script"]), where
        for env in step.get("env", []):
            if "valueFrom" in env:
                assert set(env["valueFrom"]) == {"secretKeyRef"}, where
            else:
                assert "token" not in env["name"].lower(), where


def test_generated_onboarding_yaml_passes_check_tekton(baked_project, capsys):
    """check-tekton reads the folder's other files as context (the bindings and
    template refs resolve across them) and reports on onboarding.yaml alone;
    --strict: not even a warning."""
    from precommit_hooks.hooks import check_tekton as tekton

    path = baked_project / ".tekton" / "onboarding.yaml"
    code = tekton.main(["--strict", str(path)])
    out = capsys.readouterr().out
    assert (code, out) == (0, "")


def test_readme_documents_onboarding_and_its_rbac(baked_project, onboarding):
    text = (baked_project / ".tekton" / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Onboarding\n", 1)[1].split("\n## ", 1)[0]
    assert "profiles.yaml" in section and "kubectl apply --prune" in section
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    docs = [d for d in yaml.safe_load_all(block) if d]
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    kinds = {d["kind"]: d for d in docs}
    assert kinds["ServiceAccount"]["metadata"]["name"] == "dsp-onboarding"
    rules = kinds["ClusterRole"]["rules"]
    bind = [r for r in rules if r["verbs"] == ["bind"]]
    assert bind and set(bind[0]["resourceNames"]) == set(
        manifests.CLUSTER_ROLES.values()
    )
    granted = {
        (g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]
    }
    assert ("kubeflow.org", "profiles") in granted
    assert ("rbac.authorization.k8s.io", "rolebindings") in granted
    assert ("security.istio.io", "authorizationpolicies") in granted
    subject = kinds["ClusterRoleBinding"]["subjects"][0]
    assert subject["name"] == kinds["ServiceAccount"]["metadata"]["name"]
    # and the project's own README sends readers there
    readme = (baked_project / "README.md").read_text(encoding="utf-8")
    access = readme.split("\n## Who has access\n", 1)[1].split("\n## ", 1)[0]
    assert "profiles.yaml" in access and "[.tekton/README.md]" in access


FAKE_KUBECTL = """#!/bin/sh
# kubectl stand-in: record the call; namespaces exist; 'get -o yaml' prints $LIVE_STATE
printf '%s\\n' "$*" >> "$KUBECTL_LOG"
if [ "$1" = get ] && [ "$2" != namespace ]; then
  cat "$LIVE_STATE"
fi
"""
# git stand-in for 'git ls-remote URL REF': the branch tip is $BRANCH_TIP
FAKE_GIT = """#!/bin/sh
printf '%s\\t%s\\n' "$BRANCH_TIP" "$5"
"""
PUSHED = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def substitute(value: str, variables: dict[str, str]) -> str:
    """Tekton's $(...) substitution for the variables a step's env may use."""

    def one(match: re.Match) -> str:
        assert match.group(1) in variables, f"undeclared {match.group(0)}"
        return variables[match.group(1)]

    return re.sub(r"\$\(([a-z][\w.-]*)\)", one, value)


def run_pipeline(
    pipeline: dict, repo: Path, tmp_path: Path, branch_tip: str, live: Path = LIVE
) -> tuple[list[str], str | None]:
    """Run the Pipeline as Tekton would (params, results, ``when``, each step's
    script with sh and its env, stopping at the first failure), after the
    clone, with kubectl and git faked.

    Returns the kubectl calls, one string each, and the failed step's stderr."""
    import shutil
    import subprocess
    import sys

    workspace = tmp_path / "ws"
    shutil.copytree(repo, workspace / "repo")
    (workspace / "venv").symlink_to(sys.prefix)  # the real dsp and check-profiles
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name, text in (("kubectl", FAKE_KUBECTL), ("git", FAKE_GIT)):
        (fake_bin / name).write_text(text)
        (fake_bin / name).chmod(0o755)
    log = tmp_path / "kubectl.log"
    log.touch()
    given = {
        "repo-url": "https://github.com/example/iris-classifier.git",
        "revision": PUSHED,
        "default-branch": "master",
    }
    values = {
        f"params.{p['name']}": given.get(p["name"], str(p.get("default", "")))
        for p in pipeline["spec"]["params"]
    }
    for task in pipeline["spec"]["tasks"]:
        if task["name"] == "fetch-source":  # needs the network: done by copytree
            continue
        if any(
            substitute(w["input"], values) not in w["values"]
            for w in task.get("when", [])
        ):
            continue
        spec = task["taskSpec"]
        variables = {"workspaces.source.path": str(workspace)}
        for param in task.get("params", []):
            variables[f"params.{param['name']}"] = substitute(param["value"], values)
        result_dir = tmp_path / "results" / task["name"]
        result_dir.mkdir(parents=True)
        for result in spec.get("results", []):
            variables[f"results.{result['name']}.path"] = str(
                result_dir / result["name"]
            )
        for step in spec["steps"]:
            env = {
                "PATH": f"{fake_bin}:/usr/bin:/bin",
                "KUBECTL_LOG": str(log),
                "LIVE_STATE": str(live),
                "BRANCH_TIP": branch_tip,
                "HOME": str(tmp_path),
            }
            for item in step.get("env", []):
                if "valueFrom" in item:
                    env[item["name"]] = "not-a-real-token"
                else:
                    env[item["name"]] = substitute(item["value"], variables)
            cwd = substitute(step.get("workingDir", str(tmp_path)), variables)
            done = subprocess.run(
                ["sh", "-c", step["script"]],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if done.returncode:
                return log.read_text().splitlines(), done.stderr
        for result in spec.get("results", []):
            value = (result_dir / result["name"]).read_text()
            values[f"tasks.{task['name']}.results.{result['name']}"] = value
    return log.read_text().splitlines(), None


def test_pipeline_steps_run_end_to_end_with_kubectl_faked(
    onboarding, baked_project, tmp_path
):
    """The real check-profiles and dsp, with only kubectl and git faked.

    The baked project lists one admin and no contributors: the live state from
    the fixture still holds bob's and carol's access, which must go, while
    KFAM's binding for dave and another profile's binding stay."""
    calls, failed = run_pipeline(
        onboarding["Pipeline"], baked_project, tmp_path, PUSHED
    )
    assert failed is None
    ns = "iris-classifier"
    selector = onboard.selector(ns)
    manifests = tmp_path / "ws" / "onboarding"
    assert calls == [
        "get profiles.kubeflow.org,rolebindings.rbac.authorization.k8s.io,"
        f"authorizationpolicies.security.istio.io -n {ns} -l {selector} -o yaml",
        f"apply -f {manifests}/profile-{ns}.yaml",
        f"get namespace {ns}",
        f"apply -f {manifests} --prune -l {selector} "
        "--prune-allowlist=rbac.authorization.k8s.io/v1/RoleBinding "
        "--prune-allowlist=security.istio.io/v1beta1/AuthorizationPolicy",
        f"delete -n {ns} --ignore-not-found "
        "rolebinding.rbac.authorization.k8s.io/user-bob-example-com-clusterrole-edit "
        "authorizationpolicy.security.istio.io/user-bob-example-com-clusterrole-edit "
        "authorizationpolicy.security.istio.io/"
        "user-carol-smith-example-com-e044063a-clusterrole-edit",
    ]
    assert sorted(p.name for p in manifests.iterdir()) == [f"profile-{ns}.yaml"]


def test_a_superseded_run_applies_nothing(onboarding, baked_project, tmp_path):
    """Runs are not serialised: when the default branch has moved on, the older
    run must not overwrite (re-grant) what the newer one applies."""
    newer = "0" * 40
    calls, failed = run_pipeline(onboarding["Pipeline"], baked_project, tmp_path, newer)
    assert (calls, failed) == ([], None)
    current = tmp_path / "results" / "still-current" / "current"
    assert current.read_text() == "false"


def test_output_dir_keeps_another_profiles_files(tmp_path, capsys):
    out_dir = tmp_path / "manifests"
    other = write_profiles(
        tmp_path / "other.yaml", "other-team", ["o@example.com"], ["p@example.com"]
    )
    run_dsp(capsys, "--profiles", str(other), "--output", str(out_dir))
    theirs = sorted(p.name for p in out_dir.iterdir())
    code, out, _ = run_dsp(capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir))
    assert code == 0 and json.loads(out)["removed"] == []
    assert set(theirs) <= {p.name for p in out_dir.iterdir()}


@pytest.mark.parametrize(
    "text",
    [
        "kind: List\nitems: 5\n",
        "---\n---\nkind: List\nitems: []\n",
        "kind: RoleBinding\nmetadata: just-a-string\n",
        "apiVersion: v1\nkind: List\nitems:\n  - 3\n  - {kind: RoleBinding}\n",
    ],
)
def test_prune_plan_survives_odd_live_state(tmp_path, capsys, text):
    current = tmp_path / "current.yaml"
    current.write_text(text)
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--prune-plan", "--current", str(current)
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["delete"] == []


def test_failed_write_is_refused_and_leaves_no_temporary_file(
    tmp_path, capsys, monkeypatch
):
    import errno
    import os

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out_dir = tmp_path / "manifests"
    monkeypatch.setattr(onboard.os, "replace", disk_full)
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir)
    )
    assert (code, out) == (1, "")
    assert "cannot write" in err and "No space left" in err and err.count("\n") == 1
    assert list(out_dir.iterdir()) == []


def test_output_dir_keeps_unreadable_yaml(tmp_path, capsys):
    out_dir = tmp_path / "manifests"
    out_dir.mkdir()
    (out_dir / "broken.yaml").write_text("key: [unclosed\n")
    code, _, _ = run_dsp(capsys, "--profiles", str(EXAMPLE), "--output", str(out_dir))
    assert code == 0
    assert (out_dir / "broken.yaml").read_text() == "key: [unclosed\n"


def test_missing_current_file_is_refused(tmp_path, capsys):
    missing = tmp_path / "live.yaml"
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--prune-plan", "--current", str(missing)
    )
    assert (code, out) == (1, "")
    assert str(missing) in err and "not found" in err


def test_colliding_names_are_refused_not_merged(capsys, monkeypatch):
    """Distinct emails cannot share a name short of a hash collision; if they
    ever did, one person's binding must not silently replace another's."""
    monkeypatch.setattr(manifests, "resource_name", lambda email, role: "user-x")
    code, out, err = run_dsp(capsys, "--profiles", str(EXAMPLE))
    assert (code, out) == (1, "")
    assert "same resource name 'user-x'" in err


def test_dsp_onboard_does_not_import_kfp():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from precommit_hooks import cli\n"
        f"assert cli.main(['onboard', '--profiles', {str(EXAMPLE)!r}]) == 0\n"
        "sys.stderr.write(str(sorted(m for m in sys.modules if m.startswith('kfp'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "[]"
    assert done.stdout.startswith("---\napiVersion: kubeflow.org/v1\nkind: Profile\n")


OWNED_BY_ALICE = """\
apiVersion: v1
kind: List
items:
  - apiVersion: kubeflow.org/v1
    kind: Profile
    metadata:
      name: iris-classifier
      labels:
        app.kubernetes.io/managed-by: dsp-onboard
        dsp-onboard/profile: iris-classifier
    spec:
      owner: {kind: User, name: alice@example.com}
"""


def test_an_owner_change_stops_the_run_before_anything_is_applied(
    onboarding, baked_project, tmp_path
):
    """Kubeflow keeps a namespace for the owner in its annotation: a new first
    admin would leave the Profile failing and the old owner with admin access."""
    live = tmp_path / "live-profile.yaml"
    live.write_text(OWNED_BY_ALICE)  # the baked project's first admin is ada
    calls, failed = run_pipeline(
        onboarding["Pipeline"], baked_project, tmp_path, PUSHED, live
    )
    assert [c.split()[0] for c in calls] == ["get"]  # listed, nothing applied
    assert "changed from 'alice@example.com' to 'ada@example.com'" in failed
    assert "kubectl annotate namespace iris-classifier owner=ada@example.com" in failed


def test_prune_plan_refuses_an_owner_change_and_accepts_the_same_owner(
    tmp_path, capsys
):
    live = tmp_path / "live.yaml"
    live.write_text(OWNED_BY_ALICE)
    code, out, err = run_dsp(
        capsys, "--profiles", str(EXAMPLE), "--prune-plan", "--current", str(live)
    )
    assert (code, err) == (0, "")  # alice owns it, and still comes first
    assert json.loads(out)["delete"] == []
    new_owner = write_profiles(
        tmp_path / "profiles.yaml",
        "iris-classifier",
        ["carol.smith@example.com", "alice@example.com"],
        ["bob@example.com"],
    )
    code, out, err = run_dsp(
        capsys, "--profiles", str(new_owner), "--prune-plan", "--current", str(live)
    )
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "from 'alice@example.com' to 'carol.smith@example.com'" in err
    # another profile's Profile, or one with no owner, is no owner change
    other = OWNED_BY_ALICE.replace("name: iris-classifier", "name: other")
    live.write_text(other + "  - {apiVersion: kubeflow.org/v1, kind: Profile}\n")
    code, _, err = run_dsp(
        capsys, "--profiles", str(new_owner), "--prune-plan", "--current", str(live)
    )
    assert (code, err) == (0, "")


def test_a_project_baked_with_people_onboards_them(tmp_path, capsys):
    """From cookiecutter's answers to manifests: the generated profiles.yaml
    (real cookiecutter) through the real dsp onboard."""
    from tests.support.template import bake

    project = bake(
        tmp_path,
        project_name="Churn Model",
        admins="lead@example.com, Second.Admin@example.com",
        contributors="bob@example.com, carol.smith+ml@example.org",
    )
    code, out, err = run_dsp(capsys, "--profiles", str(project / "profiles.yaml"))
    assert (code, err) == (0, "")
    docs = list(yaml.safe_load_all(out))
    profile, *members = docs
    assert profile["metadata"]["name"] == "churn-model"
    assert profile["spec"]["owner"]["name"] == "lead@example.com"
    roles = sorted(
        (d["metadata"]["annotations"]["user"], d["roleRef"]["name"])
        for d in members
        if d["kind"] == "RoleBinding"
    )
    assert roles == [
        ("Second.Admin@example.com", "kubeflow-admin"),
        ("bob@example.com", "kubeflow-edit"),
        ("carol.smith+ml@example.org", "kubeflow-edit"),
    ]
    assert sum(d["kind"] == "AuthorizationPolicy" for d in members) == 3


def test_a_too_large_profiles_file_names_no_missing_option(tmp_path, capsys):
    """dsp onboard has no --max-bytes: the hint does not name it."""
    big = tmp_path / "profiles.yaml"
    big.write_text("profiles:\n" + "# padding\n" * 200_000)
    code = cli.main(["onboard", "--profiles", str(big)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "over the" in err and "split it" in err
    assert "--max-bytes" not in err
