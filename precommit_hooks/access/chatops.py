"""``dsp parse-comment``: a ``/run-pipeline`` comment checked against the checkout.

The grammar lives in :mod:`precommit_hooks.access.comments` and the typing of
values in :mod:`precommit_hooks.kfp.params`.  With ``--repo`` the file must
exist in the pull request's checkout, inside ``workflows/``, and every name
must be an input of the pipeline (read from its compiled spec) with a value
that fits the input's type.  ``dsp authorize`` (who may run) is
:mod:`precommit_hooks.access.authorize`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable

from precommit_hooks.access.comments import (
    MAX_COMMENT_BYTES,
    WORKFLOWS,
    RunRequest,
    parse_comment,
)
from precommit_hooks.core.findings import Refusal, print_json
from precommit_hooks.kfp.params import check_params
from precommit_hooks.kfp.params import compiled_input_specs as pipeline_input_specs_of


def resolve_pipeline(repo: str, pipeline: str) -> str:
    """The pipeline file inside ``repo``, refusing symlinks that lead outside."""
    root = os.path.realpath(os.path.join(repo, WORKFLOWS))
    if not os.path.isdir(root):
        raise Refusal(f"{repo} has no {WORKFLOWS}/ folder; is --repo the checkout?")
    candidate = os.path.join(repo, pipeline)
    real = os.path.realpath(candidate)
    if os.path.commonpath([root, real]) != root:
        raise Refusal(
            f"{pipeline} resolves to {real}, outside {WORKFLOWS}/ "
            "(a symbolic link?); name a file inside workflows/"
        )
    if not os.path.isfile(real):
        raise Refusal(
            f"{pipeline} does not exist in the pull request's checkout; "
            "check the file name"
        )
    return real


def check_against_repo(
    request: RunRequest,
    repo: str,
    read_inputs: Callable[[str], dict[str, dict[str, Any]]] = pipeline_input_specs_of,
) -> RunRequest:
    """The request with its file checked in ``repo`` and its values typed."""
    real = resolve_pipeline(repo, request.pipeline)
    specs = read_inputs(real)
    check_params(request.params, specs, request.pipeline)
    return request


def _check_output_file(path: str) -> None:
    """Refuse an output path that cannot take a file: a folder, or no folder."""
    if os.path.isdir(path):
        raise Refusal(
            f"--compiled-output {path}: is a folder; name the YAML file to write"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise Refusal(
            f"--compiled-output {path}: the folder {folder} does not exist or is a "
            "file; create the folder first"
        )


def _parse_comment_command(args: argparse.Namespace) -> int:
    if args.compiled_output and not args.repo:
        raise Refusal("--compiled-output needs --repo (the checkout to compile)")
    if args.compiled_output:  # refused now, not after a compile of many seconds
        _check_output_file(args.compiled_output)
    if sys.stdin is None:  # started with stdin closed (<&-)
        raise Refusal("no comment on stdin; pipe the comment body into the command")
    data = sys.stdin.buffer.read(MAX_COMMENT_BYTES + 1)
    if len(data) > MAX_COMMENT_BYTES:
        raise Refusal(
            f"the comment is over the {MAX_COMMENT_BYTES}-byte limit; "
            "post a short comment with just the /run-pipeline line"
        )
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(f"the comment is not UTF-8 text (byte {exc.start})") from None
    request = parse_comment(body)
    if args.repo:
        output = os.path.abspath(args.compiled_output) if args.compiled_output else None
        check_against_repo(
            request, args.repo, lambda path: pipeline_input_specs_of(path, output)
        )
    print_json(request.as_json())
    return 0


def configure_parse_comment(parser: argparse.ArgumentParser) -> None:
    """``dsp parse-comment [--repo DIR]``: the comment body on stdin."""
    parser.add_argument(
        "--repo", help="checkout to check the pipeline file and its inputs against"
    )
    parser.add_argument(
        "--compiled-output",
        help="with --repo: also write the compiled pipeline YAML to this file",
    )
    parser.set_defaults(func=_parse_comment_command)


__all__ = [
    "RunRequest",
    "check_against_repo",
    "check_params",
    "parse_comment",
    "pipeline_input_specs_of",
]
