"""``lucid-bert``: the command line of lucid's BERT (demo, fill-mask, classify, finetune, qa, ner).

Run ``lucid-bert -h`` for the subcommands and ``lucid-bert SUBCOMMAND -h`` for their options.
Without a subcommand it runs ``demo``, which needs no download. Every subcommand takes
``--device cpu|gpu``, ``--seed`` and ``--debug``. Bad files and bad arguments print one line
``lucid-bert: error: ...`` and exit with status 2 (``--debug`` shows the traceback).

The package holds the parser (:mod:`~lucid.cli.parser`), the progress bars
(:mod:`~lucid.cli.progress`), the file readers (:mod:`~lucid.cli.readers`), one module per
subcommand, the one training loop that ``demo`` and ``finetune`` share
(:mod:`~lucid.cli.training`) and the record ``finetune`` keeps (:mod:`~lucid.cli.metrics`).
Every forward pass, loss, probability, encoding and checkpoint load goes through the library.

Example:
    >>> from lucid.cli import main
    >>> main(["classify", "no/such/folder", "hello"])  # doctest: +SKIP
    lucid-bert: error: no model folder at 'no/such/folder'
    2
"""

from .entry import main
from .errors import CLIError
from .parser import build_parser
from .progress import Progress
from .readers import read_examples

__all__ = ["CLIError", "Progress", "build_parser", "main", "read_examples"]
