"""``python -m lucid.cli``: the same as the ``lucid-bert`` command."""

import sys

from .entry import main

if __name__ == "__main__":  # importing this module (doc tools walk every module) runs nothing
    sys.exit(main())
