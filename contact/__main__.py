"""``python -m contact`` is the ``contact`` command."""

import sys

from contact.cli import main

sys.exit(main())
