"""dsp-template's pre-commit hooks and the ``dsp`` command used by its CI."""

__version__ = "0.1.0"
