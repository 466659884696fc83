"""The monitoring pipeline: a batch of production inputs against the served model.

`lakefs-download-file` reads the batch at a lakeFS ref; `monitor-model` pulls
the model (`current` by default) with its reference profile and runs
`dsp monitor` (drift, operational domain, prediction drift, freshness). A run
fails when a `[tool.dsp.monitor]` limit is exceeded. The monitor step reads
lakeFS and the registry with the training pipeline's secrets (`LAKEFS_SECRET`
and `REGISTRY_SECRET`).

Compile it with `make monitoring-pipeline`, i.e.

    kfp dsl compile --py workflows/monitoring_pipeline.py
        --output build/monitoring_pipeline.yaml

and run it on a schedule (a KFP recurring run) with `schedule()` below.
"""

import importlib.util
from pathlib import Path

from kfp import components, dsl, kubernetes

WORKFLOWS = Path(__file__).resolve().parent
# The training pipeline's download component, endpoint, and its lakeFS and
# registry secrets: one place for them.
_spec = importlib.util.spec_from_file_location(
    "iris_pipeline", WORKFLOWS / "iris_pipeline.py"
)
training = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(training)

SLUG = "{{ cookiecutter.project_slug }}"
NAME = f"{SLUG}-monitoring"
DEFAULT_BATCH = f"lakefs://{training.LAKEFS_REPOSITORY}/main/production/batch.csv"
REGISTRY = "{{ cookiecutter.container_registry }}"
DEFAULT_MODEL = f"{REGISTRY}/{SLUG}-model:current"
# KFP's cron has a seconds field: every day at 06:00.
SCHEDULE = "0 0 6 * * *"

monitor_model = components.load_component_from_file(
    str(training.COMPONENTS / "monitor-model" / "component.yaml")
)


@dsl.pipeline(
    name=NAME,
    description="Check a production batch against the served model's training data.",
)
def monitoring_pipeline(
    batch_source: str = DEFAULT_BATCH,
    model_reference: str = DEFAULT_MODEL,
    data_date: str = "",
):
    """Download the batch at `batch_source` and monitor the model on it."""
    batch = training.download_file(
        source=batch_source, endpoint_url=training.LAKEFS_ENDPOINT
    )
    # A new batch under the same name must be read again, never a cached copy.
    batch.set_caching_options(False)
    kubernetes.use_secret_as_env(
        batch,
        secret_name=training.LAKEFS_SECRET,
        secret_key_to_env=training.LAKEFS_SECRET_KEYS,
    )
    monitor = monitor_model(
        batch=batch.outputs["file"],
        model_reference=model_reference,
        data_date=data_date,
        lakefs_endpoint=training.LAKEFS_ENDPOINT,
    )
    monitor.set_caching_options(False)
    # The same key pair asks lakeFS for the date of the model's data commit.
    kubernetes.use_secret_as_env(
        monitor,
        secret_name=training.LAKEFS_SECRET,
        secret_key_to_env=training.LAKEFS_SECRET_KEYS,
    )
    # dsp model pull logs in to the registry with promote-model's secret.
    kubernetes.use_secret_as_env(
        monitor,
        secret_name=training.REGISTRY_SECRET,
        secret_key_to_env=training.REGISTRY_SECRET_KEYS,
    )


def schedule(client, experiment_id: str, package_path: str, cron: str = SCHEDULE):
    """Create the recurring run of the compiled pipeline on a `kfp.Client`."""
    return client.create_recurring_run(
        experiment_id=experiment_id,
        job_name=NAME,
        description="Scheduled monitoring of the served model",
        cron_expression=cron,
        max_concurrency=1,
        no_catchup=True,
        pipeline_package_path=package_path,
        enable_caching=False,
    )


if __name__ == "__main__":
    import argparse

    from kfp import Client

    parser = argparse.ArgumentParser(description="Schedule the monitoring pipeline.")
    parser.add_argument("experiment_id")
    parser.add_argument("package", help="the compiled pipeline YAML")
    parser.add_argument("--host", help="the KFP endpoint (default: kfp's own)")
    parser.add_argument("--cron", default=SCHEDULE)
    args = parser.parse_args()
    print(schedule(Client(host=args.host), args.experiment_id, args.package, args.cron))
