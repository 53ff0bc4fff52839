"""Pretrained BERT checkpoints on the Hugging Face Hub, one enum per lucid model class.

Every entry but one is pinned to a commit hash seen in public projects' Hugging Face caches
or pins (``models--ORG--NAME/snapshots/<commit>``, ``revision="<commit>"``), where that
commit is used with its ``model.safetensors``; the comment beside each says where. The Hub
could not be reached when this list was written, so that each commit still serves
``model.safetensors`` was not checked here: lucid reads only safetensors, and a revision
that publishes only pickled weights (``pytorch_model.bin``) is refused with an error naming
the repository, the revision and the missing file, before anything is downloaded.
``BERTForQuestionAnswering_Weights.SQUAD_LARGE_WWM`` follows its ``main`` branch: no public
pin of that repository was found.
"""

from __future__ import annotations

from ._base import WeightEntry, WeightsEnum

__all__ = [
    "BERT_Weights", "BERTForMaskedLM_Weights", "BERTForPreTraining_Weights", "BERTForNextSentencePrediction_Weights",
    "BERTForSequenceClassification_Weights", "BERTForTokenClassification_Weights",
    "BERTForQuestionAnswering_Weights", "BERTForSentenceEmbedding_Weights",
]

# Pinned: projects list .../models--bert-base-uncased/snapshots/86b5e093.../model.safetensors
# (440,449,768 bytes) in their caches and download .../resolve/86b5e093.../model.safetensors.
_BASE_UNCASED = WeightEntry("google-bert/bert-base-uncased", "86b5e0934494bd15c9632b12f734a8a67f723594",
                            {"dataset": "BookCorpus + English Wikipedia", "license": "apache-2.0"})
# Pinned: the newest snapshot in public caches (under the google-bert/ name as well); projects load
# .../models--bert-base-cased/snapshots/cd5ef92a.../model.safetensors.
_BASE_CASED = WeightEntry("google-bert/bert-base-cased", "cd5ef92a9fb2f889e972770a36d4ed042daf221e",
                          {"dataset": "BookCorpus + English Wikipedia", "license": "apache-2.0"})
# Pinned: seen in models--google-bert--bert-large-uncased/snapshots/ caches; a project downloads this
# commit with allow_patterns=["config.json", "model.safetensors", ...] and checks the files' sha256.
_LARGE_UNCASED = WeightEntry("google-bert/bert-large-uncased", "6da4b6a26a1877e173fca3225479512db81a5e5b",
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
        3
    """

    # Pinned: the Hub conversion bot's "Adding `safetensors` variant" commit (refs/pr/29, served by
    # its hash); public projects pin it and record .../resolve/7db323f7.../model.safetensors and its
    # sha256. (nlptown/bert-base-multilingual-uncased-sentiment, listed before, has no public pin.)
    FINANCIAL_SENTIMENT = WeightEntry(
        "ProsusAI/finbert", "7db323f79b751944bcfa66298ec06977e4518306",
        {"dataset": "Financial PhraseBank", "num_labels": 3, "labels": ["positive", "negative", "neutral"]})
    DEFAULT = FINANCIAL_SENTIMENT


class BERTForTokenClassification_Weights(WeightsEnum):
    """Fine-tuned token taggers.

    Example:
        >>> BERTForTokenClassification_Weights.DEFAULT.meta["dataset"]
        'CoNLL-2003 NER'
    """

    # Pinned: public projects pin this commit and list the files they fetch from it, model.safetensors
    # among them; it is also a cache snapshot (models--dslim--bert-base-NER/snapshots/d1a3e8f1...).
    CONLL03_NER = WeightEntry("dslim/bert-base-NER", "d1a3e8f13f8c3566299d95fcfc9a8d2382a9affc",
                              {"dataset": "CoNLL-2003 NER", "num_labels": 9, "license": "mit"})
    DEFAULT = CONLL03_NER


class BERTForQuestionAnswering_Weights(WeightsEnum):
    """Extractive question answering.

    Example:
        >>> BERTForQuestionAnswering_Weights.DEFAULT.meta["dataset"]
        'SQuAD v1.1'
    """

    # Not pinned: no public cache snapshot or revision pin of this repository was found.
    SQUAD_LARGE_WWM = WeightEntry("google-bert/bert-large-uncased-whole-word-masking-finetuned-squad", "main",
                                  {"dataset": "SQuAD v1.1", "license": "apache-2.0"})
    DEFAULT = SQUAD_LARGE_WWM


class BERTForSentenceEmbedding_Weights(WeightsEnum):
    """Sentence-transformers encoders (a BERT with its pooling and normalisation).

    Example:
        >>> BERTForSentenceEmbedding_Weights.DEFAULT.repo_id
        'sentence-transformers/all-MiniLM-L6-v2'
    """

    # Pinned: projects download .../resolve/c9745ed1.../model.safetensors (sha256 53aa5117...) and load
    # models--sentence-transformers--all-MiniLM-L6-v2/snapshots/c9745ed1.../model.safetensors (90,868,376 B).
    ALL_MINILM_L6_V2 = WeightEntry("sentence-transformers/all-MiniLM-L6-v2", "c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
                                   {"dataset": "1B sentence pairs", "pooling": "mean", "normalize": True,
                                    "license": "apache-2.0"})
    DEFAULT = ALL_MINILM_L6_V2
