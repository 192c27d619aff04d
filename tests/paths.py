"""Where the shared test data lives: `shared/` beside the repository (also in CI's clean clone),
or OSP_SHARED_DIR."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OSP_SHARED_DIR") or ROOT.parent / "shared")
FORGE_FIXTURES = SHARED / "forge-fixtures"
