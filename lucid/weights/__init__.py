"""Named pretrained checkpoints, in the original Lucid's style: one enum per model class
(``BERT_Weights``, ``BERTForMaskedLM_Weights``, ...), each member a public Hugging Face Hub
repository at a revision, ``DEFAULT`` the preferred one.

Pass a member wherever a checkpoint goes; the files lucid reads (safetensors only) are
downloaded through ``huggingface_hub`` into its cache on first use (``HF_HUB_OFFLINE=1``:
the cache only).

Example:
    >>> from lucid.weights import BERTForMaskedLM_Weights
    >>> BERTForMaskedLM_Weights.DEFAULT.repo_id
    'google-bert/bert-base-uncased'
    >>> from lucid.models import BERTForMaskedLM
    >>> model = BERTForMaskedLM.from_pretrained(BERTForMaskedLM_Weights.DEFAULT)  # doctest: +SKIP
"""

from ._base import WeightEntry, WeightsEnum
from .bert import *  # noqa: F401,F403
from .bert import __all__ as _bert_all

__all__ = ["WeightEntry", "WeightsEnum", *_bert_all]
