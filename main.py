"""GenDisc Studio from a checkout: ``python main.py`` opens the window, ``python main.py train ...`` runs headless.

The same as the installed ``gendisc-studio`` launcher (:mod:`gendisc.launcher`).
"""

import sys

from gendisc.launcher import main

if __name__ == "__main__":
    sys.exit(main())
