"""``dsp pipeline upload | prune | run``.

No KFP server runs here.  The decisions are plain functions tested directly;
the thin layer over ``kfp.Client`` is tested twice: with a small fake client
object, and with the real ``kfp.Client`` talking to a small fake of KFP's
v2beta1 REST API on 127.0.0.1 (so the requests kfp really sends are checked).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from precommit_hooks import cli

from precommit_hooks.kfp import client as kfp_pipelines

from precommit_hooks.hooks import check_pipelines as pipelines
from precommit_hooks.core.findings import Refusal
from tests.support.fake_kfp import new_state, serve_kfp
from tests.support.servers import free_port

PIPELINE = """\
from kfp import dsl


@dsl.component(base_image="python:3.11-slim")
def add(x: int, seed: int) -> int:
    return x + seed


@dsl.pipeline(name="example-pipeline")
def example_pipeline(x: int = 1, seed: int = 42):
    add(x=x, seed=seed)
"""

SHA = "c8eb41f" + "0" * 33


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real compiled pipeline package (kfp's compiler, once per module)."""
    folder = tmp_path_factory.mktemp("kfp")
    source = folder / "example_pipeline.py"
    source.write_text(PIPELINE)
    output = folder / "example_pipeline.yaml"
    compiled, found = pipelines.compile_pipeline(str(source), output=str(output))
    assert compiled is not None, found
    return output


def dsp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


# --- plain decisions ------------------------------------------------------------------


def test_run_url_is_the_kfp_ui_link() -> None:
    assert kfp_pipelines.run_url("https://kf.example.com/pipeline/", "r-1") == (
        "https://kf.example.com/pipeline/#/runs/details/r-1"
    )


def test_kfp_name_is_dns_safe() -> None:
    assert kfp_pipelines.kfp_name("GAIA-demo Example_pipeline") == (
        "gaia-demo-example-pipeline"
    )
    assert kfp_pipelines.kfp_name("///") == "pipeline"


def test_params_file_reads_parse_comment_output_and_plain_objects(
    tmp_path: Path,
) -> None:
    parsed = tmp_path / "parsed.json"
    parsed.write_text('{"pipeline": "workflows/x.py", "params": {"x": "206"}}')
    assert kfp_pipelines.read_params_file(str(parsed)) == {"x": "206"}
    plain = tmp_path / "plain.json"
    plain.write_text('{"x": 1}')
    assert kfp_pipelines.read_params_file(str(plain)) == {"x": 1}
    for text, reason in (("[1]", "JSON object"), ("{", "not JSON")):
        plain.write_text(text)
        with pytest.raises(Refusal, match=reason):
            kfp_pipelines.read_params_file(str(plain))
    with pytest.raises(Refusal, match="cannot read"):
        kfp_pipelines.read_params_file(str(tmp_path / "missing.json"))


def test_run_arguments_are_typed_from_the_compiled_package(package: Path) -> None:
    specs = kfp_pipelines.package_input_specs(str(package))
    assert {name: spec["type"] for name, spec in specs.items()} == {
        "x": "NUMBER_INTEGER",
        "seed": "NUMBER_INTEGER",
    }
    assert kfp_pipelines.run_arguments(
        {"x": "206", "seed": "3007"}, specs, str(package)
    ) == {"x": 206, "seed": 3007}
    with pytest.raises(Refusal, match="unknown parameter 'y'"):
        kfp_pipelines.run_arguments({"y": "1"}, specs, str(package))


def test_a_component_is_not_a_pipeline_package(tmp_path: Path) -> None:
    component = tmp_path / "component.yaml"
    component.write_text("name: c\nimplementation:\n  container:\n    image: a:1\n")
    with pytest.raises(Refusal, match="not a compiled KFP pipeline"):
        kfp_pipelines.package_input_specs(str(component))


# --- with a fake client object --------------------------------------------------------


class FakeClient:
    """The kfp.Client surface KfpStore uses, kept in memory."""

    def __init__(self) -> None:
        self.pipelines: dict[str, str] = {}  # display name -> id
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.deleted: list[str] = []
        self.runs: list[dict[str, Any]] = []
        self.clock = 0
        self._upload_api = SimpleNamespace(
            upload_pipeline=self._upload_pipeline,
            upload_pipeline_version=self._upload_version,
        )

    def _stamp(self) -> str:
        self.clock += 1
        return f"2026-01-01T00:00:{self.clock:02d}+00:00"

    def _upload_pipeline(self, path: str, **kwargs: Any) -> SimpleNamespace:
        pipeline_id = f"p{len(self.pipelines) + 1}"
        self.pipelines[kwargs["display_name"]] = pipeline_id
        self.versions[pipeline_id] = []
        self._upload_version(
            path,
            name=kwargs["name"],
            display_name=kwargs["display_name"],
            pipelineid=pipeline_id,
        )
        return SimpleNamespace(pipeline_id=pipeline_id)

    def _upload_version(self, path: str, **kwargs: Any) -> SimpleNamespace:
        assert Path(path).is_file()
        version = {
            "pipeline_version_id": f"v{sum(map(len, self.versions.values())) + 1}",
            "display_name": kwargs["display_name"],
            "name": kwargs["name"],
            "created_at": self._stamp(),
        }
        self.versions[kwargs["pipelineid"]].append(version)
        return SimpleNamespace(**version)

    def get_pipeline_id(self, name: str) -> str | None:
        return self.pipelines.get(name)

    def list_pipeline_versions(
        self, pipeline_id: str, page_token: str = "", page_size: int = 10
    ) -> SimpleNamespace:
        start = int(page_token or 0)
        page = self.versions[pipeline_id][start : start + 2]  # small pages
        more = start + 2 < len(self.versions[pipeline_id])
        return SimpleNamespace(
            pipeline_versions=page, next_page_token=str(start + 2) if more else ""
        )

    def delete_pipeline_version(
        self, pipeline_id: str, pipeline_version_id: str
    ) -> None:
        self.deleted.append(pipeline_version_id)
        self.versions[pipeline_id] = [
            v
            for v in self.versions[pipeline_id]
            if v["pipeline_version_id"] != pipeline_version_id
        ]

    def create_run_from_pipeline_package(self, path: str, **kwargs: Any) -> Any:
        self.runs.append({"package": path, **kwargs})
        return SimpleNamespace(run_id=f"run-{len(self.runs)}")


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    client = FakeClient()
    seen: list[tuple[str, str | None, str | None]] = []

    def connect(host: str, namespace: str | None, token: str | None) -> Any:
        seen.append((host, namespace, token))
        return kfp_pipelines.KfpStore(client, namespace)

    monkeypatch.setattr(kfp_pipelines, "connect", connect)
    client.seen = seen  # type: ignore[attr-defined]
    return client


def upload_argv(package: Path, branch: str, sha: str = SHA) -> list[str]:
    return [
        "pipeline",
        "upload",
        "--host",
        "https://kf.example.com/pipeline",
        "--package",
        str(package),
        "--pipeline-name",
        "GAIA-demo-example-pipeline",
        "--branch",
        branch,
        "--sha",
        sha,
    ]


def test_upload_creates_the_pipeline_then_the_version_once(
    capsys: pytest.CaptureFixture[str], fake: FakeClient, package: Path
) -> None:
    code, first, err = dsp(capsys, *upload_argv(package, "feature/lakefs-ormb-lakefs"))
    assert (code, err) == (0, "")
    assert first["created_pipeline"] is True and first["uploaded"] is True
    assert first["display_name"] == "feature/lakefs-ormb-lakefs-c8eb41f"
    assert first["name"] == "feature-lakefs-ormb-lakefs-c8eb41f"
    stored = fake.versions[first["pipeline_id"]]
    assert [(v["display_name"], v["name"]) for v in stored] == [
        ("GAIA-demo-example-pipeline", "gaia-demo-example-pipeline"),
        ("feature/lakefs-ormb-lakefs-c8eb41f", "feature-lakefs-ormb-lakefs-c8eb41f"),
    ]
    code, again, err = dsp(capsys, *upload_argv(package, "feature/lakefs-ormb-lakefs"))
    assert code == 0 and again["uploaded"] is False
    assert again["version_id"] == first["version_id"]
    assert len(fake.versions[first["pipeline_id"]]) == 2


def test_upload_on_the_default_branch_names_the_pipeline(
    capsys: pytest.CaptureFixture[str], fake: FakeClient, package: Path
) -> None:
    code, result, _ = dsp(capsys, *upload_argv(package, "main", "d6fd662" + "1" * 33))
    assert code == 0
    assert result["display_name"] == "GAIA-demo-example-pipeline-main-d6fd662"


def test_prune_deletes_the_oldest_of_the_branch_across_pages(
    capsys: pytest.CaptureFixture[str], fake: FakeClient, package: Path
) -> None:
    for sha in ("1111111", "2222222", "3333333", "4444444"):
        dsp(capsys, *upload_argv(package, "feature/x", sha))
    dsp(capsys, *upload_argv(package, "feature/y", "5555555"))
    code, result, err = dsp(
        capsys,
        "pipeline",
        "prune",
        "--host",
        "https://kf.example.com/pipeline",
        "--pipeline-name",
        "GAIA-demo-example-pipeline",
        "--branch",
        "feature/x",
        "--sha",
        "6666666",
        "--keep",
        "3",
    )
    assert (code, err) == (0, "")
    assert [d["display_name"] for d in result["deleted"]] == [
        "feature/x-2222222",
        "feature/x-1111111",
    ]
    left = [v["display_name"] for v in fake.versions[result["pipeline_id"]]]
    assert left == [
        "GAIA-demo-example-pipeline",
        "feature/x-3333333",
        "feature/x-4444444",
        "feature/y-5555555",
    ]


def test_prune_of_an_unknown_pipeline_deletes_nothing(
    capsys: pytest.CaptureFixture[str], fake: FakeClient
) -> None:
    code, result, _ = dsp(
        capsys,
        "pipeline",
        "prune",
        "--host",
        "http://kfp:8888",
        "--pipeline-name",
        "nope",
        "--branch",
        "b",
    )
    assert code == 0 and result == {
        "pipeline": "nope",
        "deleted": [],
        "pipeline_id": None,
    }


def test_run_passes_typed_arguments_and_prints_the_link(
    capsys: pytest.CaptureFixture[str],
    fake: FakeClient,
    package: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = tmp_path / "parsed.json"
    params.write_text(
        json.dumps(
            {
                "pipeline": "workflows/example_pipeline.py",
                "params": {"x": "206", "seed": "3007"},
            }
        )
    )
    monkeypatch.setenv("KFP_TOKEN", "t0ken")
    code, result, err = dsp(
        capsys,
        "pipeline",
        "run",
        "--host",
        "https://kf.example.com/pipeline",
        "--namespace",
        "team",
        "--package",
        str(package),
        "--params-file",
        str(params),
        "--experiment",
        "pr-7",
        "--run-name",
        "pr-7-c8eb41f",
    )
    assert (code, err) == (0, "")
    assert result["url"] == "https://kf.example.com/pipeline/#/runs/details/run-1"
    assert fake.runs == [
        {
            "package": str(package),
            "arguments": {"x": 206, "seed": 3007},
            "run_name": "pr-7-c8eb41f",
            "experiment_name": "pr-7",
            "namespace": "team",
        }
    ]
    assert fake.seen == [("https://kf.example.com/pipeline", "team", "t0ken")]


def test_run_with_a_bad_value_plans_nothing(
    capsys: pytest.CaptureFixture[str], fake: FakeClient, package: Path, tmp_path: Path
) -> None:
    params = tmp_path / "params.json"
    params.write_text('{"x": "two hundred"}')
    code, out, err = dsp(
        capsys,
        "pipeline",
        "run",
        "--host",
        "http://kfp:8888",
        "--package",
        str(package),
        "--params-file",
        str(params),
        "--run-name",
        "r",
    )
    assert code == 1 and out is None and fake.runs == []
    assert "whole number" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["run", "--host", "kfp:8888", "--package", "p", "--run-name", "r"], "http(s)"),
        (
            ["run", "--host", "http://k", "--package", "/no/such", "--run-name", "r"],
            "not found",
        ),
        (
            ["upload", "--host", "http://k", "--package", "{package}",
             "--pipeline-name", "p", "--branch", "b", "--sha", "nothex!"],
            "hexadecimal",
        ),
        (
            ["prune", "--host", "http://k", "--pipeline-name", "p", "--branch", "main",
             "--keep", "0"],
            "default branch",
        ),
    ],
)  # fmt: skip
def test_bad_options_are_refused_before_kfp_is_asked(
    capsys: pytest.CaptureFixture[str],
    fake: FakeClient,
    package: Path,
    argv: list[str],
    reason: str,
) -> None:
    argv = [a.replace("{package}", str(package)) for a in argv]
    code, out, err = dsp(capsys, "pipeline", *argv)
    assert code == 1 and out is None
    assert reason in err and err.count("\n") == 1, err
    assert fake.runs == [] and fake.deleted == []


def test_pipes_folders_and_bad_params_are_refused_before_connecting(
    capsys: pytest.CaptureFixture[str],
    fake: FakeClient,
    package: Path,
    tmp_path: Path,
    fifo: Path,
) -> None:
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    run = ["pipeline", "run", "--host", "http://k", "--run-name", "r", "--package"]
    for argv, reason in (
        ([*run, str(fifo)], f"{fifo}: is not a regular file (a pipe or device?)"),
        ([*run, str(tmp_path)], f"{tmp_path}: is a folder, not a file"),
        (
            [*run, str(package), "--params-file", str(fifo)],
            f"{fifo}: is not a regular file",
        ),
        (
            [*run, str(package), "--params-file", str(tmp_path / "list.json")],
            "must hold a JSON object of parameter names to values",
        ),
        (upload_argv(fifo, "b"), f"{fifo}: is not a regular file"),
        (
            [*run, str(package), "--params-file", str(tmp_path / "deep.json")],
            "deep.json is not JSON: nested too deep to read; flatten it",
        ),
    ):
        code, out, err = dsp(capsys, *argv)
        assert code == 1 and out is None
        assert reason in err and err.count("\n") == 1, err
        assert fake.seen == []  # type: ignore[attr-defined]


def test_kfp_errors_become_one_line(
    capsys: pytest.CaptureFixture[str], fake: FakeClient, package: Path
) -> None:
    from kfp_server_api.exceptions import ApiException

    def refuse(name: str) -> None:
        raise ApiException(status=403, reason="Forbidden")

    fake.get_pipeline_id = refuse  # type: ignore[method-assign]
    code, out, err = dsp(capsys, *upload_argv(package, "b"))
    assert code == 1 and out is None
    assert err == (
        "dsp pipeline: KFP at https://kf.example.com/pipeline failed to upload the "
        "pipeline version: HTTP 403 Forbidden\n"
    )


def test_unreachable_kfp_with_the_real_client_is_one_line(
    capsys: pytest.CaptureFixture[str], package: Path
) -> None:
    port = free_port()
    code, out, err = dsp(
        capsys, *upload_argv(package, "b")[:3], f"http://127.0.0.1:{port}",
        *upload_argv(package, "b")[4:],
    )  # fmt: skip
    assert code == 1 and out is None
    assert err.startswith(
        f"dsp pipeline: cannot reach KFP at http://127.0.0.1:{port} to upload "
    )
    assert err.endswith("check --host and that the KFP API is up\n")
    assert err.count("\n") == 1 and "Traceback" not in err


# --- the real kfp.Client against a fake KFP REST API ----------------------------------


@pytest.fixture()
def kfp_api() -> Iterator[tuple[str, dict[str, Any]]]:
    state = new_state()
    for url in serve_kfp(state):
        yield url, state


def test_real_client_uploads_prunes_and_runs(
    capsys: pytest.CaptureFixture[str],
    kfp_api: tuple[str, dict[str, Any]],
    package: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, state = kfp_api
    monkeypatch.setenv("KFP_TOKEN", "t0ken")
    base = upload_argv(package, "feature/x")
    base[3] = host
    for sha in ("1111111", "2222222", "3333333"):
        code, result, err = dsp(capsys, *base[:-1], sha)
        assert (code, err) == (0, ""), err
    uploads = [r for r in state["requests"] if r[1].endswith("/upload_version")]
    assert uploads[0][2] == {
        "name": "feature-x-1111111",
        "display_name": "feature/x-1111111",
        "pipelineid": "p1",
    }
    assert uploads[0][3] == "Bearer t0ken"
    code, again, _ = dsp(capsys, *base[:-1], "3333333")
    assert again["uploaded"] is False

    code, pruned, err = dsp(
        capsys, "pipeline", "prune", "--host", host, "--pipeline-name",
        "GAIA-demo-example-pipeline", "--branch", "feature/x", "--keep", "1",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert [d["display_name"] for d in pruned["deleted"]] == [
        "feature/x-2222222",
        "feature/x-1111111",
    ]
    assert [v["display_name"] for v in state["versions"]["p1"]] == [
        "GAIA-demo-example-pipeline",
        "feature/x-3333333",
    ]

    params = tmp_path / "params.json"
    params.write_text('{"pipeline": "workflows/e.py", "params": {"x": "206"}}')
    code, run, err = dsp(
        capsys, "pipeline", "run", "--host", host, "--package", str(package),
        "--params-file", str(params), "--run-name", "pr-1", "--experiment", "pr-1",
    )  # fmt: skip
    # kfp's own "Run details: ..." prints go to stderr; stdout is only our JSON
    assert code == 0 and "Run details" in err, err
    assert run["url"] == f"{host}/#/runs/details/r1"
    assert state["runs"][0]["runtime_config"]["parameters"] == {"x": 206}
    assert state["runs"][0]["display_name"] == "pr-1"
