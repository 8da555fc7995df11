"""`python -m actions`: the action server (actions/server.py)."""

import sys

from actions.server import main

if __name__ == "__main__":
    sys.exit(main())
