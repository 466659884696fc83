"""check-pipelines: each file compiled by the real kfp compiler in a fresh process."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from precommit_hooks.hooks import check_pipelines as pipelines
from precommit_hooks.hooks.check_pipelines import (
    check_pipelines,
    compile_pipeline,
    main,
)
from tests.support.paths import FIXTURES, REPO_ROOT

FIXTURES = FIXTURES / "pipelines"
HAZARDS = FIXTURES / "hazards"
GOOD = FIXTURES / "good" / "hello_pipeline.py"
COMPONENT_REPO = FIXTURES / "component_repo"
MEMORY_LIMIT = 200 * 1024 * 1024
# Long enough for kfp's import on a busy 2-core machine; the endless fixture
# is the only one that reaches it.
SHORT_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def hazard_findings():
    """Every hazard fixture compiled once, two at a time: {file name: findings}."""
    files = sorted(
        str(p) for p in HAZARDS.glob("*_pipeline.py") if p.name != "endless_pipeline.py"
    )
    found = check_pipelines(files, timeout=SHORT_TIMEOUT, jobs=2)
    by_name: dict[str, list] = {Path(f).name: [] for f in files}
    for item in found:
        by_name[Path(item.path).name].append(item)
    return by_name


def _one(found, rule):
    assert [f.rule for f in found] == [rule], [f.text() for f in found]
    assert found[0].level == "error"
    return found[0]


def test_a_good_pipeline_compiles_and_its_inputs_are_read():
    compiled, found = compile_pipeline(str(GOOD), SHORT_TIMEOUT)
    assert found == []
    assert compiled["pipelineInfo"]["name"] == "hello"
    assert pipelines.pipeline_inputs(compiled) == {
        "message": "STRING",
        "times": "NUMBER_INTEGER",
        "ratio": "NUMBER_DOUBLE",
    }
    specs = pipelines.pipeline_input_specs(compiled)
    assert specs["message"] == {"type": "STRING", "optional": True, "default": "hi"}
    assert specs["times"]["default"] == 2


def test_artifact_inputs_report_their_schema_title():
    compiled = {
        "root": {
            "inputDefinitions": {
                "artifacts": {
                    "data": {"artifactType": {"schemaTitle": "system.Dataset"}}
                },
                "parameters": {"n": {"parameterType": "NUMBER_INTEGER"}},
            }
        }
    }
    assert pipelines.pipeline_inputs(compiled) == {
        "data": "system.Dataset",
        "n": "NUMBER_INTEGER",
    }
    assert pipelines.pipeline_inputs({}) == {}


def test_same_file_name_in_two_folders_do_not_collide(tmp_path):
    files = sorted(str(p) for p in (FIXTURES / "same_name").glob("*/train_pipeline.py"))
    assert len(files) == 2
    assert check_pipelines(files, timeout=SHORT_TIMEOUT, jobs=2) == []
    outputs = []
    for index, path in enumerate(files):
        out = tmp_path / f"{index}.yaml"
        compiled, found = compile_pipeline(path, SHORT_TIMEOUT, output=str(out))
        assert found == []
        outputs.append(yaml.safe_load(out.read_text())["pipelineInfo"]["name"])
        assert list(pipelines.pipeline_inputs(compiled)) == [f"only_in_{'ab'[index]}"]
    assert outputs == ["train-a", "train-b"]
    # The compiled YAML gets the mode open() would give (mkstemp alone gives 0600).
    reference = tmp_path / "reference"
    reference.write_text("x")
    assert out.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_import_side_effects_stay_out_of_the_repository(hazard_findings, tmp_path):
    assert hazard_findings["side_effects_pipeline.py"] == []
    assert not (HAZARDS / "side_effect.txt").exists()
    assert not (Path.cwd() / "side_effect.txt").exists()
    # Its print() at import does not reach the hook's own output.
    copy = tmp_path / "side_effects_pipeline.py"
    shutil.copy(HAZARDS / "side_effects_pipeline.py", copy)
    result = subprocess.run(
        [sys.executable, "-m", "precommit_hooks.hooks.check_pipelines", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert (result.returncode, result.stdout) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["side_effects_pipeline.py"]


def test_sys_exit_at_import_is_reported_at_its_line(hazard_findings):
    found = _one(hazard_findings["exits_pipeline.py"], "pipeline-import")
    assert found.line == 18
    assert "sys.exit(3)" in found.message and "__main__" in found.message


def test_os_exit_at_import_is_reported(hazard_findings):
    found = _one(hazard_findings["hard_exit_pipeline.py"], "pipeline-crash")
    assert "exit code 7" in found.message


def test_two_pipelines_ask_for_function(hazard_findings):
    found = _one(hazard_findings["two_pipelines_pipeline.py"], "pipeline-function")
    assert "first_pipeline, second_pipeline" in found.message
    assert "--function" in found.message
    compiled, found = compile_pipeline(
        str(HAZARDS / "two_pipelines_pipeline.py"),
        SHORT_TIMEOUT,
        function="second_pipeline",
    )
    assert found == [] and compiled["pipelineInfo"]["name"] == "second"


def test_unknown_function_name_lists_the_pipelines(capsys):
    path = str(HAZARDS / "two_pipelines_pipeline.py")
    assert main(["--function", "third", "--timeout", str(SHORT_TIMEOUT), path]) == 1
    out = capsys.readouterr().out
    assert "no @dsl.pipeline named 'third'" in out
    assert "first_pipeline, second_pipeline" in out


def test_no_pipeline_in_the_file(hazard_findings):
    found = _one(hazard_findings["no_pipeline_pipeline.py"], "pipeline-function")
    assert "no pipeline found" in found.message


def test_import_error_names_the_module_and_line(hazard_findings):
    found = _one(hazard_findings["import_error_pipeline.py"], "pipeline-import")
    assert found.line == 5
    assert "no_such_module_for_dsp_tests" in found.message


def test_kfp_type_error_points_at_the_users_line(hazard_findings):
    found = _one(hazard_findings["type_error_pipeline.py"], "pipeline-compile")
    assert found.line == 13
    assert "Incompatible argument" in found.message
    assert "site-packages" not in found.message


def test_cwd_relative_paths_explain_the_temporary_directory(hazard_findings):
    found = _one(hazard_findings["relative_path_pipeline.py"], "pipeline-import")
    assert found.line == 5 and "__file__" in found.message
    compiled, found = compile_pipeline(
        str(HAZARDS / "relative_path_pipeline.py"), SHORT_TIMEOUT, cwd=str(HAZARDS)
    )
    assert found == [] and compiled["pipelineInfo"]["name"] == "relative-path"


def test_endless_import_is_stopped_by_the_timeout(capsys):
    endless = str(HAZARDS / "endless_pipeline.py")
    _, found = compile_pipeline(endless, 1.5)
    assert [f.rule for f in found] == ["pipeline-timeout"]
    assert "longer than 1.5 s" in found[0].message
    # dsp parse-comment compiles through compile_pipeline and has no --timeout.
    assert "--" not in found[0].message
    assert main(["--timeout", "1.5", endless]) == 1
    assert "fix it or raise --timeout [pipeline-timeout]" in capsys.readouterr().out


def test_hints_name_an_option_only_where_the_caller_has_it(hazard_findings):
    two = str(HAZARDS / "two_pipelines_pipeline.py")
    _, found = compile_pipeline(two, SHORT_TIMEOUT)
    assert [f.rule for f in found] == ["pipeline-function"]
    assert "keep one pipeline a file" in found[0].message
    assert "--" not in found[0].message
    relative = str(HAZARDS / "relative_path_pipeline.py")
    _, found = compile_pipeline(relative, SHORT_TIMEOUT)
    assert "__file__" in found[0].message and "--" not in found[0].message
    hooked = hazard_findings["relative_path_pipeline.py"][0].message
    assert "__file__, or use --cwd repo" in hooked


def test_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "broken_pipeline.py"
    path.write_text("from kfp import dsl\n\n\ndef oops(:\n    pass\n")
    _, found = compile_pipeline(str(path), SHORT_TIMEOUT)
    assert [(f.rule, f.line) for f in found] == [("pipeline-syntax", 4)]
    assert found[0].col > 0 and "SyntaxError" in found[0].message


def test_error_in_an_imported_module_names_that_file(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 1 / 0\n")
    path = tmp_path / "uses_helper_pipeline.py"
    path.write_text("import helper  # noqa\n")
    _, found = compile_pipeline(str(path), SHORT_TIMEOUT)
    assert [(f.rule, f.line) for f in found] == [("pipeline-import", 1)]
    assert "ZeroDivisionError" in found[0].message
    assert f"{tmp_path / 'helper.py'}:1" in found[0].message


def test_no_bytecode_is_written_next_to_the_pipeline(tmp_path):
    (tmp_path / "helper.py").write_text("NAME = 'hello'\n")
    path = tmp_path / "hello_pipeline.py"
    path.write_text(GOOD.read_text().replace('name="hello"', "name=helper.NAME"))
    path.write_text("import helper\n" + path.read_text())
    _, found = compile_pipeline(str(path), SHORT_TIMEOUT)
    assert found == []
    assert not (tmp_path / "__pycache__").exists()


def test_missing_symlinked_and_spaced_paths(tmp_path, capsys):
    spaced = FIXTURES / "with space" / "my hello_pipeline.py"
    link = tmp_path / "linked_pipeline.py"
    link.symlink_to(GOOD)
    broken = tmp_path / "broken_pipeline.py"
    broken.symlink_to(tmp_path / "nowhere.py")
    missing = tmp_path / "missing_pipeline.py"
    args = ["--timeout", str(SHORT_TIMEOUT), str(spaced), str(link)]
    assert main(args + [str(missing), str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == sorted(
        [
            f"{broken}:0:0: error: broken symbolic link to "
            f"{str(tmp_path / 'nowhere.py')!r} [file-missing]",
            f"{missing}:0:0: error: pipeline file not found [file-missing]",
        ]
    )
    assert main(args) == 0


def test_a_file_that_is_not_python_or_not_regular_is_named_clearly(tmp_path, fifo):
    yaml_file = tmp_path / "hello_pipeline.yaml"
    yaml_file.write_text("a: 1\n")
    found = check_pipelines([str(yaml_file), str(fifo)], timeout=SHORT_TIMEOUT)
    assert sorted(f.text() for f in found) == sorted(
        [
            f"{yaml_file}:0:0: error: a pipeline file is Python source ending in .py "
            "(workflows/<name>_pipeline.py); rename it or pass the .py file "
            "[pipeline-file]",
            f"{fifo}:0:0: error: pipeline file is not a regular file "
            "(a pipe or device?) [file-missing]",
        ]
    )


def test_json_output(capsys):
    path = str(HAZARDS / "no_pipeline_pipeline.py")
    assert main(["--format", "json", "--timeout", str(SHORT_TIMEOUT), path]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(r["path"], r["rule"]) for r in report] == [(path, "pipeline-function")]


def test_usage_errors_exit_2():
    for argv in (
        ["--timeout", "0"],
        ["--jobs", "0"],
        ["--cwd", "home"],
        ["--max-bytes", "0"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv + ["x_pipeline.py"])
        assert exc.value.code == 2


@pytest.mark.parametrize("value", ["nan", "inf", "1e12"])
def test_a_timeout_no_timer_can_hold_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--timeout", value, str(GOOD)])
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        "check-pipelines: error: --timeout must be a number of seconds between 0 "
        f"and 86400, got {float(value):g}\n"
    )


def test_an_interpreter_that_cannot_start_is_one_finding(tmp_path):
    _, found = compile_pipeline(
        str(GOOD), SHORT_TIMEOUT, python=str(tmp_path / "no-python")
    )
    assert [f.rule for f in found] == ["pipeline-python"]


def test_importing_the_hook_does_not_import_kfp():
    code = (
        "import sys, precommit_hooks.hooks.check_pipelines; print('kfp' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_default_files_pattern_matches_pipeline_files():
    manifest = REPO_ROOT / ".pre-commit-hooks.yaml"
    hooks = {hook["id"]: hook for hook in yaml.safe_load(manifest.read_text())}
    pattern = re.compile(hooks["check-pipelines"]["files"])
    assert hooks["check-pipelines"]["require_serial"] is True
    assert hooks["check-pipelines"]["types"] == ["file"]  # component.yaml too
    for path in (
        "workflows/iris_pipeline.py",
        "sub/workflows/a/b_pipeline.py",
        "workflows/components/train/component.yaml",
        "workflows/components/train/src/train.py",
        "workflows/components/train/src/lib/util.py",
    ):
        assert pattern.search(path), path
    for path in (
        "workflows/pipeline.py",
        "src/x_pipeline.py",
        "workflows/x.py",
        "workflows/components/train/Dockerfile",
        "workflows/components/train/README.md",
        "src/pkg/model.py",
    ):
        assert not pattern.search(path), path


def test_baked_project_pipeline_compiles(baked_project):
    files = sorted(baked_project.glob("workflows/*_pipeline.py"))
    assert files, "the generated project has no pipeline file"
    compiled, found = compile_pipeline(str(files[0]), 60)
    assert found == [], [f.text() for f in found]
    assert pipelines.pipeline_inputs(compiled) == {
        "source": "STRING",
        "C": "NUMBER_DOUBLE",
        "max_iter": "NUMBER_INTEGER",
        "seed": "NUMBER_INTEGER",
        "git_branch": "STRING",
        "git_sha": "STRING",
    }
    assert os.listdir(files[0].parent).count("__pycache__") == 0


def test_max_bytes_caps_the_compiled_yaml_read_back(capsys):
    args = ["--max-bytes", "100", "--timeout", str(SHORT_TIMEOUT), str(GOOD)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "[pipeline-output]" in out and "over the 100-byte limit" in out


@pytest.fixture()
def component_repo(tmp_path, monkeypatch) -> Path:
    """A copy of the fixture repository, as the current directory (pre-commit's)."""
    repo = tmp_path / "repo"
    shutil.copytree(COMPONENT_REPO, repo)
    monkeypatch.chdir(repo)
    return repo


def rename_input(component: Path, old: str, new: str) -> None:
    text = component.read_text()
    component.write_text(
        text.replace(f"name: {old}", f"name: {new}").replace(
            f"inputValue: {old}", f"inputValue: {new}"
        )
    )


GREET = "workflows/components/greet/component.yaml"


def test_a_renamed_component_input_fails_the_pipeline_that_uses_it(component_repo):
    assert check_pipelines([GREET, "workflows/components/greet/src/greet.py"]) == []
    rename_input(component_repo / GREET, "who", "person")
    for changed in (GREET, "workflows/components/greet/src/greet.py"):
        found = check_pipelines([changed], timeout=SHORT_TIMEOUT)
        # broken_pipeline.py names no component: it is not compiled.
        assert [(f.path, f.line, f.rule) for f in found] == [
            ("workflows/greet_pipeline.py", 16, "pipeline-compile")
        ]
        assert 'unexpected keyword argument "who"' in found[0].message
        assert found[0].message.endswith(f"(compiled because {changed} changed)")


def test_a_component_file_no_pipeline_uses_compiles_nothing(component_repo):
    files = [
        "workflows/components/unused/component.yaml",
        # a src/ folder whose component.yaml is gone: nothing builds it
        "workflows/components/orphan/src/orphan.py",
    ]
    assert pipelines.pipelines_to_compile(files) == {}
    assert check_pipelines(files) == []


def test_a_pipeline_given_and_used_is_compiled_once(component_repo):
    chosen = pipelines.pipelines_to_compile(["workflows/greet_pipeline.py", GREET])
    assert chosen == {"workflows/greet_pipeline.py": None}


def test_kfp_is_imported_once_per_run_not_per_file(tmp_path, monkeypatch):
    import kfp

    # Each child compiles with the module this process imported (and marked),
    # so no child pays kfp's import again.
    monkeypatch.setattr(kfp, "MARKED_BY", os.getpid(), raising=False)
    path = FIXTURES / "preloaded" / "preloaded_pipeline.py"
    copies = []
    for index in range(3):
        copies.append(tmp_path / f"p{index}_pipeline.py")
        shutil.copy(path, copies[-1])
    assert check_pipelines(list(map(str, copies)), timeout=SHORT_TIMEOUT) == []
    # With --python the child runs compile_child.py and imports kfp itself.
    _, found = compile_pipeline(str(path), SHORT_TIMEOUT, python=sys.executable)
    assert [f.rule for f in found] == ["pipeline-import"]
    assert "kfp was imported for this file alone" in found[0].message


def _memory_limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_a_pipeline_that_prints_300_mb_costs_the_hook_little_memory():
    # 300 MB on stdout and on stderr at import, then os._exit(5); the hook,
    # kfp imported, runs with 200 MB of address space.
    loud = str(FIXTURES / "loud" / "loud_pipeline.py")
    result = subprocess.run(
        [sys.executable, "-m", "precommit_hooks.hooks.check_pipelines", loud],
        capture_output=True,
        text=True,
        preexec_fn=_memory_limit,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and len(lines[0]) < 600, lines
    assert lines[0].startswith(f"{loud}:0:0: error: the compiler process ended ")
    assert "exit code 5" in lines[0]
    assert lines[0].endswith("| last words [pipeline-crash]")


def test_a_refused_fork_is_a_finding_on_each_file_not_a_traceback(monkeypatch):
    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    files = [str(GOOD), str(HAZARDS / "no_pipeline_pipeline.py")]
    found = check_pipelines(files, timeout=SHORT_TIMEOUT)
    assert [(f.path, f.rule) for f in found] == [(p, "internal-error") for p in files]
    assert "Resource temporarily unavailable" in found[0].message
