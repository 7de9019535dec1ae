"""``python -m facebridge``: the same CLI as the ``facebridge`` console script."""

import sys

from facebridge.cli.main import main

sys.exit(main())
