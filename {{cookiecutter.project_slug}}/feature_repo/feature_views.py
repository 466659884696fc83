"""The iris features as a Feast feature view over a Parquet file.

`feast apply` reads the module-level objects; `definitions(ref)` builds them
for one lakeFS ref, which the package's `features` module applies before
reading the training features at that commit.
"""

from datetime import timedelta

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64, String
from lakefs_source import current_ref, endpoint, features_uri

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")

flower = Entity(
    name="flower",
    join_keys=["flower_id"],
    value_type=ValueType.INT64,
    description="One measured iris flower",
)


def definitions(ref=None, endpoint_url=None):
    """The source and the feature view reading the features at `ref`.

    `endpoint_url` overrides lakeFS's S3 gateway (see lakefs_source.endpoint).
    """
    source = FileSource(
        name="iris_source",
        path=features_uri(ref),
        timestamp_field="event_timestamp",
        s3_endpoint_override=endpoint(ref, endpoint_url),
    )
    view = FeatureView(
        name="iris_features",
        entities=[flower],
        ttl=timedelta(days=3650),
        schema=[
            Field(name="flower_id", dtype=Int64),
            *(Field(name=name, dtype=Float64) for name in FEATURES),
            Field(name="species", dtype=String),
        ],
        source=source,
        online=True,
    )
    return source, view


iris_source, iris_features = definitions(current_ref())
