"""`python -m bench` (what `make bench` runs). See docs/performance.md."""

import sys

from bench.runner import main

sys.exit(main())
