"""Pretrained BERT checkpoints on the Hugging Face Hub, one enum per lucid model class.

Every repository publishes ``config.json`` and ``model.safetensors``. ``bert-base-uncased``
is pinned to a commit; the others follow their ``main`` branch (their commit hashes could
not be checked when this list was written), so their files can change upstream.
"""

from __future__ import annotations

from ._base import WeightEntry, WeightsEnum

__all__ = [
    "BERT_Weights", "BERTForMaskedLM_Weights", "BERTForPreTraining_Weights", "BERTForNextSentencePrediction_Weights",
    "BERTForSequenceClassification_Weights", "BERTForTokenClassification_Weights",
    "BERTForQuestionAnswering_Weights", "BERTForSentenceEmbedding_Weights",
]

# The commit of google-bert/bert-base-uncased that public projects pin (its cache snapshot
# name); lucid could not reach the Hub to re-check it, the tests serve it from a look-alike.
_BASE_UNCASED = WeightEntry("google-bert/bert-base-uncased", "86b5e0934494bd15c9632b12f734a8a67f723594",
                            {"dataset": "BookCorpus + English Wikipedia", "license": "apache-2.0"})
_BASE_CASED = WeightEntry("google-bert/bert-base-cased", "main",
                          {"dataset": "BookCorpus + English Wikipedia", "license": "apache-2.0"})
_LARGE_UNCASED = WeightEntry("google-bert/bert-large-uncased", "main",
                             {"dataset": "BookCorpus + English Wikipedia", "license": "apache-2.0"})


class BERT_Weights(WeightsEnum):
    """Backbones (the pre-training checkpoints, read without their heads).

    Example:
        >>> BERT_Weights.DEFAULT.repo_id
        'google-bert/bert-base-uncased'
    """

    BASE_UNCASED = _BASE_UNCASED
    BASE_CASED = _BASE_CASED
    LARGE_UNCASED = _LARGE_UNCASED
    DEFAULT = BASE_UNCASED


class BERTForMaskedLM_Weights(WeightsEnum):
    """Masked-LM checkpoints (the pre-training checkpoints carry the MLM head).

    Example:
        >>> BERTForMaskedLM_Weights.DEFAULT.tag
        'BASE_UNCASED'
    """

    BASE_UNCASED = _BASE_UNCASED
    BASE_CASED = _BASE_CASED
    LARGE_UNCASED = _LARGE_UNCASED
    DEFAULT = BASE_UNCASED


class BERTForPreTraining_Weights(WeightsEnum):
    """Pre-training checkpoints (MLM and next-sentence heads).

    Example:
        >>> BERTForPreTraining_Weights.DEFAULT.pinned
        True
    """

    BASE_UNCASED = _BASE_UNCASED
    DEFAULT = BASE_UNCASED


class BERTForNextSentencePrediction_Weights(WeightsEnum):
    """Next-sentence checkpoints (the pre-training checkpoints carry the NSP head).

    Example:
        >>> BERTForNextSentencePrediction_Weights.DEFAULT.repo_id
        'google-bert/bert-base-uncased'
    """

    BASE_UNCASED = _BASE_UNCASED
    DEFAULT = BASE_UNCASED


class BERTForSequenceClassification_Weights(WeightsEnum):
    """Fine-tuned sentence classifiers.

    Example:
        >>> BERTForSequenceClassification_Weights.DEFAULT.meta["num_labels"]
        5
    """

    MULTILINGUAL_SENTIMENT = WeightEntry(
        "nlptown/bert-base-multilingual-uncased-sentiment", "main",
        {"dataset": "product reviews in six languages, 1 to 5 stars", "num_labels": 5, "license": "mit"})
    DEFAULT = MULTILINGUAL_SENTIMENT


class BERTForTokenClassification_Weights(WeightsEnum):
    """Fine-tuned token taggers.

    Example:
        >>> BERTForTokenClassification_Weights.DEFAULT.meta["dataset"]
        'CoNLL-2003 NER'
    """

    CONLL03_NER = WeightEntry("dslim/bert-base-NER", "main",
                              {"dataset": "CoNLL-2003 NER", "num_labels": 9, "license": "mit"})
    DEFAULT = CONLL03_NER


class BERTForQuestionAnswering_Weights(WeightsEnum):
    """Extractive question answering.

    Example:
        >>> BERTForQuestionAnswering_Weights.DEFAULT.meta["dataset"]
        'SQuAD v1.1'
    """

    SQUAD_LARGE_WWM = WeightEntry("google-bert/bert-large-uncased-whole-word-masking-finetuned-squad", "main",
                                  {"dataset": "SQuAD v1.1", "license": "apache-2.0"})
    DEFAULT = SQUAD_LARGE_WWM


class BERTForSentenceEmbedding_Weights(WeightsEnum):
    """Sentence-transformers encoders (a BERT with its pooling and normalisation).

    Example:
        >>> BERTForSentenceEmbedding_Weights.DEFAULT.repo_id
        'sentence-transformers/all-MiniLM-L6-v2'
    """

    ALL_MINILM_L6_V2 = WeightEntry("sentence-transformers/all-MiniLM-L6-v2", "main",
                                   {"dataset": "1B sentence pairs", "pooling": "mean", "normalize": True,
                                    "license": "apache-2.0"})
    DEFAULT = ALL_MINILM_L6_V2
