{%- if cookiecutter.use_feast -%}
"""The iris pipeline: read the features through Feast, profile them, train, promote.
{%- else -%}
"""The iris pipeline: download the data from lakeFS, profile it, train, promote.
{%- endif %}

Compile it with `make pipeline`, i.e.
`kfp dsl compile --py workflows/iris_pipeline.py --output build/iris_pipeline.yaml`.

{% if cookiecutter.use_feast %}The read-features step (features.py's @step, in the package's image with
feature_repo/) reads the features at the `features_ref` lakeFS commit through
lakeFS's S3 gateway, with the access key pair of the Kubernetes secret
`LAKEFS_SECRET` in the profile's namespace (see workflows/README.md); the
promote step pushes to the model registry with `REGISTRY_SECRET`'s.
{% else %}The download step reads lakeFS with the access key pair of the Kubernetes
secret `LAKEFS_SECRET` in the profile's namespace (see workflows/README.md);
the promote step pushes to the model registry with `REGISTRY_SECRET`'s.
{% endif %}"""

import os
import subprocess
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
promote_model = components.load_component_from_file(
    str(COMPONENTS / "promote-model" / "component.yaml")
)
{%- if cookiecutter.use_feast %}
# Generated from the @step read_features in src/<package>/features.py.
read_features = components.load_component_from_file(
    str(COMPONENTS / "read-features" / "component.yaml")
)
{%- endif %}
REGISTRY_SECRET = "registry-credentials"
REGISTRY_SECRET_KEYS = {
    "username": "DSP_REGISTRY_USERNAME",
    "password": "DSP_REGISTRY_PASSWORD",
}


def compiled_from(env_name: str, *git_args: str) -> str:
    """What the pipeline is compiled from: CI's env var, else git, else ""."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    try:
        done = subprocess.run(["git", *git_args], capture_output=True, text=True)
    except OSError:  # no git: the run's parameters must name them
        return ""
    value = done.stdout.strip() if done.returncode == 0 else ""
    return "" if value == "HEAD" else value  # a detached HEAD names no branch


# The promote step tags the model `<branch>-<sha7>`, the pipeline version's name.
GIT_BRANCH = compiled_from("BRANCH", "rev-parse", "--abbrev-ref", "HEAD")
GIT_SHA = compiled_from("REVISION", "rev-parse", "HEAD")


@dsl.pipeline(
    name="{{ cookiecutter.project_slug }}",
{%- if cookiecutter.use_feast %}
    description="Read the iris features through Feast at a lakeFS commit and train.",
{%- else %}
    description="Download the iris data at a lakeFS ref and train a classifier.",
{%- endif %}
)
def iris_pipeline(
{%- if cookiecutter.use_feast %}
    features_ref: str = "",
{%- else %}
    source: str = DEFAULT_SOURCE,
{%- endif %}
    C: float = 1.0,
    max_iter: int = 200,
    seed: int = 42,
    git_branch: str = GIT_BRANCH,
    git_sha: str = GIT_SHA,
):
{%- if cookiecutter.use_feast %}
    """Train on the features at lakeFS commit `features_ref`, then promote it.

    An empty `features_ref` reads the bundled iris features in the image.
    """
    fetched = read_features(features_ref=features_ref, endpoint_url=LAKEFS_ENDPOINT)
    # The record names the features' lakeFS commit: the model's dataset.
    data, record = fetched.outputs["data"], fetched.outputs["record"]
{%- else %}
    """Train the iris classifier on the data at `source`, then promote it."""
    fetched = download_file(source=source, endpoint_url=LAKEFS_ENDPOINT)
    data, record = fetched.outputs["file"], fetched.outputs["record"]
{%- endif %}
    kubernetes.use_secret_as_env(
        fetched, secret_name=LAKEFS_SECRET, secret_key_to_env=LAKEFS_SECRET_KEYS
    )
    # A data commit with too few rows fails here, before training.
    profile = profile_data(data=data)
    trained = train_model(
        data=data, data_record=record, c=C, max_iter=max_iter, seed=seed
    ).after(profile)
    promoted = promote_model(
        model=trained.outputs["model"],
        data_record=record,
        branch=git_branch,
        sha=git_sha,
        run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    )
    kubernetes.use_secret_as_env(
        promoted, secret_name=REGISTRY_SECRET, secret_key_to_env=REGISTRY_SECRET_KEYS
    )
