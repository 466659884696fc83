"""Rules as units: registration, the generated docs page and its drift check."""

from __future__ import annotations

import pytest

from precommit_hooks.core import rules as rules_mod
from precommit_hooks.core.rules import markdown_table, rule, rules_of
from precommit_hooks.hooks import rules_doc
from tests.support.paths import REPO_ROOT


def test_rule_registers_id_level_and_docstring() -> None:
    @rule("test-hook", "no-pipes", level="warning")
    def no_pipes() -> None:
        """A summary with a | pipe.

        The details paragraph.
        """

    (registered,) = rules_of("test-hook")
    assert (registered.id, registered.level) == ("no-pipes", "warning")
    assert registered.details == "The details paragraph."
    assert "| `no-pipes` | warning | A summary with a \\| pipe. |" in markdown_table(
        [registered]
    )
    del rules_mod._RULES[("test-hook", "no-pipes")]


def test_rule_without_docstring_is_refused() -> None:
    with pytest.raises(ValueError, match="docstring"):

        @rule("test-hook", "undocumented")
        def undocumented() -> None:
            pass


def test_docs_rules_page_matches_the_code() -> None:
    page = REPO_ROOT / "docs" / "rules.md"
    assert rules_doc.main(["--check", str(page)]) == 0, (
        "docs/rules.md is stale: python -m precommit_hooks.hooks.rules_doc "
        "--write docs/rules.md"
    )


def test_drift_is_detected(tmp_path, capsys) -> None:
    stale = tmp_path / "rules.md"
    stale.write_text(rules_doc.render() + "\nhand edit\n", encoding="utf-8")
    assert rules_doc.main(["--check", str(stale)]) == 1
    assert "--write" in capsys.readouterr().err
