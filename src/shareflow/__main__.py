"""``python -m shareflow``."""

from shareflow.cli import main

main()
