"""``python -m gendisc``: the same as the ``gendisc-studio`` launcher."""

import sys

from gendisc.launcher import main

sys.exit(main())
