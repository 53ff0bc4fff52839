"""BERT: configuration, backbone, task models, tokenizer and checkpoint loading."""

from .config import BERTConfig
from .factories import (
    bert_for_masked_lm_base, bert_for_masked_lm_large, bert_for_sequence_classification_base,
    bert_for_sequence_classification_large,
)
from .heads import BERTClassificationHead, BERTLMPredictionHead, BERTOnlyMLMHead, BERTPredictionHeadTransform
from .modeling import BERT
from .tasks import BERTForMaskedLM, BERTForSequenceClassification
from .tokenizer import BERTTokenizerFast

__all__ = [
    "BERTConfig", "BERT", "BERTForMaskedLM", "BERTForSequenceClassification", "BERTTokenizerFast",
    "BERTPredictionHeadTransform", "BERTLMPredictionHead", "BERTOnlyMLMHead", "BERTClassificationHead",
    "bert_for_masked_lm_base", "bert_for_masked_lm_large",
    "bert_for_sequence_classification_base", "bert_for_sequence_classification_large",
]
