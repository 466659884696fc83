"""``dsp pipeline upload | prune | run``: pipeline versions and runs on KFP.

The decisions (which name to upload, whether it is already there, which
versions to delete, what the run's arguments are) are plain functions in
:mod:`precommit_hooks.kfp.versions` and here, tested without a server.  Talking
to KFP is :class:`KfpStore`, a thin layer over ``kfp.Client``; kfp is
imported only when a command really connects.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import warnings
from typing import Any, Callable, Iterator

from precommit_hooks.kfp import internals, versions

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import (
    Refusal,
    json_problem,
    print_json,
    refuse_special_file,
)
from precommit_hooks.kfp.params import check_params
from precommit_hooks.kfp.versions import VersionName

PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 versions: far beyond any real pipeline
_COMPILED_MAX_BYTES = 64 << 20
_COMPILED_MAX_NODES = 5_000_000


# --- plain decisions ------------------------------------------------------------


def kfp_name(display_name: str) -> str:
    """A DNS-1123 name for KFP's Kubernetes-native store (pipelines)."""
    name = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")
    return name[: versions.MAX_NAME].rstrip("-") or "pipeline"


def run_url(host: str, run_id: str) -> str:
    """The KFP UI link of a run: ``{host}/#/runs/details/{id}``."""
    return f"{host.rstrip('/')}/#/runs/details/{run_id}"


def read_params_file(path: str) -> dict[str, Any]:
    """Parameters from ``dsp parse-comment``'s output or a plain JSON object."""
    refuse_special_file(path, "parameters JSON file")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise Refusal(f"cannot read the parameters {path}: {exc.strerror}") from None
    except (ValueError, RecursionError) as exc:
        raise Refusal(f"{path} is not JSON: {json_problem(exc)}") from None
    if isinstance(data, dict) and set(data) == {"pipeline", "params"}:
        data = data["params"]
    if not isinstance(data, dict):
        raise Refusal(f"{path} must hold a JSON object of parameter names to values")
    return data


def package_input_specs(package: str) -> dict[str, dict[str, Any]]:
    """The inputs of a compiled pipeline package, read with the guarded reader."""
    from precommit_hooks.kfp.compile import pipeline_input_specs

    try:
        loaded = yamlio.load(
            package, max_bytes=_COMPILED_MAX_BYTES, max_nodes=_COMPILED_MAX_NODES
        )
    except yamlio.YamlError as exc:
        if exc.finding.rule == "file-too-large":  # no --max-bytes here to raise
            raise Refusal(
                f"{package}: the pipeline package is over the "
                f"{_COMPILED_MAX_BYTES >> 20} MiB a compiled pipeline may be; "
                "is it the compiled YAML?"
            ) from None
        raise Refusal(f"the pipeline package is unreadable: {exc.finding.text()}")
    spec = loaded.documents[0] if loaded.documents else None
    if not isinstance(spec, dict) or "root" not in spec:
        raise Refusal(
            f"{package} is not a compiled KFP pipeline (no 'root'); compile it with "
            "kfp dsl compile"
        )
    return pipeline_input_specs(spec)


def run_arguments(
    params: dict[str, Any], specs: dict[str, dict[str, Any]], package: str
) -> dict[str, Any]:
    """The run's arguments typed as the pipeline declares them."""
    return check_params(params, specs, package)


# --- the thin layer over kfp.Client -----------------------------------------------


class KfpStore:
    """The few KFP calls ``dsp pipeline`` makes, over a ``kfp.Client``."""

    def __init__(self, client: Any, namespace: str | None = None) -> None:
        self.client = client
        self.namespace = namespace or None

    def pipeline_id(self, display_name: str) -> str | None:
        """The id of the pipeline with this display name, or None."""
        return self.client.get_pipeline_id(display_name)

    def versions(self, pipeline_id: str) -> list[versions.PipelineVersion]:
        """Every version of the pipeline, all pages read."""
        found: list[versions.PipelineVersion] = []
        token = ""
        for _ in range(MAX_PAGES):
            page = self.client.list_pipeline_versions(
                pipeline_id=pipeline_id, page_token=token, page_size=PAGE_SIZE
            )
            found.extend(
                versions.version_from_api(v) for v in page.pipeline_versions or []
            )
            token = page.next_page_token or ""
            if not token:
                break
        return found

    def create_pipeline(self, package: str, display_name: str) -> str:
        """Create the pipeline (KFP adds its first version); its id."""
        # kfp.Client.upload_pipeline cannot set a DNS-safe `name` apart from
        # the display name; the generated upload API it wraps can.  The
        # pipeline is shared (no namespace): get_pipeline_id finds only those.
        created = internals.upload_api(self.client).upload_pipeline(
            package, name=kfp_name(display_name), display_name=display_name
        )
        return created.pipeline_id

    def upload_version(self, package: str, pipeline_id: str, names: VersionName) -> str:
        """Upload the package as a version with both names; its id."""
        created = internals.upload_api(self.client).upload_pipeline_version(
            package,
            name=names.name,
            display_name=names.display_name,
            pipelineid=pipeline_id,
        )
        return created.pipeline_version_id

    def delete_version(self, pipeline_id: str, version_id: str) -> None:
        """Delete one version."""
        self.client.delete_pipeline_version(
            pipeline_id=pipeline_id, pipeline_version_id=version_id
        )

    def create_run(
        self, package: str, arguments: dict[str, Any], run_name: str, experiment: str
    ) -> str:
        """Start a run of the package in the experiment; the run's id."""
        result = self.client.create_run_from_pipeline_package(
            package,
            arguments=arguments,
            run_name=run_name,
            experiment_name=experiment,
            namespace=self.namespace,
        )
        return result.run_id


def connect(host: str, namespace: str | None, token: str | None) -> KfpStore:
    """A store over a real ``kfp.Client`` (kfp imported here, not before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import kfp

        client = kfp.Client(
            host=host, namespace=namespace or "kubeflow", existing_token=token or None
        )
    return KfpStore(client, namespace)


# urllib3's and requests' names for "nothing answered at that address".
_UNREACHABLE = {"MaxRetryError", "NewConnectionError", "ConnectTimeoutError"}


def _is_unreachable(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return isinstance(exc, ConnectionError) or bool(names & _UNREACHABLE)


@contextlib.contextmanager
def _kfp_errors(host: str, action: str) -> Iterator[None]:
    """KFP's prints go to stderr (stdout is our JSON); errors become one line."""
    try:
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except Refusal:
        raise
    except internals.KfpInternalsError as exc:
        raise Refusal(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - one line instead of a traceback
        if _is_unreachable(exc):
            raise Refusal(
                f"cannot reach KFP at {host} to {action} ({type(exc).__name__}); "
                "check --host and that the KFP API is up"
            ) from None
        status = getattr(exc, "status", None)
        reason = getattr(exc, "reason", None)
        detail = f"HTTP {status} {reason}" if status else f"{type(exc).__name__}"
        text = str(exc).strip().splitlines()
        if text and not status:
            detail += f": {text[-1][:300]}"
        raise Refusal(f"KFP at {host} failed to {action}: {detail}") from None


# --- the commands ---------------------------------------------------------------


def upload(store: KfpStore, args: argparse.Namespace) -> dict[str, Any]:
    """Upload the package as this branch and commit's version, unless it exists."""
    names = versions.version_name(
        args.branch, args.sha, args.pipeline_name, args.default_branch
    )
    pipeline_id = store.pipeline_id(args.pipeline_name)
    created_pipeline = False
    if pipeline_id is None:
        pipeline_id = store.create_pipeline(args.package, args.pipeline_name)
        created_pipeline = True
    found = versions.existing_version(store.versions(pipeline_id), names)
    result = {
        "pipeline": args.pipeline_name,
        "pipeline_id": pipeline_id,
        "created_pipeline": created_pipeline,
        "name": names.name,
        "display_name": names.display_name,
    }
    if found is not None:
        return {**result, "uploaded": False, "version_id": found.version_id}
    version_id = store.upload_version(args.package, pipeline_id, names)
    return {**result, "uploaded": True, "version_id": version_id}


def prune(store: KfpStore, args: argparse.Namespace) -> dict[str, Any]:
    """Delete this branch's older versions, keeping ``--keep``."""
    pipeline_id = store.pipeline_id(args.pipeline_name)
    result: dict[str, Any] = {"pipeline": args.pipeline_name, "deleted": []}
    if pipeline_id is None:
        return {**result, "pipeline_id": None}
    doomed = versions.versions_to_prune(
        store.versions(pipeline_id),
        branch=args.branch,
        keep=args.keep,
        pipeline=args.pipeline_name,
        default_branch=args.default_branch,
        sha=args.sha,
    )
    for version in doomed:
        store.delete_version(pipeline_id, version.version_id)
        result["deleted"].append(
            {"version_id": version.version_id, "display_name": version.display_name}
        )
    return {**result, "pipeline_id": pipeline_id}


def run(store: KfpStore, args: argparse.Namespace) -> dict[str, Any]:
    """Start a run of the package with typed arguments; its link."""
    params = read_params_file(args.params_file) if args.params_file else {}
    arguments = run_arguments(params, package_input_specs(args.package), args.package)
    run_id = store.create_run(args.package, arguments, args.run_name, args.experiment)
    return {
        "run_id": run_id,
        "url": run_url(args.host, run_id),
        "run_name": args.run_name,
        "experiment": args.experiment,
        "arguments": arguments,
    }


_ACTIONS: dict[str, tuple[Callable[[KfpStore, argparse.Namespace], Any], str]] = {
    "upload": (upload, "upload the pipeline version"),
    "prune": (prune, "prune pipeline versions"),
    "run": (run, "create the run"),
}


def _pipeline_command(args: argparse.Namespace) -> int:
    action, what = _ACTIONS[args.action]
    if not re.match(r"https?://[^\s/]+", args.host):
        raise Refusal(
            f"--host {args.host!r} is not an http(s) URL; pass the KFP endpoint, "
            "e.g. https://kubeflow.example.com/pipeline"
        )
    if args.action in ("upload", "run"):
        refuse_special_file(args.package, "compiled pipeline YAML")
    if args.action in ("upload", "run") and not os.path.isfile(args.package):
        raise Refusal(f"pipeline package {args.package} not found; compile it first")
    # the names and options are checked before anything is sent
    if args.action == "upload":
        versions.version_name(
            args.branch, args.sha, args.pipeline_name, args.default_branch
        )
    if args.action == "prune":
        versions.versions_to_prune(
            [],
            branch=args.branch,
            keep=args.keep,
            pipeline=args.pipeline_name,
            default_branch=args.default_branch,
            sha=args.sha,
        )
    if args.action == "run":  # a bad parameter is refused before KFP is contacted
        params = read_params_file(args.params_file) if args.params_file else {}
        run_arguments(params, package_input_specs(args.package), args.package)
    token = os.environ.get(args.token_env) if args.token_env else None
    with _kfp_errors(args.host, what):
        store = connect(args.host, args.namespace, token)
        result = action(store, args)
    print_json(result)
    return 0


def configure_pipeline(parser: argparse.ArgumentParser) -> None:
    """``dsp pipeline upload | prune | run | local`` with their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (
        ("upload", "upload the package as the branch and commit's version"),
        ("prune", "delete a branch's older versions, keeping --keep"),
        ("run", "create a run of a compiled package and print its link"),
    ):
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--host", required=True, help="KFP endpoint URL")
        sub.add_argument("--namespace", default="", help="KFP namespace (multi-user)")
        sub.add_argument(
            "--token-env",
            default="KFP_TOKEN",
            help="environment variable with a bearer token (default KFP_TOKEN)",
        )
        if name in ("upload", "prune"):
            sub.add_argument("--pipeline-name", required=True)
            sub.add_argument("--branch", required=True)
            sub.add_argument("--default-branch", default="main")
        if name == "upload":
            sub.add_argument("--package", required=True, help="compiled pipeline YAML")
            sub.add_argument("--sha", required=True)
        if name == "prune":
            sub.add_argument("--sha", default=None, help="the commit being uploaded")
            sub.add_argument("--keep", type=int, default=5, help="versions kept")
        if name == "run":
            sub.add_argument("--package", required=True, help="compiled pipeline YAML")
            sub.add_argument("--params-file", default=None, help="JSON parameters")
            sub.add_argument("--experiment", default="Default")
            sub.add_argument("--run-name", required=True)
        sub.set_defaults(func=_pipeline_command)
    from precommit_hooks.kfp.local.command import configure_local

    configure_local(actions)
