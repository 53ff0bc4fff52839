"""Models built on lucid: BERT and its task models (masked and causal language modelling, pre-training,
next-sentence prediction, sequence and token classification, question answering)."""

from .bert import *  # noqa: F401,F403
from .bert import __all__  # noqa: F401
