"""``python -m precommit_hooks`` is the ``dsp`` command."""

from precommit_hooks.cli import main

raise SystemExit(main())
