"""Factories for the BERT-Base and BERT-Large task models, with config overrides.

Their signatures are the original Lucid's: ``(vocab_size=30522, **overrides)`` and, for the
classifier, ``(num_labels=2, vocab_size=30522, **overrides)``. The masked-LM models are built
with ``add_pooling_layer=False`` in their config (the head reads every position), the
classifiers with a pooler.
"""

from __future__ import annotations

from .config import BERTConfig
from .masked_lm import BERTForMaskedLM
from .sequence_classification import BERTForSequenceClassification

__all__ = [
    "bert_for_masked_lm_base", "bert_for_masked_lm_large",
    "bert_for_sequence_classification_base", "bert_for_sequence_classification_large",
]


def bert_for_masked_lm_base(vocab_size: int = 30522, **overrides) -> BERTForMaskedLM:
    """A randomly initialised BERT-Base masked-LM model (12 layers, hidden 768, 12 heads);
    keyword arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_masked_lm_base
        >>> model = bert_for_masked_lm_base(100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                                 intermediate_size=32)
        >>> type(model).__name__, model.config.vocab_size, model.config.num_hidden_layers
        ('BERTForMaskedLM', 100, 1)
    """
    return BERTForMaskedLM(BERTConfig.base(vocab_size=vocab_size, **_no_pooler(overrides)))


def bert_for_masked_lm_large(vocab_size: int = 30522, **overrides) -> BERTForMaskedLM:
    """A randomly initialised BERT-Large masked-LM model (24 layers, hidden 1024, 16 heads);
    keyword arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_masked_lm_large
        >>> model = bert_for_masked_lm_large(vocab_size=100, hidden_size=16, num_hidden_layers=1,
        ...                                  num_attention_heads=2, intermediate_size=32)
        >>> model.config.num_attention_heads
        2
    """
    return BERTForMaskedLM(BERTConfig.large(vocab_size=vocab_size, **_no_pooler(overrides)))


def _no_pooler(overrides: dict) -> dict:
    """``add_pooling_layer=False`` unless the caller says otherwise."""
    return {"add_pooling_layer": False, **overrides}


def bert_for_sequence_classification_base(num_labels: int = 2, vocab_size: int = 30522,
                                          **overrides) -> BERTForSequenceClassification:
    """A randomly initialised BERT-Base classifier with ``num_labels`` classes; keyword
    arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_sequence_classification_base
        >>> model = bert_for_sequence_classification_base(3, 100, hidden_size=16, num_hidden_layers=1,
        ...                                               num_attention_heads=2, intermediate_size=32)
        >>> model.num_labels, model.config.vocab_size
        (3, 100)
    """
    return BERTForSequenceClassification(BERTConfig.base(vocab_size=vocab_size, **overrides), num_labels=num_labels)


def bert_for_sequence_classification_large(num_labels: int = 2, vocab_size: int = 30522,
                                           **overrides) -> BERTForSequenceClassification:
    """A randomly initialised BERT-Large classifier with ``num_labels`` classes; keyword
    arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_sequence_classification_large
        >>> model = bert_for_sequence_classification_large(vocab_size=100, hidden_size=16, num_hidden_layers=1,
        ...                                                num_attention_heads=2, intermediate_size=32)
        >>> model.num_labels
        2
    """
    return BERTForSequenceClassification(BERTConfig.large(vocab_size=vocab_size, **overrides), num_labels=num_labels)
