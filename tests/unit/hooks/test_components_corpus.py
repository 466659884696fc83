"""check-components against the corpus of 264 real components: kfp's verdicts."""

from __future__ import annotations

import csv

import pytest

from precommit_hooks.core import yamlio
from precommit_hooks.hooks import check_components as components
from precommit_hooks.hooks.check_components import check_components, main
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES / "components"


def _errors(found):
    return [f for f in found if f.level == "error"]


# ------------------------------------------------------------------ corpus


@pytest.fixture(scope="module")
def corpus_results(corpus):
    """Every corpus file checked once, with the verdicts kfp 2.17.3 gave."""
    folder = corpus / "kfp-components"
    with open(folder / "VERDICTS.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    paths = [str(folder / row["path"]) for row in rows]
    found = check_components(paths)
    by_path: dict[str, list] = {path: [] for path in paths}
    for item in found:
        by_path[item.path].append(item)
    return rows, paths, by_path


def test_corpus_has_the_documented_verdicts(corpus_results):
    rows, _, _ = corpus_results
    verdicts = [row["verdict"] for row in rows]
    assert len(rows) == 264
    assert verdicts.count("valid") == 258
    assert verdicts.count("invalid") == 6


def test_verdict_agrees_with_kfp_on_every_corpus_file(corpus_results):
    rows, paths, by_path = corpus_results
    disagree = [
        (row["path"], row["verdict"], [f.text() for f in _errors(by_path[path])])
        for row, path in zip(rows, paths)
        if bool(_errors(by_path[path])) != (row["verdict"] == "invalid")
    ]
    assert disagree == []


def test_each_rejected_corpus_file_is_named_with_kfps_reason(corpus_results):
    rows, paths, by_path = corpus_results
    for row, path in zip(rows, paths):
        if row["verdict"] != "invalid":
            continue
        loader = [f for f in by_path[path] if f.rule == "kfp-loader"]
        assert len(loader) == 1, path
        assert loader[0].path == path
        # The TSV holds kfp's error, cut short; ours starts the same way.
        expected = " ".join(row["kfp_2.17.3_loader_error"].split())[:80]
        assert expected in loader[0].message, (path, loader[0].message)
        # at the line kfp's error is about (the implementation, a placeholder)
        assert loader[0].line > 1, (path, loader[0].text())


def test_corpus_warnings_do_not_change_the_exit_code(corpus_results, capsys):
    rows, paths, by_path = corpus_results
    valid = [p for row, p in zip(rows, paths) if row["verdict"] == "valid"]
    warned = [p for p in valid if any(f.level == "warning" for f in by_path[p])]
    assert len(warned) > 100  # most of them for a ':latest' or untagged image
    assert main(warned) == 0
    assert main(["--strict", *warned[:3]]) == 1
    assert "component-image-tag" in capsys.readouterr().out


def test_kfp_on_parsed_documents_matches_kfps_own_loader_on_fixtures():
    """Our pre-parsed route to kfp gives kfp's verdict and error type."""
    from kfp.components import load_component_from_file

    for path in sorted(FIXTURES.glob("*.yaml")):
        try:
            load_component_from_file(str(path))
            expected = None
        except Exception as exc:  # noqa: BLE001 - kfp raises many types
            expected = type(exc).__name__
        text = path.read_text(encoding="utf-8")
        try:
            docs = yamlio.load(str(path)).documents
        except yamlio.YamlError:
            continue  # ours stops earlier with its own finding
        if not docs or not isinstance(docs[0], dict):
            continue  # ours stops earlier with its own finding
        verdict = components.kfp_verdict(docs, text)
        got = None if verdict is None else verdict.split(":", 1)[0]
        # PyYAML names the two-document error ComposerError; ours a ValueError.
        if expected == "ComposerError":
            expected = "ValueError"
        assert got == expected, path.name
