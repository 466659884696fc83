"""``python -m precommit_hooks.hooks.check_components FILE...``."""

from precommit_hooks.hooks.check_components import main

raise SystemExit(main())
