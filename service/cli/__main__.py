"""`python -m service.cli`: the `kamplan` command without its console script."""

import sys

from service.cli import main

sys.exit(main())
