from __future__ import annotations

from uvray.cli import main

raise SystemExit(main())
