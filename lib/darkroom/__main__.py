"""``python -m darkroom``: the same as the ``darkroom`` console script."""

import sys

from darkroom.cli import main

sys.exit(main())
