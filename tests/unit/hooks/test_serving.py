"""The check-serving hook, through its ``main`` and on the generated project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from precommit_hooks.core.rules import rules_of
from precommit_hooks.hooks import check_serving

PROFILES = """\
profiles:
  name: iris
  admins: [ada@example.com]
  contributors: []
"""

DIGEST = "sha256:" + "ab" * 32

ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  namespace: iris
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: oci://harbor.example.com/dsp/iris-model@{digest}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles.yaml").write_text(PROFILES)
    (tmp_path / "serving").mkdir()
    return tmp_path


def _write(project: Path, text: str) -> str:
    path = project / "serving" / "inference-service.yaml"
    path.write_text(text)
    return str(path)


def _run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = check_serving.main(list(argv))
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("ref", [f"@{DIGEST}", ":current", ":main-1a2b3c4"])
def test_a_valid_service_passes(project, capsys, ref):
    text = ISVC.replace("@{digest}", ref)
    assert _run(capsys, _write(project, text)) == (0, [])


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        (
            "serving.kserve.io/v1beta1",
            "serving.kserve.io/v1alpha2",
            1,
            "1:13: error: apiVersion 'serving.kserve.io/v1alpha2' is not "
            "serving.kserve.io/v1beta1; write apiVersion: serving.kserve.io/v1beta1 "
            "[serving-api]",
        ),
        (
            "name: iris\n  namespace",
            "name: 9iris\n  namespace",
            4,
            "4:9: error: metadata.name '9iris' is not a DNS-1035 label; use lowercase "
            "letters, digits and '-', starting with a letter (at most 63) "
            "[serving-name]",
        ),
        (
            "namespace: iris",
            "namespace: kubeflow",
            5,
            "5:14: error: metadata.namespace 'kubeflow' is not the profile's namespace "
            "'iris' (profiles.yaml); write namespace: iris [serving-namespace]",
        ),
        (
            "name: sklearn",
            "name: sklern",
            10,
            "10:15: error: spec.predictor.model.modelFormat.name 'sklern' is not a "
            "KServe model format (did you mean 'sklearn'?); for a scikit-learn model "
            "write sklearn [serving-model-format]",
        ),
        (
            "oci://harbor.example.com/dsp/iris-model@{digest}",
            "s3://bucket/iris",
            11,
            "11:19: error: spec.predictor.model.storageUri 's3://bucket/iris' is not "
            "an oci:// reference; write oci://<registry>/<repository>@sha256:<digest> "
            "(or :current) [serving-storage-uri]",
        ),
    ],
)
def test_each_rule_is_one_line_at_the_value(project, capsys, old, new, line, message):
    path = _write(project, ISVC.replace(old, new).replace("{digest}", DIGEST))
    code, out = _run(capsys, path)
    assert code == 1
    assert out == [f"{path}:{message}"]


@pytest.mark.parametrize(
    "uri, problem",
    [
        ("oci://harbor.example.com/dsp/iris-model", "has no tag or digest"),
        ("oci://harbor.example.com/dsp/iris-model@sha256:abc", "digest is not"),
        ("oci://harbor.example.com/dsp/Iris:v1", "is not a lowercase OCI repository"),
        ("oci://harbor.example.com/dsp/iris:-bad", "tag '-bad' is not a valid tag"),
        ("oci://harbor.example.com", "names no registry host and repository"),
        (None, "is not an oci:// reference"),
        (f"oci://h:5000/a/b@{DIGEST}", None),
    ],
)
def test_storage_uri_problems(uri, problem):
    found = check_serving.storage_uri_problem(uri)
    assert (found is None) if problem is None else (problem in found)


def test_missing_fields_point_at_the_document(project, capsys):
    path = _write(
        project, "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
    )
    code, out = _run(capsys, path)
    assert code == 1
    assert sorted(line.rsplit("[", 1)[1] for line in out) == [
        "serving-model-format]",
        "serving-name]",
        "serving-namespace]",
        "serving-storage-uri]",
    ]
    assert all(line.startswith(f"{path}:1:1: error: ") for line in out)


def test_namespace_needs_a_valid_profiles_file(project, capsys):
    (project / "profiles.yaml").unlink()
    path = _write(project, ISVC.format(digest=DIGEST))
    code, out = _run(capsys, path)
    assert code == 1 and len(out) == 1
    assert "no profiles.yaml in this folder or above it" in out[0]
    (project / "elsewhere.yaml").write_text(PROFILES.replace("iris", "other", 1))
    code, out = _run(capsys, path, "--profiles", str(project / "elsewhere.yaml"))
    assert code == 1 and "profile's namespace 'other'" in out[0]
    (project / "profiles.yaml").write_text("profiles: {name: Iris}\n")
    code, out = _run(capsys, path)
    assert code == 1 and "profiles.yaml is not valid; fix it first" in out[0]


def test_other_documents_are_skipped_but_one_service_is_required(project, capsys):
    runtime = "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\n"
    path = _write(project, runtime + "---\n" + ISVC.format(digest=DIGEST))
    assert _run(capsys, path) == (0, [])
    path = _write(project, runtime)
    code, out = _run(capsys, path)
    assert code == 1
    assert out == [
        f"{path}:1:1: error: no kind: InferenceService document; write a KServe "
        "InferenceService [serving-api]"
    ]


def test_bad_yaml_is_a_finding_and_the_next_file_is_checked(project, capsys, fifo):
    bad = project / "serving" / "bad.yaml"
    bad.write_text("kind: [\n")
    good = _write(project, ISVC.format(digest=DIGEST))
    code, out = _run(capsys, str(bad), str(fifo), good)
    assert code == 1 and len(out) == 2
    assert sorted(line.split(":")[0] for line in out) == sorted([str(bad), str(fifo)])


def test_json_format(project, capsys):
    path = _write(project, ISVC.format(digest=DIGEST).replace("sklearn", "x"))
    code, out = _run(capsys, "--format", "json", path)
    assert code == 1
    assert [f["rule"] for f in json.loads("\n".join(out))] == ["serving-model-format"]


def test_every_rule_is_documented():
    ids = [r.id for r in rules_of("check-serving")]
    assert ids == [
        "serving-api",
        "serving-name",
        "serving-namespace",
        "serving-model-format",
        "serving-storage-uri",
    ]


def test_the_generated_service_passes(baked_project, capsys):
    path = baked_project / "serving" / "inference-service.yaml"
    assert _run(capsys, str(path)) == (0, [])
