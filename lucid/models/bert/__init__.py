"""BERT: configuration, backbone, task models, tokenizer and checkpoint loading.

One module per task model (``masked_lm``, ``sequence_classification``, ``next_sentence``,
``pre_training``, ``token_classification``, ``question_answering``, ``causal_lm``), each a
thin head on the shared backbone (``modeling``) with what the tasks share in ``_task``.
"""

from .causal_lm import BERTForCausalLM
from .config import BERTConfig
from .factories import (
    bert_for_causal_lm_base, bert_for_causal_lm_large, bert_for_masked_lm_base, bert_for_masked_lm_large,
    bert_for_next_sentence_prediction_base, bert_for_next_sentence_prediction_large, bert_for_pre_training_base,
    bert_for_pre_training_large, bert_for_question_answering_base, bert_for_question_answering_large,
    bert_for_sequence_classification_base, bert_for_sequence_classification_large,
    bert_for_token_classification_base, bert_for_token_classification_large,
)
from .heads import (
    BERTClassificationHead, BERTLMPredictionHead, BERTOnlyMLMHead, BERTOnlyNSPHead, BERTPredictionHeadTransform,
    BERTPreTrainingHeads,
)
from .masked_lm import BERTForMaskedLM
from .modeling import BERT
from .next_sentence import BERTForNextSentencePrediction
from .pre_training import BERTForPreTraining
from .question_answering import BERTForQuestionAnswering
from .sentence_embedding import BERTForSentenceEmbedding
from .sequence_classification import BERTForSequenceClassification
from .token_classification import BERTForTokenClassification
from .tokenizer import BERTTokenizerFast

__all__ = [
    "BERTConfig", "BERT", "BERTForMaskedLM", "BERTForSequenceClassification", "BERTTokenizerFast",
    "BERTForSentenceEmbedding",
    "BERTPredictionHeadTransform", "BERTLMPredictionHead", "BERTOnlyMLMHead", "BERTClassificationHead",
    "bert_for_masked_lm_base", "bert_for_masked_lm_large",
    "bert_for_sequence_classification_base", "bert_for_sequence_classification_large",
    "BERTForNextSentencePrediction", "BERTForPreTraining", "BERTForTokenClassification", "BERTForQuestionAnswering",
    "BERTForCausalLM", "BERTOnlyNSPHead", "BERTPreTrainingHeads",
    "bert_for_pre_training_base", "bert_for_pre_training_large", "bert_for_causal_lm_base", "bert_for_causal_lm_large",
    "bert_for_next_sentence_prediction_base", "bert_for_next_sentence_prediction_large",
    "bert_for_token_classification_base", "bert_for_token_classification_large",
    "bert_for_question_answering_base", "bert_for_question_answering_large",
]
