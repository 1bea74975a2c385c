"""``python -m tui`` behaves exactly like the ``zwr`` console script."""

from tui.cli.main import main

raise SystemExit(main())
