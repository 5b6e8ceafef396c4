"""``python -m darkroom``: the same as the ``darkroom`` console script."""

import sys

from darkroom.app.cli import main

sys.exit(main())
