"""``python -m pumpsafety``."""

from pumpsafety.cli import main

raise SystemExit(main())
