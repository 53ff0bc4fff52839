"""BERT: configuration, backbone, task models, tokenizer and checkpoint loading.

One module per task model (``masked_lm``, ``sequence_classification``), each a thin head
on the shared backbone (``modeling``) with what the tasks share in ``_task``.
"""

from .config import BERTConfig
from .factories import (
    bert_for_masked_lm_base, bert_for_masked_lm_large, bert_for_sequence_classification_base,
    bert_for_sequence_classification_large,
)
from .heads import BERTClassificationHead, BERTLMPredictionHead, BERTOnlyMLMHead, BERTPredictionHeadTransform
from .masked_lm import BERTForMaskedLM
from .modeling import BERT
from .sentence_embedding import BERTForSentenceEmbedding
from .sequence_classification import BERTForSequenceClassification
from .tokenizer import BERTTokenizerFast

__all__ = [
    "BERTConfig", "BERT", "BERTForMaskedLM", "BERTForSequenceClassification", "BERTTokenizerFast",
    "BERTForSentenceEmbedding",
    "BERTPredictionHeadTransform", "BERTLMPredictionHead", "BERTOnlyMLMHead", "BERTClassificationHead",
    "bert_for_masked_lm_base", "bert_for_masked_lm_large",
    "bert_for_sequence_classification_base", "bert_for_sequence_classification_large",
]
