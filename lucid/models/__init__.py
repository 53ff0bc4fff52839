"""Models built on lucid: BERT for masked language modelling and sequence classification."""

from .bert import *  # noqa: F401,F403
from .bert import __all__  # noqa: F401
