"""Continuous monitoring: a production batch against the training reference.

* :mod:`.profile`: the reference profile training writes (per feature
  quantiles, min and max; class shares; the data's commit) and where a model
  directory keeps it;
* :mod:`.batch`: a batch of production inputs (CSV or JSON lines), with
  optional prediction and label columns, read under a size cap;
* :mod:`.drift`: the statistics (Kolmogorov-Smirnov against the reference
  quantiles, population-stability index, operational domain, prediction drift);
* :mod:`.report`: limits from ``[tool.dsp.monitor]``, the verdict, and its
  text, Markdown and JSON forms;
* :mod:`.command`: ``dsp monitor``;
* :mod:`.record_from`: ``dsp regression record --from`` a monitor report.

numpy is imported only when a batch is checked (the ``monitor`` extra), so
the rest of ``dsp`` never pays for it; scipy is not needed (see :mod:`.drift`).
"""
