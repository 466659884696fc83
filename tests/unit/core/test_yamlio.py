"""The guarded YAML reader, and every bad-input fixture through the real hooks.

Each bad input runs in its own subprocess under hard limits (200 MB of address
space, 2 s of CPU): a fixture that blew up memory or time would be killed and
fail the test, so the limits are enforced, not timed.
"""

from __future__ import annotations

import codecs
import os
import resource
import subprocess
import sys

import pytest

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.findings import ERROR, WARNING
from tests.support.paths import FIXTURES

FIXTURES = FIXTURES
YAML = FIXTURES / "yaml"
PROFILES = FIXTURES / "profiles"
TEKTON = FIXTURES / "tekton"

MEMORY_LIMIT = 200 * 1024 * 1024
CPU_SECONDS = 2


def _limits() -> None:
    """Runs in the child before exec: cap memory and CPU time."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_hook(module: str, *args: str | os.PathLike) -> subprocess.CompletedProcess:
    """Run ``python -m precommit_hooks.hooks.check_<hook> args`` under the limits."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            f"precommit_hooks.hooks.check_{module}",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        preexec_fn=_limits,
        timeout=60,  # wall-clock guard only; the CPU limit is the real bound
    )


def assert_clear(result: subprocess.CompletedProcess, rule: str, code: int = 1):
    """One clear finding with the rule, the right exit code, no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stdout.splitlines() if f"[{rule}]" in line]
    assert lines, result.stdout
    path, line, col, rest = lines[0].split(":", 3)
    assert path and line.isdigit() and col.isdigit()
    assert rest.startswith((" error: ", " warning: "))


# (fixture, hook module, rule, exit code): the bad inputs the issue lists.
BAD_INPUTS = [
    (YAML / "non_utf8.yaml", "profiles", "encoding", 1),
    (YAML / "binary.yaml", "profiles", "binary-file", 1),
    (YAML / "utf16_no_bom.yaml", "profiles", "binary-file", 1),
    (YAML / "utf16.yaml", "profiles", "encoding", 0),  # read, warned
    (YAML / "empty.yaml", "profiles", "profiles-type", 1),
    (YAML / "null.yaml", "profiles", "profiles-type", 1),
    (YAML / "wrong_top_level.yaml", "profiles", "profiles-type", 1),
    (YAML / "several_documents.yaml", "profiles", "yaml-documents", 1),
    (YAML / "duplicate_keys.yaml", "profiles", "yaml-duplicate-key", 1),
    (YAML / "alias_bomb.yaml", "profiles", "yaml-aliases", 1),
    (YAML / "alias_bomb.yaml", "tekton", "yaml-aliases", 1),
    (YAML / "recursive_alias.yaml", "profiles", "yaml-aliases", 1),
    (YAML / "unsafe_tag.yaml", "profiles", "yaml-unsafe-tag", 1),
    (YAML / "unsafe_tag.yaml", "tekton", "yaml-unsafe-tag", 1),
    (YAML / "custom_tag.yaml", "profiles", "yaml-custom-tag", 1),
    (YAML / "tabs.yaml", "profiles", "yaml-syntax", 1),
    (YAML / "syntax_error.yaml", "tekton", "yaml-syntax", 1),
    (PROFILES / "yaml11_coercion.yaml", "profiles", "profiles-type", 1),
    (PROFILES / "key_typo.yaml", "profiles", "profiles-unknown-key", 1),
    (PROFILES / "duplicates.yaml", "profiles", "profiles-duplicate", 1),
    (PROFILES / "overlap.yaml", "profiles", "profiles-overlap", 1),
    (PROFILES / "empty_admins.yaml", "profiles", "profiles-admins", 1),
    (TEKTON / "bad" / "latest_image.yaml", "tekton", "image-latest", 0),
    (TEKTON / "bad" / "no_secret_ref.yaml", "tekton", "github-secret", 1),
    (
        TEKTON / "bad" / "changed_files_with_owners.yaml",
        "tekton",
        "github-owners-skipped",
        1,
    ),
    (YAML / "wrong_top_level.yaml", "tekton", "not-a-resource", 1),
]


@pytest.mark.parametrize(
    "path, module, rule, code",
    BAD_INPUTS,
    ids=[f"{p.parent.name}/{p.name}-{m}" for p, m, _, _ in BAD_INPUTS],
)
def test_bad_input_gives_one_clear_finding_within_limits(path, module, rule, code):
    assert_clear(run_hook(module, path), rule, code)


def test_hundred_thousand_levels_of_nesting(tmp_path):
    path = tmp_path / "flow.yaml"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert_clear(run_hook("tekton", path), "yaml-depth")


def test_deep_block_nesting(tmp_path):
    # Block style needs indentation: 1,000 levels is ~0.5 MB, under the size cap.
    path = tmp_path / "block.yaml"
    path.write_text("".join(" " * i + "a:\n" for i in range(1000)))
    assert path.stat().st_size < yamlio.DEFAULT_MAX_BYTES
    assert_clear(run_hook("profiles", path), "yaml-depth")


def test_ten_megabyte_file_refused_before_reading(tmp_path):
    path = tmp_path / "profiles.yaml"
    with open(path, "w") as handle:
        handle.write("profiles:\n  name: iris\n  admins:\n")
        line = "    - someone@example.com\n"
        handle.write(line * (10 * 1024 * 1024 // len(line)))
    assert path.stat().st_size >= 10 * 1024 * 1024
    result = run_hook("profiles", path)
    assert_clear(result, "file-too-large")
    assert "--max-bytes" in result.stdout


def test_ten_megabyte_file_with_raised_cap_parses_within_limits(tmp_path):
    # Past the size cap, the node cap still bounds the work.
    path = tmp_path / "big.yaml"
    path.write_text("- x\n" * (10 * 1024 * 1024 // 4))
    result = run_hook("tekton", "--max-bytes", str(1 << 30), path)
    assert_clear(result, "yaml-size")


def test_missing_symlinked_and_spaced_paths(tmp_path):
    good = PROFILES / "profiles.yaml"
    spaced = tmp_path / "my project" / "profiles.yaml"
    spaced.parent.mkdir()
    spaced.write_bytes(good.read_bytes())
    link = tmp_path / "linked" / "profiles.yaml"
    link.parent.mkdir()
    link.symlink_to(good)
    broken = tmp_path / "broken" / "profiles.yaml"
    broken.parent.mkdir()
    broken.symlink_to(tmp_path / "nowhere.yaml")
    missing = tmp_path / "missing" / "profiles.yaml"

    result = run_hook("profiles", spaced, link, broken, missing)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    out = result.stdout
    assert str(spaced) not in out and str(link) not in out  # both are fine
    assert f"{broken}:0:0: error: broken symbolic link" in out
    assert f"{missing}:0:0: error: file not found [file-missing]" in out


def test_directory_and_fifo_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "profiles.yaml"
    os.mkfifo(fifo)
    result = run_hook("profiles", fifo, tmp_path)
    assert result.returncode == 1
    assert "not a regular file" in result.stdout
    assert "is a directory" in result.stdout


def test_usage_error_exits_2_with_one_line():
    result = run_hook("profiles", "--format", "xml")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


# --- The reader's API, in process ----------------------------------------


def test_positions_of_keys_values_and_items():
    loaded = yamlio.parse("a:\n  b: [x, y]\n  c: 3\n", "t.yaml")
    (doc,) = loaded.documents
    assert doc.pos == (1, 1)
    assert doc["a"].pos_of("c") == (3, 6)
    assert doc["a"].key_pos["c"] == (3, 3)
    assert doc["a"]["b"].pos_of(1) == (2, 10)
    assert loaded.findings == []


def test_duplicate_key_is_an_error_with_both_lines():
    loaded = yamlio.parse("name: a\nother: 1\nname: b\n", "t.yaml")
    (found,) = loaded.findings
    assert (found.line, found.level, found.rule) == (3, ERROR, "yaml-duplicate-key")
    assert "first at line 1" in found.message


def test_yaml_11_scalars_are_typed_not_strings():
    (doc,) = yamlio.parse("a: no\nb: 0123\nc: on\nd: 1e3\n").documents
    assert doc == {"a": False, "b": 83, "c": True, "d": "1e3"}


def test_merge_keys_keep_positions():
    (doc,) = yamlio.parse("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n").documents
    assert doc["use"] == {"x": 1, "y": 2}
    assert doc["use"].pos_of("x") == (1, 14)


def test_aliases_within_the_node_cap_are_fine():
    (doc,) = yamlio.parse("a: &a [1, 2]\nb: *a\n", max_nodes=10).documents
    assert doc["b"] == [1, 2]
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.parse("a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n", max_nodes=10)
    assert caught.value.finding.rule == "yaml-aliases"


def test_undefined_alias_is_refused():
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.parse("a: *nowhere\n")
    assert "alias" in caught.value.finding.message


def test_depth_cap_is_configurable():
    text = "a:\n  b:\n    c: 1\n"
    assert yamlio.parse(text, max_depth=3).documents
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.parse(text, max_depth=2)
    assert caught.value.finding.rule == "yaml-depth"


def test_complex_keys_are_refused():
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.parse("? [a, b]\n: 1\n")
    assert caught.value.finding.rule == "yaml-complex-key"


def test_huge_integer_is_a_finding_with_a_short_message():
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.parse("a: 1" + "0" * 5000 + "\n")
    assert len(caught.value.finding.message) < 200


@pytest.mark.parametrize(
    "data, codec",
    [
        (codecs.BOM_UTF8 + b"a: 1\n", None),
        ("a: 1\n".encode("utf-16"), "UTF-16"),
        ("a: 1\n".encode("utf-32"), "UTF-32"),
    ],
)
def test_byte_order_marks(data, codec):
    text, notes = yamlio.decode("t.yaml", data)
    assert text == "a: 1\n"
    if codec:
        (note,) = notes
        assert note.level == WARNING and codec in note.message
    else:
        assert notes == []


def test_non_utf8_points_at_the_bad_byte():
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.decode("t.yaml", b"a: 1\nb: caf\xe9\n")
    found = caught.value.finding
    assert (found.line, found.col) == (2, 7)
    assert "0xe9" in found.message


def test_bom_then_bad_byte_names_that_byte():
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.decode("t.yaml", codecs.BOM_UTF8 + b"a: \xff\n")
    assert "0xff" in caught.value.finding.message


def test_source_at_gives_the_written_scalar():
    text = "name: no  # comment\nlist: [0123, x]\n"
    assert yamldata.source_at(text, (1, 7)) == "no"
    assert yamldata.source_at(text, (2, 8)) == "0123"
    assert yamldata.source_at(text, None) == ""
    assert yamldata.source_at(text, (9, 1)) == ""


def test_empty_and_null_documents():
    assert yamlio.parse("").documents == []
    assert yamlio.parse("# only a comment\n").documents == []
    assert yamlio.parse("null\n").documents == [None]
    assert yamlio.parse("---\n---\n").documents == [None, None]


@pytest.mark.parametrize("module", ["profiles", "tekton"])
@pytest.mark.parametrize("value", ["0", "-5", "1.5", "lots"])
def test_non_positive_size_cap_is_a_usage_error(module, value):
    result = run_hook(module, "--max-bytes", value, YAML / "null.yaml")
    assert result.returncode == 2
    assert f"--max-bytes: must be a positive integer, got {value}" in (
        result.stderr.replace("'", "")
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_utf8_bom_file_passes_cleanly_within_limits():
    result = run_hook("profiles", YAML / "bom_utf8.yaml")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_bad_byte_column_counts_characters_and_skips_the_bom():
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.decode("t.yaml", codecs.BOM_UTF8 + "a: é\nb: ü".encode() + b"\xff\n")
    found = caught.value.finding
    assert (found.line, found.col) == (2, 5) and "0xff" in found.message


def test_get_in_plain_and_type_name_on_read_data(tmp_path) -> None:
    from precommit_hooks.core.yamldata import get_in, plain, type_name

    path = tmp_path / "a.yaml"
    path.write_text("a:\n  b: [1, {c: true}]\nd: 1.5\n")
    data = yamlio.load_one(str(path)).documents[0]
    assert get_in(data, "a", "b") == [1, {"c": True}]
    assert get_in(data, "a", "b", "c") is None  # a list is not a mapping
    assert get_in(data, "x", "y") is None
    copy = plain(data)
    assert type(copy) is dict and type(copy["a"]["b"]) is list
    assert type(copy["a"]["b"][1]) is dict and copy == data
    assert [type_name(v) for v in (None, True, 2, 1.5, "s", {}, [], b"")] == [
        "null",
        "boolean true",
        "integer 2",
        "number 1.5",
        "string",
        "mapping",
        "list",
        "bytes",
    ]
