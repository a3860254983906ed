"""``python -m profile_frames`` runs the command line."""

import sys

from .present.cli import main

sys.exit(main())
