"""check-tekton's security rules against inputs written to talk them around.

Each hostile input is a small Tekton set (an issue_comment trigger, its
template and the pipeline it runs) with one bypass; the honest version of the
same set passes, so each test shows the rule telling the two apart.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from precommit_hooks.core.findings import ERROR
from precommit_hooks.hooks.check_tekton import check_files, main

HONEST_SCRIPT = """\
#!/bin/sh
set -eu
dsp authorize --payload "$WORK/event.json" --profiles profiles.yaml > "$WORK/ok.json"
cat "$WORK/ok.json"
"""

LISTENER = """\
apiVersion: triggers.tekton.dev/v1beta1
kind: EventListener
metadata: {name: el}
spec:
  triggers:
    - name: comments
      interceptors:
        - ref: {name: github}
          params:
            - {name: secretRef, value: {secretName: s, secretKey: k}}
            - {name: eventTypes, value: [issue_comment]}
        - ref: {name: cel}
          params:
            - name: filter
              value: FILTER
      template:
        spec:
          resourcetemplates:
            - apiVersion: tekton.dev/v1
              kind: PipelineRun
              metadata: {generateName: run-}
              spec:
                pipelineRef: {name: run-pipeline}
"""


def pipeline(script: str = HONEST_SCRIPT, step_extra: str = "", task_extra: str = ""):
    body = textwrap.indent(script, " " * 14)
    return (
        "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: run-pipeline}\n"
        "spec:\n  tasks:\n    - name: authorize\n" + task_extra + "      taskSpec:\n"
        "        steps:\n          - name: check\n            image: alpine:3.20\n"
        + step_extra
        + "            script: |\n"
        + body
        + "    - name: run\n      runAfter: [authorize]\n      taskSpec:\n"
        "        steps:\n          - {name: go, image: alpine:3.20, script: echo go}\n"
    )


def check(tmp_path: Path, pipeline_text: str, cel: str = "body.action == 'created'"):
    listener = LISTENER.replace("FILTER", '"' + cel.replace('"', '\\"') + '"')
    (tmp_path / "el.yaml").write_text(listener)
    (tmp_path / "pipeline.yaml").write_text(pipeline_text)
    found = check_files([str(tmp_path / "el.yaml"), str(tmp_path / "pipeline.yaml")])
    return [(f.rule, f.level) for f in found], found


def test_honest_authorisation_passes(tmp_path):
    assert check(tmp_path, pipeline()) == ([], [])


BYPASSES = {
    "or-true": ("dsp authorize --payload e.json || true\ncat x\n", "'|| true'"),
    "or-colon": ("set -e\ndsp authorize --payload e.json || :\ncat x\n", "'|| :'"),
    "set-plus-e": ("set -e\nset +e\ndsp authorize\ncat x\n", "add set -e"),
    "semicolon-true": ("#!/bin/bash\ndsp authorize; true\n", "goes on to 'true'"),
    "exit-0": ("set -e\ndsp authorize || exit 0\ncat x\n", "'|| exit 0'"),
    "in-if": ("set -e\nif dsp authorize; then echo ok; fi\n", "condition"),
    "negated": ("set -e\n! dsp authorize\necho ok\n", "negates"),
    "piped": ("set -e\ndsp authorize | tee out\necho ok\n", "piped into 'tee out'"),
    "background": ("set -e\ndsp authorize &\necho ok\n", "background"),
    "short-circuit": ("set -e\ntrue || dsp authorize\necho ok\n", "after '||'"),
    "and-then": ("set -e\ndsp authorize && echo ok\necho more\n", "'&&'"),
    "subshell": ("set -e\nx=$(dsp authorize)\necho ok\n", "subshell"),
    "in-function": ("set -e\nf() { dsp authorize; }\necho ok\n", "function"),
    "trap": ("set -e\ntrap 'exit 0' EXIT\ndsp authorize\necho\n", "exit 0"),
    "unclosed-quote": ("set -e\ndsp authorize 'oops\necho\n", "does not parse"),
    "function": ("set -e\ndsp() { true; }\ndsp authorize\necho\n", "redefines dsp"),
    "alias": ("set -e\nalias dsp=true\ndsp authorize\necho\n", "redefines dsp"),
    "help": ("set -e\ndsp authorize --help\necho\n", "--help"),
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_authorisation_that_cannot_fail_the_run_is_refused(tmp_path, name):
    script, reason = BYPASSES[name]
    rules, found = check(tmp_path, pipeline(script))
    assert ("authorise-first", ERROR) in rules, found
    # ... and the comment trigger is no longer authorised by it.
    assert ("comment-authorisation", ERROR) in rules, found
    (bypass,) = [f for f in found if f.rule == "authorise-first"]
    assert reason in bypass.message and "'authorize'" in bypass.message
    assert bypass.path.endswith("pipeline.yaml")


def test_on_error_continue_on_the_step_or_the_task(tmp_path):
    rules, found = check(
        tmp_path, pipeline(step_extra="            onError: continue\n")
    )
    assert ("authorise-first", ERROR) in rules
    assert any("onError: continue" in f.message for f in found)
    rules, found = check(tmp_path, pipeline(task_extra="      onError: continue\n"))
    assert any("pipeline task has onError" in f.message for f in found)


def test_a_when_expression_on_the_authorisation_is_a_bypass(tmp_path):
    when = "      when:\n        - {input: a, operator: in, values: [b]}\n"
    rules, found = check(tmp_path, pipeline(task_extra=when))
    assert ("authorise-first", ERROR) in rules
    assert any("skipped" in f.message for f in found)


@pytest.mark.parametrize(
    "script",
    [
        "set -e\n# dsp authorize --payload e.json\necho hi\n",  # a comment
        "set -e\necho 'dsp authorize --payload e.json'\n",  # a string
        "#!/usr/bin/env python3\nprint('dsp authorize')\n",  # not a shell
    ],
)
def test_the_words_alone_authorise_nothing(tmp_path, script):
    rules, found = check(tmp_path, pipeline(script))
    assert rules == [("comment-authorisation", ERROR)], found


@pytest.mark.parametrize(
    "script",
    [
        "dsp authorize --payload e.json\ncat x\n",  # no shebang: Tekton adds set -e
        "#!/bin/bash -e\ndsp authorize\necho ok\n",
        "#!/bin/sh\nset -o errexit\ndsp authorize || exit 1\necho ok\n",
        "#!/bin/bash\nset -euo pipefail\ndsp authorize | tee out\n",
        "#!/bin/sh\necho start\ndsp authorize \\\n  --payload e.json\n",  # last command
    ],
)
def test_forms_that_fail_the_run_pass(tmp_path, script):
    assert check(tmp_path, pipeline(script))[0] == []


def test_command_forms_pass(tmp_path):
    direct = (
        "            command: [dsp, authorize]\n"
        "            args: [--payload, e.json]\n"
    )
    text = pipeline("").replace("            script: |\n", direct)
    assert check(tmp_path, text)[0] == []
    dash_c = (
        '            command: [bash, -ec]\n            args: ["dsp authorize; echo"]\n'
    )
    assert (
        check(tmp_path, pipeline("").replace("            script: |\n", dash_c))[0]
        == []
    )
    loose = (
        '            command: [bash, -c]\n            args: ["dsp authorize; echo"]\n'
    )
    rules, _ = check(tmp_path, pipeline("").replace("            script: |\n", loose))
    assert ("authorise-first", ERROR) in rules


# --- CEL filters -----------------------------------------------------------

NO_GATE = pipeline("set -e\necho no authorisation here\n")


@pytest.mark.parametrize(
    "cel",
    [
        "body.comment.author_association in ['OWNER', 'MEMBER', 'COLLABORATOR']",
        "body.action == 'created' && body.comment.author_association == 'OWNER'",
        "'MEMBER' == body.comment.author_association && has(body.issue.pull_request)",
        "body.action == 'created' && (body.comment.author_association == 'OWNER'"
        " || body.comment.author_association == 'MEMBER')",
    ],
)
def test_a_real_conjunct_on_the_association_authorises(tmp_path, cel):
    assert check(tmp_path, NO_GATE, cel)[0] == []


@pytest.mark.parametrize(
    "cel",
    [
        "body.action == 'created' // body.comment.author_association == 'OWNER'",
        "body.action == 'created' && 'body.comment.author_association' != ''",
        "body.comment.author_association == 'OWNER' || true",
        "body.action == 'created' && (body.comment.author_association == 'OWNER'"
        " || body.action == 'created')",
        "body.comment.author_association != 'NONE'",
        "body.comment.author_association in ['OWNER', 'CONTRIBUTOR']",
        "body.issue.author_association == 'OWNER'",  # the PR's author
        "body.comment.author_association == body.comment.author_association",
    ],
)
def test_association_words_that_admit_anyone_do_not_authorise(tmp_path, cel):
    rules, found = check(tmp_path, NO_GATE, cel)
    assert rules == [("comment-authorisation", ERROR)], found


def test_unparsable_filter_is_its_own_finding(tmp_path):
    rules, found = check(tmp_path, NO_GATE, "body.action == 'created' &&")
    assert ("cel-syntax", ERROR) in rules
    (syntax,) = [f for f in found if f.rule == "cel-syntax"]
    assert "does not parse" in syntax.message and "\n" not in syntax.message
    assert syntax.path.endswith("el.yaml") and syntax.line == 12


# --- script-injection --------------------------------------------------------


def task(step: str) -> str:
    return (
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n"
        "  params: [{name: rev}, {name: url}]\n  steps:\n"
        + textwrap.indent(textwrap.dedent(step), "    ")
    )


INJECTIONS = {
    "script": (
        "- name: s\n  image: alpine:3.20\n  script: |\n    set -e\n"
        "    git checkout $(params.rev)\n",
        "$(params.rev)",
        11,
    ),
    "sh -c": (
        '- name: s\n  image: alpine:3.20\n  command: [sh, -c, "echo $(params.url)"]\n',
        "$(params.url)",
        9,
    ),
    "bash -ec in args": (
        "- name: s\n  image: alpine:3.20\n  command: [/bin/bash]\n"
        '  args: [-ec, \'curl "$(params["url"])"\']\n',
        '$(params["url"])',
        10,
    ),
    "event body": (
        "- name: s\n  image: alpine:3.20\n  script: echo $(body.comment.body)\n",
        "$(body.comment.body)",
        9,
    ),
    "extensions": (
        "- name: s\n  image: alpine:3.20\n  script: echo $(extensions.branch)\n",
        "$(extensions.branch)",
        9,
    ),
    "python script": (
        "- name: s\n  image: python:3.12\n  script: |\n    #!/usr/bin/env python3\n"
        "    print('$(params.rev)')\n",
        "$(params.rev)",
        11,
    ),
}


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_values_pasted_into_code_are_injection(tmp_path, name):
    step, written, line = INJECTIONS[name]
    path = tmp_path / "task.yaml"
    path.write_text(task(step))
    found = check_files([str(path)])
    (injected,) = [f for f in found if f.rule == "script-injection"]
    assert (injected.level, injected.line) == (ERROR, line), found
    assert written in injected.message and "pass it through env" in injected.message
    assert main([str(path)]) == 1


def test_values_through_env_args_and_paths_are_not_injection(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text(task("""\
            - name: s
              image: alpine:3.20
              workingDir: $(workspaces.src.path)
              env: [{name: REV, value: $(params.rev)}]
              args: ["$(params.url)"]
              script: |
                git checkout "$REV" && curl "$1" > $(results.out.path)
            - name: plain
              image: alpine:3.20
              command: [git, clone, $(params.url)]
            """))
    assert check_files([str(path)]) == []


# --- The template's own .tekton/ ---------------------------------------------


def test_the_template_passes_every_rule_and_really_authorises(baked_project):
    tekton = baked_project / ".tekton"
    paths = [str(p) for p in sorted(tekton.glob("*.yaml"))]
    assert check_files(paths) == []


def test_the_template_with_its_authorisation_talked_around_fails(
    baked_project, tmp_path
):
    copy = tmp_path / "tekton"
    shutil.copytree(baked_project / ".tekton", copy)
    run = copy / "run-pipeline.yaml"
    text = run.read_text()
    hostile = text.replace(
        '> "$WORK/authorized.json"', '> "$WORK/authorized.json" || true'
    )
    assert hostile != text
    run.write_text(hostile)
    found = check_files([str(p) for p in sorted(copy.glob("*.yaml"))])
    rules = {(f.rule, Path(f.path).name) for f in found if f.level == ERROR}
    assert ("authorise-first", "run-pipeline.yaml") in rules
    assert ("comment-authorisation", "triggers.yaml") in rules


def test_a_step_action_script_is_checked_too(tmp_path):
    path = tmp_path / "action.yaml"
    path.write_text(
        "apiVersion: tekton.dev/v1beta1\nkind: StepAction\nmetadata: {name: a}\n"
        "spec:\n  params: [{name: url}]\n  image: alpine:3.20\n"
        "  script: |\n    curl $(params.url)\n"
    )
    (found,) = check_files([str(path)])
    assert (found.rule, found.line) == ("script-injection", 8)
