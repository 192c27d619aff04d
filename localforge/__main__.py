"""``python -m localforge``: see localforge.cli."""

import sys

from localforge.cli import main

sys.exit(main())
