"""The reference profile of the training data, for `dsp monitor`.

Training writes `reference_profile.json` beside its metrics: per feature the
percentiles, minimum and maximum (the model's operational domain), and the
class shares. Monitoring compares production batches with it (drift, inputs
outside the domain, prediction drift) without needing the training data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

FORMAT = "dsp-reference-profile/1"
LEVELS = [round(step / 100, 2) for step in range(101)]  # every percentile


def build_profile(
    features: np.ndarray,
    labels: np.ndarray,
    names: Sequence[str],
    target: str,
    data: Mapping[str, object] | None = None,
) -> dict:
    """The profile of `features` (rows x names) and their `labels`."""
    features = np.asarray(features, dtype=float)
    classes, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
    profile = {
        "format": FORMAT,
        "rows": int(features.shape[0]),
        "quantile_levels": LEVELS,
        "features": {
            name: {
                "min": float(column.min()),
                "max": float(column.max()),
                "quantiles": np.quantile(column, LEVELS).tolist(),
            }
            for name, column in zip(names, features.T)
        },
        "target": target,
        "classes": {
            str(name): int(count) / len(labels) for name, count in zip(classes, counts)
        },
    }
    if data:
        profile["data"] = dict(data)
    return profile
