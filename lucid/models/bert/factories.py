"""Factories for the BERT-Base and BERT-Large task models, with config overrides."""

from __future__ import annotations

from .config import BERTConfig
from .masked_lm import BERTForMaskedLM
from .sequence_classification import BERTForSequenceClassification

__all__ = [
    "bert_for_masked_lm_base", "bert_for_masked_lm_large",
    "bert_for_sequence_classification_base", "bert_for_sequence_classification_large",
]


def bert_for_masked_lm_base(**overrides) -> BERTForMaskedLM:
    """A randomly initialised BERT-Base masked-LM model (12 layers, hidden 768, 12 heads,
    vocabulary 30522); keyword arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_masked_lm_base
        >>> model = bert_for_masked_lm_base(vocab_size=100, hidden_size=16, num_hidden_layers=1,
        ...                                 num_attention_heads=2, intermediate_size=32)
        >>> type(model).__name__, model.config.num_hidden_layers
        ('BERTForMaskedLM', 1)
    """
    return BERTForMaskedLM(BERTConfig.base(**overrides))


def bert_for_masked_lm_large(**overrides) -> BERTForMaskedLM:
    """A randomly initialised BERT-Large masked-LM model (24 layers, hidden 1024, 16 heads);
    keyword arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_masked_lm_large
        >>> model = bert_for_masked_lm_large(vocab_size=100, hidden_size=16, num_hidden_layers=1,
        ...                                  num_attention_heads=2, intermediate_size=32)
        >>> model.config.num_attention_heads
        2
    """
    return BERTForMaskedLM(BERTConfig.large(**overrides))


def bert_for_sequence_classification_base(num_labels: int = 2, **overrides) -> BERTForSequenceClassification:
    """A randomly initialised BERT-Base classifier with ``num_labels`` classes; keyword
    arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_sequence_classification_base
        >>> model = bert_for_sequence_classification_base(num_labels=3, vocab_size=100, hidden_size=16,
        ...                                               num_hidden_layers=1, num_attention_heads=2,
        ...                                               intermediate_size=32)
        >>> model.num_labels
        3
    """
    return BERTForSequenceClassification(BERTConfig.base(**overrides), num_labels=num_labels)


def bert_for_sequence_classification_large(num_labels: int = 2, **overrides) -> BERTForSequenceClassification:
    """A randomly initialised BERT-Large classifier with ``num_labels`` classes; keyword
    arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import bert_for_sequence_classification_large
        >>> model = bert_for_sequence_classification_large(vocab_size=100, hidden_size=16, num_hidden_layers=1,
        ...                                                num_attention_heads=2, intermediate_size=32)
        >>> model.num_labels
        2
    """
    return BERTForSequenceClassification(BERTConfig.large(**overrides), num_labels=num_labels)
