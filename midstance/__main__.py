"""``python -m midstance``: the command line."""

import sys

from midstance.cli import main

sys.exit(main())
