"""Root conftest: the shareflow plugin (an installed pytest plugin) does the work."""

import sys
from pathlib import Path

# the e2e suites share helper modules that sit beside them
sys.path.insert(0, str(Path(__file__).parent / "tests" / "e2e"))
