"""KFP component: monitor the served model on a batch of production inputs.

It pulls the model from the OCI registry (`dsp model pull`: the model, its
reference profile and its ORMB config with the `created` date), or takes a
model directory, and runs `dsp monitor` with the project's
`[tool.dsp.monitor]` limits: drift per feature, rows outside the training
range, prediction drift and freshness (the model's `created` date, and the
date lakeFS gives for the commit of its training data). It writes the JSON
report (feed it to `dsp regression record --from`) and the Markdown table the
KFP UI shows. The step fails when a limit is exceeded, so a recurring run
that turns red is the alert.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# `dsp`, from the dsp-template package the image (and `make install`) installs.
DSP = (sys.executable, "-m", "precommit_hooks")
CONFIG = Path(__file__).resolve().parent / "pyproject.toml"


def dsp(*args: str) -> subprocess.CompletedProcess:
    """Run one `dsp` command; its output is kept for the report."""
    return subprocess.run([*DSP, *args], capture_output=True, text=True)


def monitor(
    model_dir: Path,
    batch: Path,
    report: Path,
    markdown: Path,
    config: Path,
    data_date: str = "",
    lakefs_endpoint: str = "",
) -> int:
    """`dsp monitor` on `batch`: 0 within limits, 1 when not; raises on bad input."""
    report.parent.mkdir(parents=True, exist_ok=True)
    args = ["monitor", "--reference", str(model_dir), "--batch", str(batch)]
    args += ["--config", str(config), "--output", str(report)]
    args += ["--format", "markdown"] + (["--data-date", data_date] if data_date else [])
    # The training data's age: lakeFS's date of the commit the model names.
    args += ["--lakefs-endpoint", lakefs_endpoint] if lakefs_endpoint else []
    done = dsp(*args)
    if not report.is_file():  # refused: no verdict to show
        raise RuntimeError(done.stderr.strip() or done.stdout.strip())
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(done.stdout)
    print(done.stdout, end="")
    return done.returncode


def pull(reference: str, destination: Path) -> Path:
    """The model at `reference`, unpacked (digests checked) under `destination`."""
    done = dsp("model", "pull", reference, "--output", str(destination))
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or done.stdout.strip())
    return destination


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Monitor the model on a batch.")
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--model-reference", help="OCI reference, e.g. ...:current")
    model.add_argument("--model-dir", type=Path, help="a model directory")
    parser.add_argument("--batch", type=Path, required=True)
    parser.add_argument("--data-date", default="", help="the data's commit date")
    parser.add_argument("--lakefs-endpoint", default="", help="to ask for that date")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """The component's command line: exit 1 when a limit is exceeded."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        try:
            model_dir = args.model_dir or pull(args.model_reference, Path(folder))
            return monitor(
                model_dir,
                args.batch,
                args.report,
                args.markdown,
                args.config,
                args.data_date,
                args.lakefs_endpoint,
            )
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
