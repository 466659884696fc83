"""check-tekton on tektoncd/triggers' own examples: no false error, no crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from precommit_hooks.core.findings import WARNING
from precommit_hooks.hooks.check_tekton import check_files
from tests.unit.hooks.test_tekton import FIXTURES, by_rule, errors, without_injections

# The only errors check-tekton finds in tektoncd/triggers' examples, each a
# real defect read off the file (so not a false error):
# - the Azure template echoes $(tt.params.azurerepo-user-type), a parameter it
#   never declares: Triggers leaves the text unreplaced;
# - two GitHub listeners have no secretRef: they accept unsigned payloads.
CORPUS_ERRORS = {
    ("azurerepo/pull/azurerepo-pullrequest-listener.yaml", 84, "param-undeclared"),
    (
        "github-add-changed-files-pr/github-eventlistener-interceptor.yaml",
        10,
        "github-secret",
    ),
    (
        "github-add-changed-files-push-cel/github-eventlistener-interceptor.yaml",
        10,
        "github-secret",
    ),
}


# Every example that echoes an event value in a step's script: script-injection.
CORPUS_INJECTIONS = {
    "awscodecommit/push/awscodecommit-push-listener.yaml",
    "azurerepo/pull/azurerepo-pullrequest-listener.yaml",
    "azurerepo/push/azurerepo-push-listener.yaml",
    "bitbucket-cloud/triggertemplate.yaml",
    "bitbucket-server/triggertemplate.yaml",
    "custom-resource/github-knative-listener-customresource.yaml",
    "eventlistener-tls-connection/tls-eventlistener-interceptor.yaml",
    "eventlisteners/cel-eventlistener-interceptor.yaml",
    "eventlisteners/cel-eventlistener-multiple-overlays.yaml",
    "github-add-changed-files-pr/github-eventlistener-interceptor.yaml",
    "github-add-changed-files-push-cel/github-eventlistener-interceptor.yaml",
    "github-owners/github-eventlistener-interceptor.yaml",
    "github/github-eventlistener-interceptor.yaml",
    "gitlab/gitlab-push-listener.yaml",
    "slack/slack-eventlistener-interceptor.yaml",
}


@pytest.fixture(scope="module")
def tekton_corpus(corpus: Path) -> Path:
    root = corpus / "tekton-triggers"
    assert len(list(root.rglob("*.yaml"))) > 80
    return root


def _corpus_errors(root: Path, found) -> set[tuple[str, int, str]]:
    return {
        (str(Path(f.path).relative_to(root)), f.line, f.rule)
        for f in errors(without_injections(found))
    }


def _injected_files(root: Path, found) -> set[str]:
    return {
        str(Path(f.path).relative_to(root)) for f in by_rule(found, "script-injection")
    }


def test_no_false_error_on_each_corpus_file(tekton_corpus):
    seen: set[tuple[str, int, str]] = set()
    injected: set[str] = set()
    for path in sorted(tekton_corpus.rglob("*.yaml")):
        found = check_files([str(path)])
        assert not by_rule(found, "internal-error"), found
        seen |= _corpus_errors(tekton_corpus, found)
        injected |= _injected_files(tekton_corpus, found)
    assert seen == CORPUS_ERRORS
    assert injected == CORPUS_INJECTIONS


def test_no_false_error_on_each_corpus_file_alone(tekton_corpus):
    # Without the folder as context, unresolved references stay warnings.
    seen: set[tuple[str, int, str]] = set()
    for path in sorted(tekton_corpus.rglob("*.yaml")):
        seen |= _corpus_errors(tekton_corpus, check_files([str(path)], context=False))
    assert seen == CORPUS_ERRORS


def test_no_false_error_on_the_whole_corpus_as_one_set(tekton_corpus):
    paths = [str(p) for p in sorted(tekton_corpus.rglob("*.yaml"))]
    found = check_files(paths)
    assert _corpus_errors(tekton_corpus, found) == CORPUS_ERRORS
    assert _injected_files(tekton_corpus, found) == CORPUS_INJECTIONS
    # In one set every binding and template the examples name is found,
    # except those that live in no example at all.
    unresolved = {f.message.split("'")[1] for f in by_rule(found, "ref-unresolved")}
    assert "pipeline-binding" not in unresolved
    assert "pipeline-template" not in unresolved


def test_corpus_warnings_are_the_expected_kinds(tekton_corpus):
    paths = [str(p) for p in sorted(tekton_corpus.rglob("*.yaml"))]
    warned = {f.rule for f in check_files(paths) if f.level == WARNING}
    assert warned <= {
        "image-latest",  # image: ubuntu
        "not-a-resource",  # rbac.yaml: symbolic links checked out as text
        "ref-unresolved",
        "comment-authorisation",
    }
    assert {"image-latest", "not-a-resource"} <= warned


def test_owners_example_counts_as_authorised(tekton_corpus):
    path = tekton_corpus / "github-owners" / "github-eventlistener-interceptor.yaml"
    assert not by_rule(check_files([str(path)]), "comment-authorisation")


def test_symlink_text_file_is_a_warning_naming_the_target(tekton_corpus):
    path = tekton_corpus / "github" / "rbac.yaml"
    (found,) = check_files([str(path)])
    assert (found.rule, found.level) == ("not-a-resource", WARNING)
    assert "'../../rbac.yaml'" in found.message and "symbolic link" in found.message


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def test_mutated_corpus_files_never_crash_the_check(tekton_corpus, tmp_path):
    """Values of the wrong type anywhere: findings, never an internal error."""
    import copy
    import random

    import yaml

    rng = random.Random(20261127)
    replacements = [None, 0, True, "x", [], {}, [1, "a"], {"a": 1}, "$(params.", 1.5]
    sources = sorted(tekton_corpus.rglob("*.yaml")) + sorted(FIXTURES.rglob("*.yaml"))
    loaded = []
    for source in sources:
        docs = [d for d in yaml.safe_load_all(source.read_text()) if d]
        if all(isinstance(d, (dict, list)) for d in docs) and docs:
            loaded.append(docs)
    for attempt in range(2000):
        docs = copy.deepcopy(rng.choice(loaded))
        for _ in range(rng.randint(1, 4)):
            doc = rng.choice(docs)
            where = rng.choice([p for p in _paths(doc) if p] or [None])
            if where is None:
                continue
            node = doc
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = copy.deepcopy(rng.choice(replacements))
        path = tmp_path / f"mutant-{attempt}.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        found = check_files([str(path)], context=False)
        assert not by_rule(found, "internal-error"), (path.read_text(), found)
