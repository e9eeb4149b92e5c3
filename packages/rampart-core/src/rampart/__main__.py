"""``python -m rampart``: the same command as the ``rampart`` console script."""

from __future__ import annotations

from rampart._cli import main

raise SystemExit(main())
