"""Pipeline steps: typed functions that become pipeline components.

`dsp components generate` writes workflows/components/<name>/component.yaml
for each `@step` below; the component runs the function in the package's image
through `run_step`. After changing a signature or docstring, run
`dsp components generate` (`make components`) again: the check-components-sync
git hook refuses the commit until you do.
"""

import json
from pathlib import Path

import numpy as np

from .data import FEATURES, load_csv
from .markers import Data, InputPath, OutputPath, step


@step
def profile_data(
    data: InputPath(Data), profile: OutputPath(Data), min_rows: int = 30
) -> None:
    """Check the iris CSV has enough rows and write its profile as JSON.

    Args:
        data: CSV with sepal_length, sepal_width, petal_length, petal_width, species
        profile: JSON with the row count, rows per class and each feature's range
        min_rows: Fewest rows accepted; fewer fail the step
    """
    dataset = load_csv(data)
    rows = len(dataset.labels)
    if rows < min_rows:
        raise ValueError(
            f"{data}: {rows} rows, fewer than min_rows={min_rows};"
            " check the data at this lakeFS ref"
        )
    classes, counts = np.unique(dataset.labels, return_counts=True)
    columns = dataset.features.T
    summary = {
        "rows": rows,
        "classes": {str(label): int(count) for label, count in zip(classes, counts)},
        "features": {
            name: {
                "min": float(column.min()),
                "mean": round(float(column.mean()), 6),
                "max": float(column.max()),
            }
            for name, column in zip(FEATURES, columns)
        },
    }
    Path(profile).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
