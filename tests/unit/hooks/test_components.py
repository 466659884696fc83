"""check-components: kfp's verdict on the real corpus, and the rules beyond it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


from precommit_hooks.core import yamlio
from precommit_hooks.hooks.check_components import (
    check_component,
    check_components,
    main,
)
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES / "components"


def _rules(found, level="error"):
    return {f.rule for f in found if f.level == level}


# ---------------------------------------------------------------- fixtures

CASES = [
    # file, rule, line, words in the message
    ("key_typo_top.yaml", "component-key-typo", 4, "did you mean 'implementation'"),
    ("key_typo_nested.yaml", "component-key-typo", 3, "did you mean 'default'"),
    ("key_typo_nested.yaml", "component-key-typo", 7, "did you mean 'command'"),
    ("placeholder_undefined.yaml", "component-placeholder", 11, "'learning_rate'"),
    ("placeholder_undefined.yaml", "component-placeholder", 12, "use outputPath"),
    ("placeholder_undefined.yaml", "component-placeholder", 14, "isPresent: seed"),
    ("placeholder_undefined.yaml", "component-placeholder", 16, "'model'"),
    ("placeholder_unknown.yaml", "component-placeholder", 7, "outputValue"),
    ("name_collision.yaml", "component-name-collision", 4, "'learning_rate'"),
    ("name_collision.yaml", "component-name-collision", 7, "'model_dir'"),
    ("missing_image.yaml", "component-image", 4, "no image"),
    ("yaml11_name.yaml", "component-type", 1, "boolean false; quote it"),
    ("yaml11_name.yaml", "component-name", 3, "boolean true"),
    ("duplicate_keys.yaml", "yaml-duplicate-key", 6, "'command'"),
    ("inconsistent_v2.yaml", "component-v2", 11, "did you mean 'exec-train'"),
    ("inconsistent_v2.yaml", "component-v2", 67, "did you mean 'comp-train'"),
    ("inconsistent_v2_placeholder.yaml", "component-placeholder", 38, "'rate'"),
    ("v2_wrong_shapes.yaml", "component-v2", 4, "executor ['exec-a']"),
    ("v2_wrong_shapes.yaml", "kfp-loader", 2, "TypeError"),
    ("graph_component.yaml", "component-implementation", 5, "graph component"),
    ("two_documents.yaml", "kfp-loader", 1, "single document"),
    ("empty.yaml", "component-type", 0, "got nothing"),
    ("null.yaml", "component-type", 0, "got null"),
    ("top_level_list.yaml", "component-type", 1, "got list"),
    ("typo_hides_nothing.yaml", "component-key-typo", 3, "did you mean 'inputs'"),
    ("typo_hides_nothing.yaml", "component-key-typo", 4, "did you mean 'default'"),
    ("typo_hides_nothing.yaml", "component-name", 5, "got integer 7; quote it"),
    ("typo_hides_nothing.yaml", "component-key-typo", 6, "'implementation'"),
    ("typo_hides_nothing.yaml", "kfp-loader", 6, "'implementaton' is not"),
    ("typo_hides_nothing.yaml", "component-key-typo", 7, "'container'"),
    ("typo_hides_nothing.yaml", "component-image", 8, "contains white space"),
    ("typo_hides_nothing.yaml", "component-placeholder", 9, "did you mean 'text'"),
    ("bad_default.yaml", "kfp-loader", 3, "'abc'"),
]


@pytest.mark.parametrize("name,rule,line,words", CASES)
def test_bad_fixture_gives_a_clear_finding(name, rule, line, words):
    found = check_component(str(FIXTURES / name))
    matching = [f for f in found if f.rule == rule and f.line == line]
    assert matching, [f.text() for f in found]
    assert any(words in f.message for f in matching), [f.text() for f in matching]
    assert all(f.level == "error" for f in matching)


def test_no_fixture_makes_the_check_itself_fail():
    files = sorted(str(p) for p in FIXTURES.rglob("*.yaml"))
    assert len(files) > 20
    found = check_components(files)
    assert [f.text() for f in found if f.rule == "internal-error"] == []


@pytest.mark.parametrize("name", ["valid_v1.yaml", "valid_v2.yaml"])
def test_valid_components_are_clean(name):
    assert check_component(str(FIXTURES / name)) == []


def test_name_collisions_use_kfps_sanitiser():
    from kfp.dsl.utils import sanitize_input_name

    assert sanitize_input_name("Learning rate") == sanitize_input_name("learning_rate")
    found = check_component(str(FIXTURES / "name_collision.yaml"))
    # kfp itself accepts the file (it silently keeps one input): the error is ours.
    assert "kfp-loader" not in _rules(found)
    assert "component-name-collision" in _rules(found)


@pytest.mark.parametrize("name", ["latest_image.yaml", "untagged_image.yaml"])
def test_moving_image_tag_is_a_warning_for_a_standalone_component(name, capsys):
    path = str(FIXTURES / name)
    assert main([path]) == 0
    out = capsys.readouterr().out
    assert f"{path}:4:12: warning:" in out and "[component-image-tag]" in out
    assert main(["--strict", path]) == 1


def test_image_tag_problems():
    from precommit_hooks.hooks.check_components.common import image_tag_problem

    assert image_tag_problem("a/b:1.0") is None
    assert image_tag_problem("a/b@sha256:" + "0" * 64) is None
    assert "latest" in image_tag_problem("a/b:latest")
    assert "no tag" in image_tag_problem("reg:5000/b")
    assert "empty" in image_tag_problem("")
    assert image_tag_problem("python 3.11") is None  # component-image reports it


# -------------------------------------------------- paths and the command line


def test_json_output_and_exit_codes(capsys):
    bad = str(FIXTURES / "placeholder_undefined.yaml")
    good = str(FIXTURES / "valid_v1.yaml")
    assert main(["--format", "json", good, bad]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {item["path"] for item in report} == {bad}
    assert {"path", "line", "col", "level", "rule", "message"} <= set(report[0])
    assert main([good]) == 0
    assert capsys.readouterr().out == ""


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--format", "xml", "x.yaml"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--max-bytes", "0", "x.yaml"])
    assert exc.value.code == 2


def test_max_bytes_is_checked_before_parsing(capsys):
    path = str(FIXTURES / "valid_v1.yaml")
    assert main(["--max-bytes", "100", path]) == 1
    assert "[file-too-large]" in capsys.readouterr().out


def test_missing_symlinked_and_spaced_paths(tmp_path, capsys):
    spaced = tmp_path / "my components" / "a b" / "component.yaml"
    spaced.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "valid_v1.yaml", spaced)
    link = tmp_path / "link.yaml"
    link.symlink_to(spaced)
    broken = tmp_path / "broken.yaml"
    broken.symlink_to(tmp_path / "nowhere.yaml")
    missing = tmp_path / "missing.yaml"
    folder = tmp_path / "my components"
    assert check_component(str(spaced)) == []
    assert check_component(str(link)) == []
    rc = main([str(missing), str(broken), str(folder), str(spaced)])
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert len(out) == 3  # one line each; the good file after them is still checked
    assert f"{missing}:0:0: error: file not found [file-missing]" in out
    assert any(
        line.startswith(f"{broken}:") and "broken symbolic link" in line for line in out
    )
    assert any(line.startswith(f"{folder}:") and "directory" in line for line in out)


def test_binary_and_non_utf8_files_give_one_line(tmp_path, capsys):
    binary = tmp_path / "component.yaml"
    binary.write_bytes(b"name: x\x00\x01\x02")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert main([str(binary), str(latin)]) == 1
    out = capsys.readouterr().out
    assert "[binary-file]" in out and "[encoding]" in out
    assert "Traceback" not in out


def test_hook_runs_as_a_console_script_without_traceback(tmp_path):
    bad = tmp_path / "component.yaml"
    bad.write_text("name: [unclosed\n")
    script = Path(sys.executable).with_name("check-components")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "precommit_hooks.hooks.check_components"]
    )
    result = subprocess.run(
        [*command, str(bad), str(FIXTURES / "valid_v2.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 1
    assert "[yaml-syntax]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# ------------------------------------------------------------ rules as units


def test_every_rule_is_a_documented_unit():
    from precommit_hooks.core.rules import rules_of

    rules = {r.id: r for r in rules_of("check-components")}
    assert len(rules) >= 15
    files = sorted(str(p) for p in FIXTURES.rglob("*.yaml"))
    emitted = {f.rule for f in check_components(files)}
    reader = {r for r in emitted if r.startswith(("yaml-", "file-"))}
    assert emitted - reader <= set(rules), emitted - reader - set(rules)
    for r in rules.values():
        assert r.summary.endswith(".") and r.details, r.id


def test_one_rule_runs_alone_and_reports_only_its_id(tmp_path):
    from precommit_hooks.core.rules import rules_of
    from precommit_hooks.hooks.check_components import read_component
    from precommit_hooks.hooks.check_components.model import Context

    path = str(FIXTURES / "placeholder_undefined.yaml")
    docs = yamlio.load(path).documents
    for r in rules_of("check-components"):
        if r.id == "kfp-loader":
            continue
        ctx = Context(path)
        r.check(ctx, read_component(ctx, docs))
        assert {f.rule for f in ctx.found} <= {r.id}, r.id


def test_kfp_messages_speak_the_users_type_names():
    from precommit_hooks.hooks.check_components.loader import one_line

    message = one_line("Expected NUMBER_INTEGER,\n got STRING for\tn")
    assert message == "Expected integer, got string for n"
    assert one_line("x" * 1000).endswith("...") and len(one_line("x" * 1000)) < 310


def test_a_typo_at_the_top_is_at_its_own_line_not_1_1(tmp_path):
    path = tmp_path / "component.yaml"
    text = (FIXTURES / "valid_v1.yaml").read_text().replace("inputs:", "inptus:")
    path.write_text(text)
    found = [f for f in check_component(str(path)) if f.rule == "component-key-typo"]
    line = text.splitlines().index("inptus:") + 1
    assert [(f.line, f.col) for f in found] == [(line, 1)]
