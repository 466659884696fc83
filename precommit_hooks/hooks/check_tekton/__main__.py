"""python -m precommit_hooks.hooks.check_tekton"""

from precommit_hooks.hooks.check_tekton import main

raise SystemExit(main())
