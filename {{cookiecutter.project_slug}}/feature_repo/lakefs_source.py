"""Where the iris features are read: a local file, or lakeFS at a ref.

With `IRIS_FEATURES_REF` unset, the offline source is data/iris.parquet here
(`make features` writes it, so everything works offline). Set it to a lakeFS
commit id (or a branch) and the source is the Parquet file at that ref, read
through lakeFS's S3 gateway (`LAKEFS_ENDPOINT`, the AWS_* keys): a commit id
pins the features to one data commit. No Feast import here: the project's
tests check the wiring without it.
"""

import os
from pathlib import Path

REF_VARIABLE = "IRIS_FEATURES_REF"
REPOSITORY = "{{ cookiecutter.lakefs_repository }}"
ENDPOINT = "{{ cookiecutter.lakefs_endpoint }}"
FEATURES_KEY = "features/iris.parquet"
LOCAL_PATH = Path(__file__).resolve().parent / "data" / "iris.parquet"


def features_uri(ref=None):
    """The Parquet file of the features: at lakeFS `ref`, or the local one."""
    if not ref:
        return str(LOCAL_PATH)
    return f"s3://{REPOSITORY}/{ref}/{FEATURES_KEY}"


def endpoint(ref=None, url=None):
    """lakeFS's S3 gateway when reading at a ref (None for the local file).

    `url` if given, else $LAKEFS_ENDPOINT, else the project's lakeFS endpoint.
    """
    if not ref:
        return None
    return url or os.environ.get("LAKEFS_ENDPOINT") or ENDPOINT


def current_ref():
    """The ref the environment asks for, or None for the local file."""
    return os.environ.get(REF_VARIABLE) or None
