"""Factories for the BERT-Base and BERT-Large task models, with config overrides.

Their signatures are the original Lucid's: ``(vocab_size=30522, **overrides)`` and, for the
classifier, ``(num_labels=2, vocab_size=30522, **overrides)``. The masked-LM models are built
with ``add_pooling_layer=False`` in their config (the head reads every position), the
classifiers with a pooler.
"""

from __future__ import annotations

from .causal_lm import BERTForCausalLM
from .config import BERTConfig
from .masked_lm import BERTForMaskedLM
from .next_sentence import BERTForNextSentencePrediction
from .pre_training import BERTForPreTraining
from .question_answering import BERTForQuestionAnswering
from .sequence_classification import BERTForSequenceClassification
from .token_classification import BERTForTokenClassification

__all__ = [
    "bert_for_masked_lm_base", "bert_for_masked_lm_large",
    "bert_for_sequence_classification_base", "bert_for_sequence_classification_large",
    "bert_for_pre_training_base", "bert_for_pre_training_large", "bert_for_causal_lm_base", "bert_for_causal_lm_large",
    "bert_for_next_sentence_prediction_base", "bert_for_next_sentence_prediction_large",
    "bert_for_token_classification_base", "bert_for_token_classification_large",
    "bert_for_question_answering_base", "bert_for_question_answering_large",
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


# ---- the rest of the family ------------------------------------------------------------------------
# Ten factories of one pattern, so they are made by one function: (vocab_size=30522, **overrides), the
# token classifier (num_labels=2, vocab_size=30522, **overrides); the pooler on for pre-training and next
# sentence, off for the others; the causal LM a decoder.
_TINY = "vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32"


def _family_factory(cls, size, what, pooler, decoder=False, labelled=False):
    """The factory ``bert_for_<task>_<size>`` of ``cls`` (``size``: ``"base"`` or ``"large"``)."""
    preset = getattr(BERTConfig, size)
    fixed = dict(add_pooling_layer=pooler, **(dict(is_decoder=True) if decoder else {}))

    if labelled:
        def factory(num_labels=2, vocab_size=30522, **overrides):
            return cls(preset(vocab_size=vocab_size, **{**fixed, **overrides}), num_labels=num_labels)
        example, shown = f"num_labels=3, {_TINY}", ">>> model.num_labels\n        3"
    else:
        def factory(vocab_size=30522, **overrides):
            return cls(preset(vocab_size=vocab_size, **{**fixed, **overrides}))
        example, shown = _TINY, f">>> type(model).__name__\n        '{cls.__name__}'"
    name = f"bert_for_{what}_{size}"
    factory.__name__ = factory.__qualname__ = name
    notes = ("the pooler on" if pooler else "no pooler") + (", causal self-attention" if decoder else "")
    factory.__doc__ = f"""A randomly initialised BERT-{size.title()} :class:`{cls.__name__}` ({notes});
    keyword arguments override :class:`BERTConfig` fields.

    Example:
        >>> from lucid.models import {name}
        >>> model = {name}({example})
        {shown}
    """
    return factory


bert_for_pre_training_base = _family_factory(BERTForPreTraining, "base", "pre_training", True)
bert_for_pre_training_large = _family_factory(BERTForPreTraining, "large", "pre_training", True)
bert_for_causal_lm_base = _family_factory(BERTForCausalLM, "base", "causal_lm", False, decoder=True)
bert_for_causal_lm_large = _family_factory(BERTForCausalLM, "large", "causal_lm", False, decoder=True)
bert_for_next_sentence_prediction_base = _family_factory(BERTForNextSentencePrediction, "base",
                                                         "next_sentence_prediction", True)
bert_for_next_sentence_prediction_large = _family_factory(BERTForNextSentencePrediction, "large",
                                                          "next_sentence_prediction", True)
bert_for_token_classification_base = _family_factory(BERTForTokenClassification, "base", "token_classification",
                                                     False, labelled=True)
bert_for_token_classification_large = _family_factory(BERTForTokenClassification, "large",
                                                      "token_classification", False, labelled=True)
bert_for_question_answering_base = _family_factory(BERTForQuestionAnswering, "base", "question_answering", False)
bert_for_question_answering_large = _family_factory(BERTForQuestionAnswering, "large", "question_answering", False)
