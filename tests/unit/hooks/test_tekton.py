"""check-tekton: rules on fixtures, and no false error on the real Triggers examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from precommit_hooks.core.findings import ERROR, WARNING
from precommit_hooks.hooks.check_tekton import check_files, main
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES / "tekton"
GOOD = sorted(str(p) for p in (FIXTURES / "good").glob("*.yaml"))
BAD = FIXTURES / "bad"


def errors(found):
    return [f for f in found if f.level == ERROR]


def by_rule(found, rule):
    return [f for f in found if f.rule == rule]


def without_injections(found):
    """Findings of the other rules, for fixtures that echo $(params.x) in a script."""
    return [f for f in found if f.rule != "script-injection"]


# --- Fixtures ------------------------------------------------------------------


def test_good_set_is_clean():
    assert check_files(GOOD) == []


def test_good_set_one_file_at_a_time_uses_the_folder_as_context():
    for path in GOOD:
        assert check_files([path]) == [], path


def test_comment_authorisation_seen_only_through_the_pipeline_file(tmp_path):
    triggers = tmp_path / "triggers.yaml"
    shutil.copy(FIXTURES / "good" / "triggers.yaml", triggers)
    found = check_files([str(triggers)])
    (warned,) = by_rule(found, "comment-authorisation")
    assert warned.level == WARNING and "not in the checked files" in warned.message
    # With a pipeline that does not authorise, it is an error.
    pipelines = (FIXTURES / "good" / "pipelines.yaml").read_text()
    (tmp_path / "pipelines.yaml").write_text(
        pipelines.replace("dsp authorize", "dsp parse-comment")
    )
    (tmp_path / "tasks.yaml").write_text("")
    found = check_files([str(triggers)])
    (failed,) = by_rule(found, "comment-authorisation")
    assert failed.level == ERROR and failed.line == 24


def test_missing_secret_ref():
    found = check_files([str(BAD / "no_secret_ref.yaml")], context=False)
    (injected,) = by_rule(found, "script-injection")  # echo $(tt.params.revision)
    (found,) = without_injections(found)
    assert (found.rule, found.line, found.level) == ("github-secret", 9, ERROR)
    assert "unsigned payloads" in found.message


def test_secret_ref_without_key(tmp_path):
    text = (BAD / "no_secret_ref.yaml").read_text()
    text = text.replace(
        "          params:\n",
        "          params:\n            - name: secretRef\n"
        "              value: {secretName: s}\n",
        1,
    )
    path = tmp_path / "el.yaml"
    path.write_text(text)
    (found,) = without_injections(check_files([str(path)]))
    assert found.rule == "github-secret" and "secretKey" in found.message


def test_legacy_github_interceptor_form(tmp_path):
    path = tmp_path / "el.yaml"
    path.write_text(
        "apiVersion: triggers.tekton.dev/v1alpha1\nkind: EventListener\n"
        "metadata: {name: old}\nspec:\n  triggers:\n    - name: t\n"
        "      interceptors:\n        - github:\n            eventTypes: [push]\n"
    )
    found = check_files([str(path)])
    assert {f.rule for f in errors(found)} == {"github-secret"}
    assert by_rule(found, "tekton-deprecated")


def test_added_changed_files_with_owners():
    found = check_files([str(BAD / "changed_files_with_owners.yaml")])
    assert [f.rule for f in errors(found)] == ["github-owners-skipped"]
    assert "never runs the owners check" in found[0].message


def test_owners_check_without_token(tmp_path):
    text = (BAD / "changed_files_with_owners.yaml").read_text()
    text = text.replace(
        "            - name: addChangedFiles\n              value:\n"
        "                enabled: true\n",
        "",
    ).replace("checkType: none", "checkType: orgMembers")
    path = tmp_path / "el.yaml"
    path.write_text(text)
    found = check_files([str(path)])
    assert [f.rule for f in errors(found)] == ["github-owners-token"]
    assert "'orgMembers'" in found[0].message


def test_comment_trigger_without_authorisation():
    found = check_files([str(BAD / "comment_without_authorisation.yaml")])
    (failed,) = errors(found)
    assert (failed.rule, failed.line) == ("comment-authorisation", 7)
    assert "dsp authorize" in failed.message


def test_latest_and_untagged_images_are_warnings():
    found = check_files([str(BAD / "latest_image.yaml")])
    assert [(f.rule, f.level, f.line) for f in found] == [
        ("image-latest", WARNING, 8),
        ("image-latest", WARNING, 10),
        ("image-latest", WARNING, 12),  # localhost:5000 is a port, not a tag
    ]
    assert main([str(BAD / "latest_image.yaml")]) == 0
    assert main(["--strict", str(BAD / "latest_image.yaml")]) == 1


def test_pipeline_graph_rules():
    found = sorted(check_files([str(BAD / "pipeline_graph.yaml")]))
    got = [(f.rule, f.line) for f in errors(found)]
    assert got == [
        ("param-undeclared", 13),
        ("run-after", 15),
        ("task-duplicate", 17),
        ("run-after", 21),
        ("task-ref", 25),
    ]
    messages = " ".join(f.message for f in found)
    assert "did you mean 'revision'" in messages
    assert "did you mean 'clone'" in messages
    assert [f.rule for f in found if f.level == WARNING] == ["tekton-deprecated"]


def test_unknown_api_and_kind():
    found = sorted(check_files([str(BAD / "unknown_kind.yaml")]))
    assert [(f.rule, f.line) for f in found] == [
        ("tekton-api", 2),
        ("tekton-api", 6),
        ("tekton-api", 12),
    ]
    assert "did you mean 'Pipeline'" in found[0].message
    assert "triggers.tekton.dev/v1beta1" in found[1].message
    assert "served by tekton.dev/v1beta1" in found[2].message


def test_params_declared_in_scope():
    found = sorted(check_files([str(BAD / "undeclared_params.yaml")]))
    injected = by_rule(found, "script-injection")  # the echoes in the script
    assert [(f.line, f.col) for f in injected] == [
        (20, 22),
        (21, 22),
        (22, 22),
        (22, 36),
    ]
    found = without_injections(found)
    assert [(f.rule, f.line, f.col) for f in found] == [
        ("param-undeclared", 21, 22),
        ("param-undeclared", 22, 36),
        ("param-undeclared", 34, 36),
    ]
    assert "'revisoin'" in found[0].message and "did you mean" in found[0].message
    assert "'missing.name'" in found[1].message
    assert "'mode'" in found[2].message  # $(params.flags[*]) is declared


def test_references_error_on_a_typo_warn_when_the_kind_is_elsewhere():
    # Alone: the file defines TriggerBindings but no TriggerTemplate.
    found = check_files([str(BAD / "unresolved_refs.yaml")], context=False)
    got = [(f.line, f.level) for f in by_rule(found, "ref-unresolved")]
    assert got == [(14, ERROR), (15, WARNING), (18, WARNING)]
    assert "did you mean 'push-binding'" in found[0].message


def test_references_resolve_across_files_of_one_run(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    shutil.copy(BAD / "unresolved_refs.yaml", a / "el.yaml")
    (b / "tt.yaml").write_text(
        "apiVersion: triggers.tekton.dev/v1beta1\nkind: TriggerTemplate\n"
        "metadata: {name: push-template}\nspec:\n  resourcetemplates: []\n"
    )
    alone = check_files([str(a / "el.yaml")])
    together = check_files([str(a / "el.yaml"), str(b / "tt.yaml")])
    assert any("'push-template'" in f.message for f in alone)
    assert not any("'push-template'" in f.message for f in together)


def test_multi_document_files_with_empty_documents(tmp_path):
    path = tmp_path / "multi.yaml"
    path.write_text(
        "---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\n"
        "spec:\n  steps:\n    - image: alpine:3.20\n      script: echo $(params.x)\n"
    )
    found = without_injections(check_files([str(path)]))
    assert [(f.rule, f.line) for f in found] == [("param-undeclared", 13)]


def test_resource_without_name_or_kind(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {}\nspec: {steps: []}\n"
        "---\nmetadata: {name: y}\n---\n- a list\n"
    )
    found = check_files([str(path)])
    assert [(f.rule, f.line) for f in found] == [
        ("tekton-name", 1),
        ("tekton-api", 6),
        ("not-a-resource", 8),
    ]


def test_context_files_are_read_but_never_reported(tmp_path):
    (tmp_path / "broken.yaml").write_text("a: [\n")
    shutil.copy(BAD / "latest_image.yaml", tmp_path / "task.yaml")
    found = check_files([str(tmp_path / "task.yaml")])
    assert {f.path for f in found} == {str(tmp_path / "task.yaml")}


def test_one_unreadable_file_does_not_stop_the_others(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    code = main(["--format", "json", str(bad), str(BAD / "no_secret_ref.yaml")])
    assert code == 1
    found = json.loads(capsys.readouterr().out)
    assert {Path(f["path"]).name for f in found} == {"bad.yaml", "no_secret_ref.yaml"}


def test_generated_project_tekton_files_are_clean(baked_project):
    tekton = baked_project / ".tekton"
    if not tekton.is_dir():
        pytest.fail("the default project has no .tekton/ folder")
    paths = [str(p) for p in sorted(tekton.glob("*.y*ml"))]
    assert paths
    assert errors(check_files(paths)) == []


def test_yaml_11_names_are_type_errors_with_the_written_text():
    found = sorted(check_files([str(BAD / "yaml11_names.yaml")], context=False))
    typed = by_rule(found, "tekton-type")
    assert [(f.line, f.col) for f in typed] == [(4, 9), (7, 13), (9, 13)]
    assert "unquoted 0123 as integer 83" in typed[0].message
    assert "unquoted on as boolean true" in typed[1].message
    assert "quote it: 'no'" in typed[2].message
    assert not by_rule(found, "internal-error")


def write_docs(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_pipeline_run_refs_and_propagated_params(tmp_path):
    path = write_docs(
        tmp_path,
        "runs.yaml",
        "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {generateName: r-}\n"
        "spec:\n  pipelineRef: {name: missing-pipeline}\n---\n"
        "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {generateName: r-}\n"
        "spec:\n  pipelineRef:\n    resolver: git\n    params: []\n---\n"
        "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {generateName: r-}\n"
        "spec:\n  params: [{name: who, value: me}]\n  pipelineSpec:\n    tasks:\n"
        "      - name: hi\n        taskSpec:\n          steps:\n"
        "            - image: alpine:3.20\n"
        "              script: echo $(params.who) $(params.nobody)\n",
    )
    found = sorted(without_injections(check_files([path])))
    assert [(f.rule, f.line, f.level) for f in found] == [
        ("ref-unresolved", 5, WARNING),  # no Pipeline in the set: lives elsewhere
        ("param-undeclared", 26, ERROR),  # $(params.who) propagates from the run
    ]
    assert "'nobody'" in found[1].message


def test_trigger_resources_and_trigger_refs(tmp_path):
    path = write_docs(
        tmp_path,
        "trigger.yaml",
        "apiVersion: triggers.tekton.dev/v1beta1\nkind: Trigger\n"
        "metadata: {name: on-comment}\nspec:\n  interceptors:\n"
        "    - ref: {name: github}\n      params:\n"
        "        - {name: secretRef, value: {secretName: s, secretKey: k}}\n"
        "        - {name: eventTypes, value: [issue_comment]}\n"
        "    - ref: {name: cel}\n      params:\n        - name: filter\n"
        "          value: body.comment.author_association in ['OWNER', 'MEMBER']\n"
        "  template:\n    spec:\n      resourcetemplates: []\n---\n"
        "apiVersion: triggers.tekton.dev/v1beta1\nkind: EventListener\n"
        "metadata: {name: el}\nspec:\n  triggers:\n"
        "    - triggerRef: on-comment\n    - triggerRef: on-commnet\n",
    )
    found = check_files([path])
    # The CEL filter on author_association counts as authorisation.
    assert [(f.rule, f.line, f.level) for f in found] == [("ref-unresolved", 24, ERROR)]
    assert "did you mean 'on-comment'" in found[0].message


def test_comment_filter_in_cel_marks_a_comment_trigger(tmp_path):
    path = write_docs(
        tmp_path,
        "el.yaml",
        "apiVersion: triggers.tekton.dev/v1beta1\nkind: EventListener\n"
        "metadata: {name: el}\nspec:\n  triggers:\n    - name: comments\n"
        "      interceptors:\n        - ref: {name: cel}\n          params:\n"
        "            - name: filter\n"
        "              value: header.match('X-GitHub-Event', 'issue_comment')\n"
        "      template:\n        spec:\n          resourcetemplates:\n"
        "            - apiVersion: tekton.dev/v1\n              kind: TaskRun\n"
        "              metadata: {generateName: t-}\n              spec:\n"
        "                taskSpec:\n                  steps:\n"
        "                    - image: alpine:3.20\n"
        "                      script: echo run\n",
    )
    (found,) = check_files([path])
    assert (found.rule, found.level, found.line) == ("comment-authorisation", ERROR, 6)


def test_binding_kind_of_the_wrong_type(tmp_path):
    path = write_docs(
        tmp_path,
        "el.yaml",
        "apiVersion: triggers.tekton.dev/v1beta1\nkind: EventListener\n"
        "metadata: {name: el}\nspec:\n  triggers:\n    - name: t\n"
        "      bindings:\n        - ref: b\n          kind: [TriggerBinding]\n",
    )
    (found,) = check_files([path])
    assert (found.rule, found.line) == ("tekton-type", 8)
    assert "kind must be a string, got list" in found.message


def test_every_task_waits_for_the_authorisation():
    found = check_files([str(BAD / "authorise_not_first.yaml")], context=False)
    # compile waits through $(tasks.parse-comment.results...), which waits for
    # authorize; finally tasks are exempt; create-run waits for nothing.
    assert [(f.rule, f.line, f.level) for f in found] == [
        ("authorise-first", 25, ERROR)
    ]
    assert "'create-run'" in found[0].message
    assert "runAfter: [authorize]" in found[0].message
