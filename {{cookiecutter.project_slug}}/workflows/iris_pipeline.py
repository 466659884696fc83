"""The iris training pipeline: download the data from lakeFS, profile it, train.

Compile it with `make pipeline`, i.e.
`kfp dsl compile --py workflows/iris_pipeline.py --output build/iris_pipeline.yaml`.

The download step reads lakeFS with the access key pair of the Kubernetes
secret `LAKEFS_SECRET` in the profile's namespace (see workflows/README.md).
"""

from pathlib import Path

from kfp import components, dsl, kubernetes

COMPONENTS = Path(__file__).resolve().parent / "components"
LAKEFS_ENDPOINT = "{{ cookiecutter.lakefs_endpoint }}"
LAKEFS_REPOSITORY = "{{ cookiecutter.lakefs_repository }}"
DEFAULT_SOURCE = f"lakefs://{LAKEFS_REPOSITORY}/main/data/iris.csv"
# The secret's keys become the env vars boto3 and download.py read.
LAKEFS_SECRET = "lakefs-credentials"
LAKEFS_SECRET_KEYS = {
    "access_key_id": "AWS_ACCESS_KEY_ID",
    "secret_access_key": "AWS_SECRET_ACCESS_KEY",
}

download_file = components.load_component_from_file(
    str(COMPONENTS / "lakefs-download-file" / "component.yaml")
)
train_model = components.load_component_from_file(
    str(COMPONENTS / "train-ormb-component" / "component.yaml")
)
# Generated from the @step in src/ by `dsp components generate`.
profile_data = components.load_component_from_file(
    str(COMPONENTS / "profile-data" / "component.yaml")
)


@dsl.pipeline(
    name="{{ cookiecutter.project_slug }}",
    description="Download the iris data at a lakeFS ref and train a classifier.",
)
def iris_pipeline(
    source: str = DEFAULT_SOURCE,
    C: float = 1.0,
    max_iter: int = 200,
    seed: int = 42,
):
    """Train the iris classifier on the data at `source`."""
    data = download_file(source=source, endpoint_url=LAKEFS_ENDPOINT)
    kubernetes.use_secret_as_env(
        data, secret_name=LAKEFS_SECRET, secret_key_to_env=LAKEFS_SECRET_KEYS
    )
    # A data commit with too few rows fails here, before training.
    profile = profile_data(data=data.outputs["file"])
    train_model(
        data=data.outputs["file"],
        data_record=data.outputs["record"],
        c=C,
        max_iter=max_iter,
        seed=seed,
    ).after(profile)
